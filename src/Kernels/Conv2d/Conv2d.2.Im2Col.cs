// Conv2d, variant 2 — im2col + GEMM: every multiply-add of the convolution runs in
// MatMulKernels.Gemm, so this variant gets faster whenever the GEMM does.
//
// Shapes: x (N,C,H,W), w (K,C,R,S), y (N,K,P,Q); see Conv2d.1.Naive.cs. Write CRS = C·R·S and
// PQ = P·Q. For one image, im2col unfolds x[n] into a column matrix
//     col (CRS, PQ):   col[(c·R + r)·S + s, p·Q + q] = x[n, c, p·stride + r − pad, q·stride + s − pad]
// (0 in the padding), and the convolution is a matrix product with the weight viewed as (K, CRS):
//     forward          y[n]  (K, PQ)   =  W (K, CRS) · col (CRS, PQ)             GEMM  K × PQ × CRS
//     backward-weight  dW    (K, CRS) +=  dy[n] (K, PQ) · colᵀ (PQ, CRS)         GEMM  K × CRS × PQ
//                      (or dWᵀ (CRS, K) += col · dy[n]ᵀ when CRS < K, see below)
//     backward-input   dcol  (CRS, PQ) =  Wᵀ (CRS, K) · dy[n] (K, PQ)            GEMM  CRS × PQ × K
//                      then col2im folds dcol back into dx[n] (the adjoint of im2col: adds).
//
// Why this orientation ("rows = filter taps, columns = output pixels") rather than the
// transposed one ((N·PQ, CRS)·(CRS, K), rows = output pixels):
//   - The forward GEMM writes (K, PQ), which is exactly the NCHW layout of y[n]: no transpose of
//     the output; the pixel-row form writes (PQ, K) and must transpose every output back to NCHW.
//   - dy[n] is read in place as (K, PQ) by both backward GEMMs; the pixel-row form needs dy
//     transposed to (PQ, K) first (or a transA GEMM reading K-strided).
//   - im2col writes contiguous rows: for stride 1 each (c, r, s, p) is one contiguous vector copy
//     of the valid part of an input row (plus zeroed padding ends), inlined rather than a memcpy
//     call (the rows are short: 24 floats for a 26×26 input). In the pixel-row form a row of col
//     is one pixel's receptive field: runs of only S floats.
//   - The GEMM shapes stay big enough: for the reference CNN's conv3×3(32→64) on 26×26 it is
//     64 × 576 × 288 per image (forward), 64 × 288 × 576 (weight), 288 × 576 × 64 (input).
// Short weight GEMMs: the first layer of an image network has C = 1, so CRS = 9 against K = 32.
// dW (K, CRS) would then be a GEMM with N = 9: a 16-wide register tile is half empty, and a
// row-AXPY GEMM runs 9-float AXPYs. Computing dWᵀ (CRS, K) = col · dy[n]ᵀ instead puts the 9 on
// M, where the tile is 6 or 8 rows tall, and N = K = 32 fills whole vectors; the (CRS, K) result
// is accumulated over the batch in a pooled scratch and transposed into dw once. (Likewise a 1×1
// convolution with C < K.)
// Small images: when PQ < MinGemmColumns a GEMM per image would be too thin (a 7×7 output gives
// N = 49), so G images are unfolded side by side into col (CRS, G·PQ) and one GEMM covers them.
// The forward then writes (K, G·PQ) into a scratch and scatters rows to y (adding the bias on
// the way); the backward GEMMs gather dy into (K, G·PQ) first. Both copies are O(K·G·PQ)
// against O(K·CRS·G·PQ) multiply-adds. With PQ ≥ MinGemmColumns, G = 1 and nothing is copied.
// 1×1, stride 1, pad 0: col would equal x[n] viewed as (C, H·W), so the GEMMs read x[n], write
// dx[n] directly, and there is no im2col, no col2im and no scratch at all.
// Bias: the forward fills y[n] with b[k] per row and runs the GEMM with beta = 1 (one
// write-only pass instead of a read-modify-write pass after it); db[k] = Σ_{n,pq} dy is a
// vectorised row sum.
// Threads: the GEMMs thread themselves (Parallelism inside MatMulKernels.Gemm), so they are
// called from this thread, one after another; im2col and col2im split (image, channel) pairs
// across Parallelism.For above ParallelFloats of work (each pair owns its rows of col and its
// plane of dx, so no two threads write the same floats). That is a fork/join per GEMM block,
// which is why two threads barely beat one on a batch; variant 3 (Conv2d.3.ImageParallel.cs)
// splits the images across threads instead and runs this file's per-image loops
// (ForwardImages, BackwardInputImages, WeightImages) on each thread's share.
// Scratch: col and the (K, G·PQ) buffer (ColumnScratch) come from ArrayPool<float>.Shared and
// go back before returning, and the parallel loops pass their state to static lambdas, so a
// steady state allocates nothing, on one thread or several.
// Not done here: the weight gradient needs col again in backward, and this variant recomputes it
// (im2col is O(CRS·PQ) copies against O(K·CRS·PQ) FLOPs) rather than keeping N columns alive.
//
//   dotnet run -c Release --project src/Runner -- kernel conv2d --variant 2

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels;

public static partial class Conv2dKernels
{
    /// <summary>GEMM columns (output pixels) below which several images share one GEMM.</summary>
    internal const int MinGemmColumns = 256;

    /// <summary>Largest column scratch (floats, 16 MiB) the image batching may ask for.</summary>
    internal const int MaxColumnFloats = 1 << 22;

    /// <summary>Floats of im2col / col2im work a thread should get at least; smaller jobs stay on the calling thread.</summary>
    internal const int ParallelFloats = 1 << 16;

    /// <summary>Images unfolded side by side into one column matrix (G above).</summary>
    internal static int ImagesPerGemm(in Conv2dShape s)
    {
        int pq = s.P * s.Q;
        long crsPq = (long)s.C * s.R * s.S * pq;
        int g = (MinGemmColumns + pq - 1) / pq;
        g = (int)Math.Min(g, Math.Max(1, MaxColumnFloats / crsPq));
        return Math.Clamp(g, 1, Math.Max(1, s.N));
    }

    /// <summary>
    /// Scratch for running images through the GEMMs: col (C·R·S, G·P·Q) and, when G &gt; 1, the
    /// (K, G·P·Q) buffer that gathers dy / holds the wide forward output; both rented from
    /// ArrayPool&lt;float&gt;.Shared, none at all for a 1×1 convolution (x[n] is its own col).
    /// Variant 2 rents one for the whole batch, variant 3 one per chunk of images.
    /// </summary>
    internal readonly struct ColumnScratch
    {
        public readonly float[]? Col, Wide;

        /// <summary>Images per GEMM (G; 1 for a 1×1 convolution).</summary>
        public readonly int ImagesPerGemm;

        private ColumnScratch(float[]? col, float[]? wide, int imagesPerGemm)
        {
            Col = col;
            Wide = wide;
            ImagesPerGemm = imagesPerGemm;
        }

        public static ColumnScratch Rent(in Conv2dShape s)
        {
            if (s.IsPointwise) return new ColumnScratch(null, null, 1);
            int G = Conv2dKernels.ImagesPerGemm(s), PQ = s.P * s.Q;
            float[] col = ArrayPool<float>.Shared.Rent(s.C * s.R * s.S * G * PQ);
            float[]? wide = G > 1 ? ArrayPool<float>.Shared.Rent(s.K * G * PQ) : null;
            return new ColumnScratch(col, wide, G);
        }

        public void Return()
        {
            if (Col != null) ArrayPool<float>.Shared.Return(Col);
            if (Wide != null) ArrayPool<float>.Shared.Return(Wide);
        }
    }

    // ------------------------------------------------------------------ forward

    /// <summary>
    /// Forward convolution through im2col + GEMM: effectively computes
    /// y[n,k,p,q] = b[k] + Σ_{c,r,s} w[k,c,r,s]·x[n,c,p·stride+r−pad,q·stride+s−pad].
    /// <paramref name="bias"/> may be empty. Matches <see cref="ForwardNaive"/> within rounding.
    /// </summary>
    public static void ForwardIm2Col(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y)
    {
        s.CheckForward(x.Length, w.Length, bias.Length, y.Length);
        if (s.N == 0) return;
        var scratch = ColumnScratch.Rent(s);
        try
        {
            ForwardImages(x, w, bias, s, 0, s.N, scratch, y);
        }
        finally
        {
            scratch.Return();
        }
    }

    /// <summary>
    /// The forward for images [n0, n1) of the batch (n0 a multiple of G, so the range is whole
    /// groups): x, y are the whole batch's spans; only y[n0 … n1) is written.
    /// </summary>
    internal static void ForwardImages(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s,
        int n0, int n1, in ColumnScratch scratch, Span<float> y)
    {
        // x is (N,C,H,W), w is (K,CRS), bias is (K) or empty, y is (N,K,PQ)
        int K = s.K, CRS = s.C * s.R * s.S, PQ = s.P * s.Q, CHW = s.C * s.H * s.W, KPQ = K * PQ;
        if (s.IsPointwise)
        {
            // y[n] (K, HW) = W (K, C) · x[n] (C, HW): x[n] is already the column matrix.
            for (int n = n0; n < n1; n++)
            {
                Span<float> yn = y.Slice(n * KPQ, KPQ);
                float beta = FillBiasRows(bias, PQ, yn);
                MatMulKernels.Gemm(w, false, x.Slice(n * CHW, CHW), false, K, PQ, s.C, 1f, beta, yn);
            }
            return;
        }

        int G = scratch.ImagesPerGemm;
        for (int i0 = n0; i0 < n1; i0 += G)
        {
            int g = Math.Min(G, n1 - i0), cols = g * PQ;
            Span<float> c = UnfoldImages(x, s, i0, g, scratch);
            if (g == 1)
            {
                Span<float> yn = y.Slice(i0 * KPQ, KPQ);
                float beta = FillBiasRows(bias, PQ, yn);
                MatMulKernels.Gemm(w, false, c, false, K, PQ, CRS, 1f, beta, yn);
            }
            else
            {
                // (K, g·PQ) = W · col, then row (k, image i) goes to y[i0+i, k, :] with the bias.
                Span<float> t = scratch.Wide.AsSpan(0, K * cols);
                MatMulKernels.Gemm(w, false, c, false, K, cols, CRS, 1f, 0f, t);
                for (int i = 0; i < g; i++)
                    for (int k = 0; k < K; k++)
                    {
                        ReadOnlySpan<float> src = t.Slice(k * cols + i * PQ, PQ);
                        Span<float> dst = y.Slice((i0 + i) * KPQ + k * PQ, PQ);
                        if (bias.IsEmpty) src.CopyTo(dst);
                        else VectorLoop.BinaryScalarRight<Add>(src, bias[k], dst);
                    }
            }
        }
    }

    /// <summary>im2col of images [i0, i0 + g) of the batch x into the scratch's col: returns col (C·R·S, g·P·Q).</summary>
    private static Span<float> UnfoldImages(ReadOnlySpan<float> x, in Conv2dShape s, int i0, int g, in ColumnScratch scratch)
    {
        int CHW = s.C * s.H * s.W;
        Span<float> col = scratch.Col.AsSpan(0, s.C * s.R * s.S * g * s.P * s.Q);
        Im2Col(x.Slice(i0 * CHW, g * CHW), s, g, col);
        return col;
    }

    /// <summary>y viewed as (K, PQ): row k = bias[k]. Returns the GEMM beta that keeps it (1), or 0 without bias.</summary>
    private static float FillBiasRows(ReadOnlySpan<float> bias, int PQ, Span<float> y)
    {
        if (bias.IsEmpty) return 0f;
        for (int k = 0; k < bias.Length; k++) y.Slice(k * PQ, PQ).Fill(bias[k]);
        return 1f;
    }

    // ------------------------------------------------------------------ backward

    /// <summary>
    /// Input gradient through GEMM + col2im: effectively computes
    /// dx[n,c,h,w] = Σ dy[n,k,p,q]·w[k,c,r,s] over p·stride+r−pad = h, q·stride+s−pad = w.
    /// Overwrites <paramref name="dx"/>. Matches <see cref="BackwardInputNaive"/> within rounding.
    /// </summary>
    public static void BackwardInputIm2Col(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx)
    {
        CheckBackwardInput(dy.Length, w.Length, s, dx.Length);
        if (s.N == 0) return;
        var scratch = ColumnScratch.Rent(s);
        try
        {
            BackwardInputImages(dy, w, s, 0, s.N, scratch, dx);
        }
        finally
        {
            scratch.Return();
        }
    }

    /// <summary>The input gradient for images [n0, n1) (whole groups): only dx[n0 … n1) is written.</summary>
    internal static void BackwardInputImages(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s,
        int n0, int n1, in ColumnScratch scratch, Span<float> dx)
    {
        // dy is (N,K,PQ), w is (K,CRS), dx is (N,C,H,W)
        int K = s.K, CRS = s.C * s.R * s.S, PQ = s.P * s.Q, CHW = s.C * s.H * s.W, KPQ = K * PQ;
        if (s.IsPointwise)
        {
            // dx[n] (C, HW) = Wᵀ (C, K) · dy[n] (K, HW), straight into dx.
            for (int n = n0; n < n1; n++)
                MatMulKernels.Gemm(w, true, dy.Slice(n * KPQ, KPQ), false, s.C, PQ, K, 1f, 0f, dx.Slice(n * CHW, CHW));
            return;
        }

        int G = scratch.ImagesPerGemm;
        for (int i0 = n0; i0 < n1; i0 += G)
        {
            int g = Math.Min(G, n1 - i0), cols = g * PQ;
            ReadOnlySpan<float> dyc = g == 1 ? dy.Slice(i0 * KPQ, KPQ) : GatherRows(dy, i0, g, K, PQ, scratch.Wide.AsSpan(0, K * cols));
            Span<float> dcol = scratch.Col.AsSpan(0, CRS * cols);
            MatMulKernels.Gemm(w, true, dyc, false, CRS, cols, K, 1f, 0f, dcol);
            Col2Im(dcol, s, g, dx.Slice(i0 * CHW, g * CHW));
        }
    }

    /// <summary>
    /// Weight and bias gradients through im2col + GEMM: effectively computes
    /// dw[k,c,r,s] = Σ_{n,p,q} dy[n,k,p,q]·x[n,c,p·stride+r−pad,q·stride+s−pad] and db[k] = Σ_{n,p,q} dy[n,k,p,q].
    /// Overwrites <paramref name="dw"/>; <paramref name="dBias"/> may be empty (not wanted).
    /// Matches <see cref="BackwardWeightNaive"/> within rounding.
    /// </summary>
    public static void BackwardWeightIm2Col(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias)
    {
        CheckBackwardWeight(x.Length, dy.Length, s, dw.Length, dBias.Length, "conv2d backward", null);
        if (s.N == 0)
        {
            dw.Clear();
            dBias.Clear();
            return;
        }
        // When C·R·S < K (the first layer of a network: C = 1, so C·R·S = 9 against K = 32) the
        // GEMM is run for dWᵀ (CRS, K) = col · dyᵀ instead, so that the short side is M rather
        // than N (see the header), and transposed into dw once at the end.
        int rows = WeightRows(s);
        bool transposed = rows < s.K;
        float[]? dwt = transposed ? ArrayPool<float>.Shared.Rent(rows * s.K) : null;
        Span<float> acc = transposed ? dwt.AsSpan(0, rows * s.K) : dw;
        var scratch = ColumnScratch.Rent(s);
        try
        {
            WeightImages(x, dy, s, 0, s.N, transposed, scratch, acc, dBias);
            if (transposed) TransposeInto(acc, rows, s.K, dw);
        }
        finally
        {
            scratch.Return();
            if (dwt != null) ArrayPool<float>.Shared.Return(dwt);
        }
    }

    /// <summary>Rows of dW viewed as a matrix (C·R·S, or C for a 1×1 convolution, whose col is x[n] itself).</summary>
    internal static int WeightRows(in Conv2dShape s) => s.IsPointwise ? s.C : s.C * s.R * s.S;

    /// <summary>
    /// The weight gradient of images [n0, n1) (whole groups), overwriting <paramref name="acc"/>:
    /// dW (K, rows), or dWᵀ (rows, K) when transposed. When <paramref name="dBias"/> is not empty
    /// it is overwritten with db over the same images, each image's rows summed right after its
    /// GEMM has read them (still in cache).
    /// </summary>
    internal static void WeightImages(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, int n0, int n1,
        bool transposed, in ColumnScratch scratch, Span<float> acc, Span<float> dBias)
    {
        // x is (N,C,H,W), dy is (N,K,PQ), acc is (K,rows) or (rows,K), dBias is (K) or empty
        int K = s.K, CRS = s.C * s.R * s.S, PQ = s.P * s.Q, CHW = s.C * s.H * s.W, KPQ = K * PQ;
        dBias.Clear();
        if (s.IsPointwise)
        {
            // dW (K, C) += dy[n] (K, HW) · x[n]ᵀ (HW, C); beta = 0 on the first image overwrites.
            for (int n = n0; n < n1; n++)
            {
                WeightGemm(dy.Slice(n * KPQ, KPQ), x.Slice(n * CHW, CHW), K, s.C, PQ, n == n0 ? 0f : 1f, transposed, acc);
                AddRowSums(dy.Slice(n * KPQ, KPQ), K, PQ, dBias);
            }
            return;
        }

        int G = scratch.ImagesPerGemm;
        for (int i0 = n0; i0 < n1; i0 += G)
        {
            int g = Math.Min(G, n1 - i0), cols = g * PQ;
            Span<float> c = UnfoldImages(x, s, i0, g, scratch);
            ReadOnlySpan<float> dyc = g == 1 ? dy.Slice(i0 * KPQ, KPQ) : GatherRows(dy, i0, g, K, PQ, scratch.Wide.AsSpan(0, K * cols));
            WeightGemm(dyc, c, K, CRS, cols, i0 == n0 ? 0f : 1f, transposed, acc);
            for (int n = i0; n < i0 + g; n++)
                AddRowSums(dy.Slice(n * KPQ, KPQ), K, PQ, dBias);
        }
    }

    /// <summary>acc += dy (K, cols) · colᵀ (cols, rows), or accᵀ when transposed: acc (rows, K) += col · dyᵀ.</summary>
    private static void WeightGemm(ReadOnlySpan<float> dyc, ReadOnlySpan<float> col, int K, int rows, int cols, float beta, bool transposed, Span<float> acc)
    {
        if (transposed) MatMulKernels.Gemm(col, false, dyc, true, rows, K, cols, 1f, beta, acc);
        else MatMulKernels.Gemm(dyc, false, col, true, K, rows, cols, 1f, beta, acc);
    }

    /// <summary>dst (cols, rows) = src (rows, cols)ᵀ.</summary>
    private static void TransposeInto(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) dst[j * rows + i] = src[i * cols + j];
    }

    /// <summary>
    /// Bias gradient of a convolution: effectively computes db[k] = Σ_n Σ_pq dy[n,k,pq] for dy
    /// (N,K,PQ), one vectorised row sum per (n, k). Overwrites dBias (K).
    /// </summary>
    public static void BiasGradient(ReadOnlySpan<float> dy, int N, int K, int PQ, Span<float> dBias)
    {
        if (N < 0 || K < 1 || PQ < 1 || dy.Length != (long)N * K * PQ || dBias.Length != K)
            throw new ArgumentException($"conv2d bias gradient: dy has {dy.Length} elements and dBias {dBias.Length}, expected (N,K,P·Q) = ({N},{K},{PQ}) and ({K})");
        dBias.Clear();
        for (int n = 0; n < N; n++)
            AddRowSums(dy.Slice(n * K * PQ, K * PQ), K, PQ, dBias);
    }

    /// <summary>db[k] += Σ_pq dyn[k, pq] for one image's dyn (K, PQ); nothing when db is empty.</summary>
    private static void AddRowSums(ReadOnlySpan<float> dyn, int K, int PQ, Span<float> dBias)
    {
        if (dBias.IsEmpty) return;
        for (int k = 0; k < K; k++)
            dBias[k] += ReduceKernels.Sum(dyn.Slice(k * PQ, PQ));
    }

    /// <summary>dy rows of images n0 … n0+g−1 side by side: wide (K, g·PQ)[k, i·PQ + j] = dy[n0+i, k, j].</summary>
    private static ReadOnlySpan<float> GatherRows(ReadOnlySpan<float> dy, int n0, int g, int K, int PQ, Span<float> wide)
    {
        int cols = g * PQ;
        for (int i = 0; i < g; i++)
            for (int k = 0; k < K; k++)
                dy.Slice(((n0 + i) * K + k) * PQ, PQ).CopyTo(wide.Slice(k * cols + i * PQ, PQ));
        return wide;
    }

    // ------------------------------------------------------------------ im2col / col2im

    /// <summary>
    /// Unfolds <paramref name="images"/> consecutive images of x (images, C, H, W) into
    /// col (C·R·S, images·P·Q): col[(c·R+r)·S+s, i·PQ + p·Q + q] = x[i, c, p·stride+r−pad, q·stride+s−pad], 0 in the padding.
    /// </summary>
    public static void Im2Col(ReadOnlySpan<float> x, in Conv2dShape s, int images, Span<float> col)
    {
        int CHW = s.C * s.H * s.W, PQ = s.P * s.Q, CRS = s.C * s.R * s.S;
        s.Check(x.Length, images * CHW, "x", [images, s.C, s.H, s.W], "im2col");
        s.Check(col.Length, CRS * images * PQ, "col", [CRS, images * PQ], "im2col");
        int items = images * s.C, perItem = s.R * s.S * PQ;
        if (Parallelism.Threads == 1 || (long)items * perItem < 2 * ParallelFloats || items < 2)
            Im2ColRange(x, s, images, col, 0, items);
        else
            Im2ColParallel(x, s, images, col, items, perItem);
    }

    private static unsafe void Im2ColParallel(ReadOnlySpan<float> x, in Conv2dShape s, int images, Span<float> col, int items, int perItem)
    {
        fixed (float* px = x, pc = col)
            Parallelism.For(items, Math.Max(1, ParallelFloats / perItem),
                (X: new Pinned<float>(px, x.Length), s, images, Col: new Pinned<float>(pc, col.Length)),
                static (st, i0, i1) => Im2ColRange(st.X.Span, st.s, st.images, st.Col.Span, i0, i1));
    }

    /// <summary>Items [item0, item1), item = image·C + channel: the R·S rows of col that come from that input plane.</summary>
    private static void Im2ColRange(ReadOnlySpan<float> x, in Conv2dShape s, int images, Span<float> col, int item0, int item1)
    {
        int C = s.C, H = s.H, W = s.W, R = s.R, S = s.S, P = s.P, Q = s.Q, stride = s.Stride, pad = s.Pad;
        int PQ = P * Q, ld = images * PQ; // ld: length of one row of col
        // Bounds are checked once here; the row loops below use refs (a Span.Slice + CopyTo per
        // 24-float row cost more in call overhead than the copy itself).
        if ((long)item1 * H * W > x.Length || (long)C * R * S * ld > col.Length) throw new ArgumentException("im2col: spans too short");
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float col0 = ref MemoryMarshal.GetReference(col);
        for (int item = item0; item < item1; item++)
        {
            int i = item / C, c = item % C;
            ref float plane = ref Unsafe.Add(ref x0, item * H * W);
            for (int r = 0; r < R; r++)
                for (int t = 0; t < S; t++)
                {
                    ref float dst = ref Unsafe.Add(ref col0, ((c * R + r) * S + t) * ld + i * PQ);
                    var (qlo, qhi) = ValidColumns(t, W, Q, stride, pad);
                    for (int p = 0; p < P; p++)
                    {
                        ref float row = ref Unsafe.Add(ref dst, p * Q);
                        int ih = p * stride + r - pad;
                        if ((uint)ih >= (uint)H)
                        {
                            Zero(ref row, Q); // the whole tap row falls in the top or bottom padding
                            continue;
                        }
                        Zero(ref row, qlo);
                        Zero(ref Unsafe.Add(ref row, qhi), Q - qhi);
                        ref float src = ref Unsafe.Add(ref plane, ih * W + t - pad); // src[q·stride] is tap t of column q
                        if (stride == 1)
                            Copy(ref Unsafe.Add(ref src, qlo), ref Unsafe.Add(ref row, qlo), qhi - qlo);
                        else
                            for (int q = qlo; q < qhi; q++) Unsafe.Add(ref row, q) = Unsafe.Add(ref src, q * stride);
                    }
                }
        }
    }

    /// <summary>dst[0..n) = src[0..n), vector ladder 512 → 256 → 128 → scalar, inlined (rows are short).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(ref float src, ref float dst, int n)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j <= n - 16; j += 16) Vector512.LoadUnsafe(ref src, (nuint)j).StoreUnsafe(ref dst, (nuint)j);
        if (Vector256.IsHardwareAccelerated)
            for (; j <= n - 8; j += 8) Vector256.LoadUnsafe(ref src, (nuint)j).StoreUnsafe(ref dst, (nuint)j);
        if (Vector128.IsHardwareAccelerated)
            for (; j <= n - 4; j += 4) Vector128.LoadUnsafe(ref src, (nuint)j).StoreUnsafe(ref dst, (nuint)j);
        for (; j < n; j++) Unsafe.Add(ref dst, j) = Unsafe.Add(ref src, j);
    }

    /// <summary>dst[0..n) += src[0..n), vector ladder 512 → 256 → 128 → scalar, inlined.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(ref float src, ref float dst, int n)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j <= n - 16; j += 16)
                (Vector512.LoadUnsafe(ref dst, (nuint)j) + Vector512.LoadUnsafe(ref src, (nuint)j)).StoreUnsafe(ref dst, (nuint)j);
        if (Vector256.IsHardwareAccelerated)
            for (; j <= n - 8; j += 8)
                (Vector256.LoadUnsafe(ref dst, (nuint)j) + Vector256.LoadUnsafe(ref src, (nuint)j)).StoreUnsafe(ref dst, (nuint)j);
        if (Vector128.IsHardwareAccelerated)
            for (; j <= n - 4; j += 4)
                (Vector128.LoadUnsafe(ref dst, (nuint)j) + Vector128.LoadUnsafe(ref src, (nuint)j)).StoreUnsafe(ref dst, (nuint)j);
        for (; j < n; j++) Unsafe.Add(ref dst, j) += Unsafe.Add(ref src, j);
    }

    /// <summary>dst[0..n) = 0 (n is a few pad columns, or one row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Zero(ref float dst, int n)
    {
        if (n > 16) MemoryMarshal.CreateSpan(ref dst, n).Clear();
        else for (int j = 0; j < n; j++) Unsafe.Add(ref dst, j) = 0f;
    }

    /// <summary>
    /// Output columns [qlo, qhi) whose tap t reads inside the image: 0 ≤ q·stride + t − pad &lt; W.
    /// Columns outside read the zero padding.
    /// </summary>
    internal static (int Lo, int Hi) ValidColumns(int t, int W, int Q, int stride, int pad)
    {
        int lo = Math.Min(Q, (Math.Max(0, pad - t) + stride - 1) / stride);
        int last = W - 1 + pad - t; // q·stride ≤ last
        int hi = last < 0 ? 0 : Math.Min(Q, last / stride + 1);
        return (lo, Math.Max(lo, hi));
    }

    /// <summary>
    /// Folds col (C·R·S, images·P·Q) back into dx (images, C, H, W), the adjoint of <see cref="Im2Col"/>:
    /// dx[i,c,h,w] = Σ col[(c·R+r)·S+s, i·PQ + p·Q + q] over p·stride+r−pad = h, q·stride+s−pad = w. Overwrites dx.
    /// </summary>
    public static void Col2Im(ReadOnlySpan<float> col, in Conv2dShape s, int images, Span<float> dx)
    {
        int CHW = s.C * s.H * s.W, PQ = s.P * s.Q, CRS = s.C * s.R * s.S;
        s.Check(col.Length, CRS * images * PQ, "col", [CRS, images * PQ], "col2im");
        s.Check(dx.Length, images * CHW, "dx", [images, s.C, s.H, s.W], "col2im");
        int items = images * s.C, perItem = s.R * s.S * PQ;
        if (Parallelism.Threads == 1 || (long)items * perItem < 2 * ParallelFloats || items < 2)
            Col2ImRange(col, s, images, dx, 0, items);
        else
            Col2ImParallel(col, s, images, dx, items, perItem);
    }

    private static unsafe void Col2ImParallel(ReadOnlySpan<float> col, in Conv2dShape s, int images, Span<float> dx, int items, int perItem)
    {
        fixed (float* pc = col, pd = dx)
            Parallelism.For(items, Math.Max(1, ParallelFloats / perItem),
                (Col: new Pinned<float>(pc, col.Length), s, images, Dx: new Pinned<float>(pd, dx.Length)),
                static (st, i0, i1) => Col2ImRange(st.Col.Span, st.s, st.images, st.Dx.Span, i0, i1));
    }

    /// <summary>Items [item0, item1), item = image·C + channel: clears that plane of dx and adds its R·S rows of col into it.</summary>
    private static void Col2ImRange(ReadOnlySpan<float> col, in Conv2dShape s, int images, Span<float> dx, int item0, int item1)
    {
        int C = s.C, H = s.H, W = s.W, R = s.R, S = s.S, P = s.P, Q = s.Q, stride = s.Stride, pad = s.Pad;
        int PQ = P * Q, ld = images * PQ;
        if ((long)item1 * H * W > dx.Length || (long)C * R * S * ld > col.Length) throw new ArgumentException("col2im: spans too short");
        ref float col0 = ref MemoryMarshal.GetReference(col);
        ref float dx0 = ref MemoryMarshal.GetReference(dx);
        for (int item = item0; item < item1; item++)
        {
            int i = item / C, c = item % C;
            ref float plane = ref Unsafe.Add(ref dx0, item * H * W);
            Zero(ref plane, H * W);
            for (int r = 0; r < R; r++)
                for (int t = 0; t < S; t++)
                {
                    ref float src = ref Unsafe.Add(ref col0, ((c * R + r) * S + t) * ld + i * PQ);
                    var (qlo, qhi) = ValidColumns(t, W, Q, stride, pad);
                    if (qhi == qlo) continue;
                    for (int p = 0; p < P; p++)
                    {
                        int ih = p * stride + r - pad;
                        if ((uint)ih >= (uint)H) continue; // padding receives nothing
                        ref float dst = ref Unsafe.Add(ref plane, ih * W + t - pad); // dst[q·stride] gets column q
                        ref float row = ref Unsafe.Add(ref src, p * Q);
                        if (stride == 1)
                            AddTo(ref Unsafe.Add(ref row, qlo), ref Unsafe.Add(ref dst, qlo), qhi - qlo);
                        else
                            for (int q = qlo; q < qhi; q++) Unsafe.Add(ref dst, q * stride) += Unsafe.Add(ref row, q);
                    }
                }
        }
    }
}
