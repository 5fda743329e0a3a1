// Conv2d variant 4 — Gpu: variant 2's lowering (im2col + GEMM, col2im for the input gradient) on
// the device, with MatMulKernels.GpuGemm (variant 7, MatMul.7.GpuRegisterBlocked.cs) doing every
// multiply-add.
//
// Shapes as in Conv2d.1.Naive.cs (x (N,C,H,W), w (K,C,R,S), y (N,K,P,Q); CRS = C·R·S, PQ = P·Q).
// Per image n, with col the (CRS, PQ) unfolded patches of x[n]:
//   forward          y[n]  (K, PQ)   = w (K, CRS) · col                 then + bias[k] per row
//   backward input   dcol (CRS, PQ)  = wᵀ · dy[n]   (GEMM with transA)   then col2im → dx[n]
//   backward weight  dw   (K, CRS)  += dy[n] · colᵀ (GEMM with transB, beta = 1 after image 0)
//                    db[k]           = Σ_{n,pq} dy[n,k,pq]              (one group per k)
// One image at a time keeps the col scratch at CRS·PQ floats; the batch is a host loop of small
// launches (they queue on one stream without waiting). Batching images into one wide GEMM, as
// variant 3 does on the CPU, is the next step once a GPU can measure it.
//
// Memory hierarchy:
//   Im2ColGpu   one thread per col element: reads x (global; neighbouring threads read
//               neighbouring pixels of a row, so loads coalesce for stride 1), writes col once.
//   Col2ImGpu   one thread per dx element, a *gather*: it walks the R·S taps that could have read
//               its pixel and adds their col entries. No two threads write the same address, so no
//               atomics and a fixed summation order (deterministic, unlike a scatter with
//               atomicAdd). Registers only.
//   GEMMs       shared-memory tiles and 4×4 register blocks (see MatMul.7.GpuRegisterBlocked.cs).
//   bias        one thread per y element (bias[k] is reused by PQ neighbours: cache hits).
//   bias grad   one group of 128 threads per k, register partials + shared-memory tree
//               (Gpu/GroupReduce.cs).
//
//   dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~Conv2dGpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Kernels;

/// <summary>A convolution's dimensions as plain fields, for passing to GPU kernels by value.</summary>
public readonly struct GpuConvArgs
{
    public readonly int N, C, H, W, K, R, S, Stride, Pad, P, Q;

    public GpuConvArgs(in Conv2dShape s)
    {
        (N, C, H, W, K, R, S, Stride, Pad) = (s.N, s.C, s.H, s.W, s.K, s.R, s.S, s.Stride, s.Pad);
        (P, Q) = (s.P, s.Q);
    }
}

public static partial class Conv2dKernels
{
    // ------------------------------------------------------------------ device-view API

    /// <summary>Forward convolution on device views (asynchronous); bias may be an empty view (none). Same contract as <see cref="ForwardNaive"/>.</summary>
    public static void ForwardGpu(Accelerator acc, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, in Conv2dShape s, ArrayView<float> y)
    {
        s.CheckForward((int)x.Length, (int)w.Length, (int)bias.Length, (int)y.Length);
        int CRS = s.C * s.R * s.S, PQ = s.P * s.Q, CHW = s.C * s.H * s.W, KPQ = s.K * PQ;
        using var col = acc.Allocate1D<float>(Math.Max(CRS * PQ, 1));
        for (int n = 0; n < s.N; n++)
        {
            Im2ColGpu(acc, x.SubView(n * CHW, CHW), s, col.View);
            MatMulKernels.GpuGemm(acc, w, false, col.View, false, s.K, PQ, CRS, 1f, 0f, y.SubView(n * KPQ, KPQ));
        }
        if (bias.Length > 0 && s.N > 0)
        {
            var kernel = GpuLaunch.Kernel(acc, BiasAddKernel,
                static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(BiasAddKernel));
            kernel((int)y.Length, y, bias, s.K, PQ);
        }
        acc.DefaultStream.Synchronize(); // col is freed on return: the queued launches must be done with it
    }

    /// <summary>Input gradient on device views (asynchronous until the scratch is released). Same contract as <see cref="BackwardInputNaive"/>.</summary>
    public static void BackwardInputGpu(Accelerator acc, ArrayView<float> dy, ArrayView<float> w, in Conv2dShape s, ArrayView<float> dx)
    {
        s.Check((int)dy.Length, s.OutputLength, "dy", [s.N, s.K, s.P, s.Q], "conv2d backward input");
        s.CheckWeight((int)w.Length, "conv2d backward input", null);
        s.Check((int)dx.Length, s.InputLength, "dx", [s.N, s.C, s.H, s.W], "conv2d backward input");
        int CRS = s.C * s.R * s.S, PQ = s.P * s.Q, CHW = s.C * s.H * s.W, KPQ = s.K * PQ;
        using var col = acc.Allocate1D<float>(Math.Max(CRS * PQ, 1));
        for (int n = 0; n < s.N; n++)
        {
            // w is stored (K, CRS): transA makes it (CRS, K).
            MatMulKernels.GpuGemm(acc, w, true, dy.SubView(n * KPQ, KPQ), false, CRS, PQ, s.K, 1f, 0f, col.View);
            Col2ImGpu(acc, col.View, s, dx.SubView(n * CHW, CHW));
        }
        acc.DefaultStream.Synchronize();
    }

    /// <summary>Weight (and bias, when dBias is not empty) gradient on device views. Same contract as <see cref="BackwardWeightNaive"/>.</summary>
    public static void BackwardWeightGpu(Accelerator acc, ArrayView<float> x, ArrayView<float> dy, in Conv2dShape s, ArrayView<float> dw, ArrayView<float> dBias)
    {
        s.Check((int)x.Length, s.InputLength, "x", [s.N, s.C, s.H, s.W], "conv2d backward weight");
        s.Check((int)dy.Length, s.OutputLength, "dy", [s.N, s.K, s.P, s.Q], "conv2d backward weight");
        s.CheckWeight((int)dw.Length, "conv2d backward weight", null, "dw");
        if (dBias.Length != 0 && dBias.Length != s.K)
            throw new ArgumentException($"conv2d backward weight: dBias has {dBias.Length} elements, expected {s.K} (or none) for {s}", nameof(dBias));
        int CRS = s.C * s.R * s.S, PQ = s.P * s.Q, CHW = s.C * s.H * s.W, KPQ = s.K * PQ;
        if (s.N == 0) dw.MemSetToZero();
        using var col = acc.Allocate1D<float>(Math.Max(CRS * PQ, 1));
        for (int n = 0; n < s.N; n++)
        {
            Im2ColGpu(acc, x.SubView(n * CHW, CHW), s, col.View);
            // dw (K, CRS) = dy[n] (K, PQ) · colᵀ; images after the first accumulate (beta = 1).
            MatMulKernels.GpuGemm(acc, dy.SubView(n * KPQ, KPQ), false, col.View, true, s.K, CRS, PQ, 1f, n == 0 ? 0f : 1f, dw);
        }
        if (dBias.Length > 0) ChannelSumGpu(acc, dy, s.N, s.K, PQ, dBias);
        acc.DefaultStream.Synchronize();
    }

    /// <summary>
    /// Unfolds one image x (C,H,W) into col (C·R·S, P·Q) on the device (asynchronous):
    /// col[(c·R+r)·S+s, p·Q+q] = x[c, p·stride+r−pad, q·stride+s−pad], 0 in the padding. As <see cref="Im2Col"/> with images = 1.
    /// </summary>
    public static void Im2ColGpu(Accelerator acc, ArrayView<float> x, in Conv2dShape s, ArrayView<float> col)
    {
        int CRS = s.C * s.R * s.S, PQ = s.P * s.Q;
        if (x.Length < s.C * s.H * s.W || col.Length < (long)CRS * PQ)
            throw new ArgumentException($"im2col (gpu): views of {x.Length} and {col.Length} elements are too short for one image of {s}");
        var kernel = GpuLaunch.Kernel(acc, Im2ColKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, GpuConvArgs>(Im2ColKernel));
        kernel(CRS * PQ, x, col, new GpuConvArgs(s));
    }

    /// <summary>Folds col (C·R·S, P·Q) back into one image dx (C,H,W), overwriting it (asynchronous). The adjoint of <see cref="Im2ColGpu"/>; as <see cref="Col2Im"/> with images = 1.</summary>
    public static void Col2ImGpu(Accelerator acc, ArrayView<float> col, in Conv2dShape s, ArrayView<float> dx)
    {
        int CHW = s.C * s.H * s.W;
        if (dx.Length < CHW || col.Length < (long)s.C * s.R * s.S * s.P * s.Q)
            throw new ArgumentException($"col2im (gpu): views of {col.Length} and {dx.Length} elements are too short for one image of {s}");
        var kernel = GpuLaunch.Kernel(acc, Col2ImKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, GpuConvArgs>(Col2ImKernel));
        kernel(CHW, col, dx, new GpuConvArgs(s));
    }

    /// <summary>y[c] = Σ_n Σ_l x[n,c,l] for x (N,C,L) on the device (asynchronous): the bias gradient of a convolution.</summary>
    public static void ChannelSumGpu(Accelerator acc, ArrayView<float> x, int N, int C, int L, ArrayView<float> y)
    {
        if (x.Length < (long)N * C * L || y.Length < C)
            throw new ArgumentException($"channel sum (gpu): views of {x.Length} and {y.Length} elements are too short for ({N},{C},{L})");
        if (C == 0) return;
        var kernel = GpuLaunch.Kernel(acc, ChannelSumKernel,
            static a => a.LoadStreamKernel<ArrayView<float>, int, int, int, ArrayView<float>>(ChannelSumKernel));
        kernel(new KernelConfig(C, GroupReduce.Size), x, N, C, L, y);
    }

    // ------------------------------------------------------------------ host-span wrappers (tests, benchmarks)

    /// <summary>ForwardGpu on host spans: upload, run, download (<see cref="GpuLaunch.RoundTrip"/>).</summary>
    public static void ForwardGpu(Accelerator acc, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y)
    {
        s.CheckForward(x.Length, w.Length, bias.Length, y.Length);
        var shape = s;
        GpuLaunch.RoundTrip(acc, x, w, bias, y, default, (dx, dw, db, dy, _) => ForwardGpu(acc, dx, dw, db, shape, dy));
    }

    /// <summary>BackwardInputGpu on host spans: upload, run, download.</summary>
    public static void BackwardInputGpu(Accelerator acc, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx)
    {
        var shape = s;
        GpuLaunch.RoundTrip(acc, dy, w, default, dx, default, (ddy, dw, _, ddx, _) => BackwardInputGpu(acc, ddy, dw, shape, ddx));
    }

    /// <summary>BackwardWeightGpu on host spans: upload, run, download (dBias may be empty).</summary>
    public static void BackwardWeightGpu(Accelerator acc, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias)
    {
        var shape = s;
        GpuLaunch.RoundTrip(acc, x, dy, default, dw, dBias, (dx, ddy, _, ddw, ddb) => BackwardWeightGpu(acc, dx, ddy, shape, ddw, ddb));
    }

    // ------------------------------------------------------------------ kernels

    // i = row·PQ + column, row = (c·R + r)·S + s, column = p·Q + q.
    private static void Im2ColKernel(Index1D i, ArrayView<float> x, ArrayView<float> col, GpuConvArgs a)
    {
        int PQ = a.P * a.Q;
        int row = i / PQ, column = i - row * PQ;
        int t = row % a.S, r = row / a.S % a.R, c = row / (a.S * a.R);
        int p = column / a.Q, q = column - p * a.Q;
        int h = p * a.Stride + r - a.Pad, w = q * a.Stride + t - a.Pad;
        col[i] = (uint)h < (uint)a.H && (uint)w < (uint)a.W ? x[(c * a.H + h) * a.W + w] : 0f;
    }

    // One thread per dx[c,h,w]: output p read row h through tap r = h + pad − p·stride, so the
    // p that did are those with 0 ≤ r < R, i.e. p in [ceil((h + pad − R + 1)/stride), (h + pad)/stride].
    private static void Col2ImKernel(Index1D i, ArrayView<float> col, ArrayView<float> dx, GpuConvArgs a)
    {
        int PQ = a.P * a.Q;
        int w = i % a.W, h = i / a.W % a.H, c = i / (a.W * a.H);
        int hp = h + a.Pad, wp = w + a.Pad;
        float acc = 0f;
        for (int r = 0; r < a.R; r++)
        {
            int ph = hp - r;                             // = p·stride when output p used tap r
            if (ph < 0 || ph % a.Stride != 0) continue;
            int p = ph / a.Stride;
            if (p >= a.P) continue;
            for (int t = 0; t < a.S; t++)
            {
                int qw = wp - t;
                if (qw < 0 || qw % a.Stride != 0) continue;
                int q = qw / a.Stride;
                if (q >= a.Q) continue;
                acc += col[((c * a.R + r) * a.S + t) * PQ + p * a.Q + q];
            }
        }
        dx[i] = acc;
    }

    // y is (N, K, PQ): element i belongs to channel (i / PQ) mod K.
    private static void BiasAddKernel(Index1D i, ArrayView<float> y, ArrayView<float> bias, int K, int PQ)
        => y[i] += bias[i / PQ % K];

    // Group c sums channel c of x (N,C,L): thread t takes elements j = t, t + 128, … of the N·L.
    private static void ChannelSumKernel(ArrayView<float> x, int N, int C, int L, ArrayView<float> y)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.Size);
        int c = Grid.IdxX;
        float acc = 0f;
        for (int j = Group.IdxX; j < N * L; j += GroupReduce.Size)
        {
            int n = j / L, l = j - n * L;
            acc += x[(n * C + c) * L + l];
        }
        float total = GroupReduce.Sum(scratch, acc);
        if (Group.IdxX == 0) y[c] = total;
    }
}
