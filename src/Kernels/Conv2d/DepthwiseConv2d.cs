// DepthwiseConv2d — grouped convolution with groups = C: each channel is convolved with its own
// R×S filter (MobileNet / EfficientNet's depthwise step), NCHW, float32.
//
// Shapes: x (N,C,H,W), w (C,1,R,S), b (C) optional, y (N,C,P,Q), P and Q as in Conv2d.1.Naive.cs.
//   y[n,c,p,q] = b[c] + Σ_{r,s} w[c,r,s]·x[n, c, p·stride + r − pad, q·stride + s − pad]
// The dimensions travel in a Conv2dShape with K = C (one output channel per input channel).
// Variants, in reading order (each direction has both; all share Conv2dKernels' signatures):
//   1. Naive — plain loops per output with a bounds test per tap, single-threaded. The reference.
//   2. Simd  — a direct kernel; no im2col (each output needs only R·S multiply-adds, so
//      unfolding would move more bytes than it saves, and a GEMM with K = 1 has nothing to
//      block). Per (n, c) plane:
//        * The plane is first copied into a zero-padded scratch, split by column phase: padded
//          column j goes to phase j mod stride at index j / stride. Then tap (r, s) of output
//          column q reads phase s mod stride at index q + s / stride: contiguous in q for any
//          stride, so stride 2 needs no gather, and there is no bounds test in the loop.
//        * Forward: lanes are output columns q (Lanes: 16 → 8 → 4 → 1, each width ending the row
//          with one overlapping vector rather than a scalar tail); each vector accumulates its
//          R·S taps in registers, spread over four accumulators so the FMA latency overlaps.
//        * Input gradient: dx is built in a padded, phase-split scratch as a scatter of
//          dy·w, but written as a gather so that every vector of dx is loaded and stored once per
//          (output row, filter row, phase): dxphase[i] += Σ_{s ≡ phase} dy[p, i − s/stride]·w[r,s],
//          reading dy from a zero-padded copy of its row. (A tap-by-tap scatter would store and
//          re-load overlapping vectors, which defeats store forwarding.) Phases are padded to a
//          whole number of vectors, so these accumulating loops have no tails. The valid part is
//          then copied back to dx.
//        * Weight gradient: per tap, a dot product of the dy plane with the shifted input plane,
//          accumulated over rows in vector registers (one horizontal sum per tap and width).
//      Threads: forward and input gradient split the N·C planes; the weight gradient splits
//      channels (each thread owns dw[c] and loops over the batch, so no two threads add into
//      the same filter). Scratch comes from ArrayPool, rented once per thread per call.
//   3. Flat  — (DepthwiseConv2d.3.Flat.cs) stride 1 only: the padded plane as one flat row, so
//      each tap is one offset and small planes (7×7, 14×14) fill whole vectors; the input
//      gradient is the same correlation with the rotated filter. The tensor op dispatches there
//      (Forward / BackwardInput / BackwardWeight) and here at other strides.
//   GPU variants: DepthwiseConv2d.Gpu.cs.
//
//   dotnet run -c Release --project src/Runner -- kernel depthwise --variant 2

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels;

/// <summary>Depthwise (groups = C) convolution kernels; the shape is a <see cref="Conv2dShape"/> with K = C.</summary>
public static partial class DepthwiseConv2dKernels
{
    private const string Op = "depthwise_conv2d";

    /// <summary>
    /// Multiply-adds a thread should get at least (≈ 20 µs at the SIMD kernels' speed); smaller
    /// jobs stay on the calling thread, since waking a worker costs a few µs on an idle machine
    /// and far more on a busy one.
    /// </summary>
    internal const int ParallelWork = 1 << 18;

    private static void CheckShape(in Conv2dShape s)
    {
        if (s.K != s.C)
            throw new ArgumentException($"{Op}: output channels must equal input channels (groups = C), got {s}");
    }

    // ------------------------------------------------------------------ 1. Naive

    /// <summary>
    /// Reference depthwise forward: effectively computes
    /// y[n,c,p,q] = b[c] + Σ_{r,s} w[c,r,s]·x[n,c,p·stride+r−pad,q·stride+s−pad] (zero outside x).
    /// <paramref name="bias"/> may be empty. Single-threaded.
    /// </summary>
    public static void ForwardNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y)
    {
        CheckShape(s);
        s.CheckForward(x.Length, w.Length, bias.Length, y.Length, Op, s.C * s.R * s.S);
        // x is (N,C,H,W), w is (C,R,S), bias is (C) or empty, y is (N,C,P,Q)
        int N = s.N, C = s.C, H = s.H, W = s.W, R = s.R, S = s.S, P = s.P, Q = s.Q;
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++)
                    {
                        float acc = bias.IsEmpty ? 0f : bias[c];
                        for (int r = 0; r < R; r++)
                        {
                            int ih = p * s.Stride + r - s.Pad;
                            if ((uint)ih >= (uint)H) continue;
                            for (int t = 0; t < S; t++)
                            {
                                int iw = q * s.Stride + t - s.Pad;
                                if ((uint)iw >= (uint)W) continue;
                                acc += w[(c * R + r) * S + t] * x[((n * C + c) * H + ih) * W + iw];
                            }
                        }
                        y[((n * C + c) * P + p) * Q + q] = acc;
                    }
    }

    /// <summary>
    /// Reference depthwise input gradient: effectively computes
    /// dx[n,c,h,w] = Σ dy[n,c,p,q]·w[c,r,s] over p·stride+r−pad = h, q·stride+s−pad = w. Overwrites dx.
    /// </summary>
    public static void BackwardInputNaive(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx)
    {
        CheckBackwardInput(dy.Length, w.Length, s, dx.Length);
        int N = s.N, C = s.C, H = s.H, W = s.W, R = s.R, S = s.S, P = s.P, Q = s.Q;
        dx.Clear();
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++)
                    {
                        float g = dy[((n * C + c) * P + p) * Q + q];
                        for (int r = 0; r < R; r++)
                        {
                            int ih = p * s.Stride + r - s.Pad;
                            if ((uint)ih >= (uint)H) continue;
                            for (int t = 0; t < S; t++)
                            {
                                int iw = q * s.Stride + t - s.Pad;
                                if ((uint)iw >= (uint)W) continue;
                                dx[((n * C + c) * H + ih) * W + iw] += g * w[(c * R + r) * S + t];
                            }
                        }
                    }
    }

    /// <summary>
    /// Reference depthwise weight and bias gradients: effectively computes
    /// dw[c,r,s] = Σ_{n,p,q} dy[n,c,p,q]·x[n,c,p·stride+r−pad,q·stride+s−pad], db[c] = Σ_{n,p,q} dy[n,c,p,q].
    /// Overwrites dw; <paramref name="dBias"/> may be empty.
    /// </summary>
    public static void BackwardWeightNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias)
    {
        CheckShape(s);
        Conv2dKernels.CheckBackwardWeight(x.Length, dy.Length, s, dw.Length, dBias.Length, Op, s.C * s.R * s.S);
        int N = s.N, C = s.C, H = s.H, W = s.W, R = s.R, S = s.S, P = s.P, Q = s.Q;
        dw.Clear();
        dBias.Clear();
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++)
                    {
                        float g = dy[((n * C + c) * P + p) * Q + q];
                        if (!dBias.IsEmpty) dBias[c] += g;
                        for (int r = 0; r < R; r++)
                        {
                            int ih = p * s.Stride + r - s.Pad;
                            if ((uint)ih >= (uint)H) continue;
                            for (int t = 0; t < S; t++)
                            {
                                int iw = q * s.Stride + t - s.Pad;
                                if ((uint)iw >= (uint)W) continue;
                                dw[(c * R + r) * S + t] += g * x[((n * C + c) * H + ih) * W + iw];
                            }
                        }
                    }
    }

    private static void CheckBackwardInput(int dyLength, int wLength, in Conv2dShape s, int dxLength)
    {
        CheckShape(s);
        s.Check(dyLength, s.OutputLength, "dy", [s.N, s.C, s.P, s.Q], Op);
        s.CheckWeight(wLength, Op, s.C * s.R * s.S);
        s.Check(dxLength, s.InputLength, "dx", [s.N, s.C, s.H, s.W], Op);
    }

    // ------------------------------------------------------------------ 2. Simd

    /// <summary>
    /// The zero-padded, phase-split copy of one input plane: Rows = H + 2·pad rows of
    /// RowLength = stride·PhaseLength floats; padded column j of a row sits at
    /// (j mod stride)·PhaseLength + j / stride.
    /// </summary>
    private readonly struct Padded
    {
        public readonly int Rows, PhaseLength, RowLength;

        /// <param name="s">The convolution.</param>
        /// <param name="align">PhaseLength is rounded up to a multiple of this (the extra columns are scratch).</param>
        public Padded(in Conv2dShape s, int align = 1)
        {
            int wp = s.W + 2 * s.Pad;
            Rows = s.H + 2 * s.Pad;
            PhaseLength = ((wp + s.Stride - 1) / s.Stride + align - 1) / align * align;
            RowLength = s.Stride * PhaseLength;
        }

        public int Length => Rows * RowLength;

        /// <summary>Offset of tap (r, t) from the start of an output row's first input row.</summary>
        public int TapOffset(int r, int t, int stride) => r * RowLength + t % stride * PhaseLength + t / stride;
    }

    /// <summary>dst = padded, phase-split copy of plane (H, W), padding set to <paramref name="fill"/>.</summary>
    internal static void PadPlane(ReadOnlySpan<float> plane, int H, int W, int pad, int stride, int phaseLength, int rowLength, float fill, Span<float> dst)
    {
        // Padding rows, then per image row: the padding around the pixels (only those cells are
        // filled, not the whole plane first), then the pixels themselves.
        dst.Slice(0, pad * rowLength).Fill(fill);
        dst.Slice((pad + H) * rowLength).Fill(fill);
        for (int h = 0; h < H; h++)
        {
            ReadOnlySpan<float> src = plane.Slice(h * W, W);
            Span<float> row = dst.Slice((h + pad) * rowLength, rowLength);
            if (stride == 1)
            {
                row[..pad].Fill(fill);
                src.CopyTo(row.Slice(pad, W));
                row[(pad + W)..].Fill(fill);
                continue;
            }
            if (stride == 2 && DeinterleaveRow(src, pad, phaseLength, fill, row)) continue;
            for (int ph = 0; ph < stride; ph++)
            {
                // Phase ph holds padded columns j = at·stride + ph; the pixels are pad ≤ j < pad + W,
                // i.e. at in [lo, hi). Counted up, not divided per pixel (a division per pixel cost
                // more than the pooling that reads it).
                int lo = Math.Max(0, pad - ph + stride - 1) / stride, hi = Math.Min(phaseLength, (pad + W - ph + stride - 1) / stride);
                Span<float> dstPhase = row.Slice(ph * phaseLength, phaseLength);
                dstPhase[..lo].Fill(fill);
                dstPhase[Math.Max(lo, hi)..].Fill(fill);
                ref float d = ref MemoryMarshal.GetReference(dstPhase);
                ref float x = ref MemoryMarshal.GetReference(src);
                for (int at = lo, j = lo * stride + ph - pad; at < hi; at++, j += stride)
                    Unsafe.Add(ref d, at) = Unsafe.Add(ref x, j);
            }
        }
    }

    /// <summary>
    /// Stride 2: even padded columns to phase 0, odd ones to phase 1, 16 (then 8, then 4) pixel
    /// pairs at a time with two shuffles and a blend per phase. False without SIMD (the caller
    /// then takes the scalar loop).
    /// </summary>
    private static bool DeinterleaveRow(ReadOnlySpan<float> src, int pad, int phaseLength, float fill, Span<float> row)
    {
        if (!Vector128.IsHardwareAccelerated) return false;
        int W = src.Length;
        Span<float> even = row[..phaseLength], odd = row.Slice(phaseLength, phaseLength);
        ref float x = ref MemoryMarshal.GetReference(src);
        // Padded column j = pixel j − pad goes to phase j & 1 at index j >> 1: phase 0 cell m holds
        // pixel 2m − pad, phase 1 cell m pixel 2m + 1 − pad. A step of n cells at m reads pixels
        // 2m − pad … 2m − pad + 2n − 1, so it needs 2m − pad ≥ 0 and 2m − pad + 2n ≤ W.
        int mFirst = Math.Min((pad + 1) / 2, phaseLength), m = mFirst;
        if (Vector512.IsHardwareAccelerated)
        {
            var idx = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
            var idx1 = idx + Vector512<int>.One;
            var low = Vector512.Create(-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0).AsSingle();
            for (; 2 * m - pad + 32 <= W && m + 16 <= phaseLength; m += 16)
            {
                var a = Vector512.LoadUnsafe(ref x, (nuint)(2 * m - pad));
                var b = Vector512.LoadUnsafe(ref x, (nuint)(2 * m - pad + 16));
                Vector512.ConditionalSelect(low, Vector512.Shuffle(a, idx), Vector512.Shuffle(b, idx)).CopyTo(even.Slice(m, 16));
                Vector512.ConditionalSelect(low, Vector512.Shuffle(a, idx1), Vector512.Shuffle(b, idx1)).CopyTo(odd.Slice(m, 16));
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var idx = Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6);
            var idx1 = idx + Vector256<int>.One;
            var low = Vector256.Create(-1, -1, -1, -1, 0, 0, 0, 0).AsSingle();
            for (; 2 * m - pad + 16 <= W && m + 8 <= phaseLength; m += 8)
            {
                var a = Vector256.LoadUnsafe(ref x, (nuint)(2 * m - pad));
                var b = Vector256.LoadUnsafe(ref x, (nuint)(2 * m - pad + 8));
                Vector256.ConditionalSelect(low, Vector256.Shuffle(a, idx), Vector256.Shuffle(b, idx)).CopyTo(even.Slice(m, 8));
                Vector256.ConditionalSelect(low, Vector256.Shuffle(a, idx1), Vector256.Shuffle(b, idx1)).CopyTo(odd.Slice(m, 8));
            }
        }
        {
            var idx = Vector128.Create(0, 2, 0, 2);
            var idx1 = idx + Vector128<int>.One;
            var low = Vector128.Create(-1, -1, 0, 0).AsSingle();
            for (; 2 * m - pad + 8 <= W && m + 4 <= phaseLength; m += 4)
            {
                var a = Vector128.LoadUnsafe(ref x, (nuint)(2 * m - pad));
                var b = Vector128.LoadUnsafe(ref x, (nuint)(2 * m - pad + 4));
                Vector128.ConditionalSelect(low, Vector128.Shuffle(a, idx), Vector128.Shuffle(b, idx)).CopyTo(even.Slice(m, 4));
                Vector128.ConditionalSelect(low, Vector128.Shuffle(a, idx1), Vector128.Shuffle(b, idx1)).CopyTo(odd.Slice(m, 4));
            }
        }
        // The cells before and after the vector steps, one at a time (padding or pixels).
        for (int i = 0; i < mFirst; i++) PairAt(src, i, pad, fill, even, odd);
        for (int i = m; i < phaseLength; i++) PairAt(src, i, pad, fill, even, odd);
        return true;
    }

    /// <summary>Phase cells i of a stride-2 split: pixel 2i − pad to even[i], 2i + 1 − pad to odd[i], fill outside the row.</summary>
    private static void PairAt(ReadOnlySpan<float> src, int i, int pad, float fill, Span<float> even, Span<float> odd)
    {
        int pe = 2 * i - pad, po = pe + 1;
        even[i] = (uint)pe < (uint)src.Length ? src[pe] : fill;
        odd[i] = (uint)po < (uint)src.Length ? src[po] : fill;
    }

    /// <summary>The inverse of <see cref="PadPlane"/>: plane (H, W) = the unpadded pixels of the padded, phase-split src.</summary>
    internal static void UnpadPlane(ReadOnlySpan<float> src, int H, int W, int pad, int stride, int phaseLength, int rowLength, Span<float> plane)
    {
        for (int h = 0; h < H; h++)
        {
            Span<float> dst = plane.Slice(h * W, W);
            ReadOnlySpan<float> row = src.Slice((h + pad) * rowLength, rowLength);
            if (stride == 1)
            {
                row.Slice(pad, W).CopyTo(dst);
                continue;
            }
            for (int ph = 0; ph < stride; ph++)
            {
                int j = pad + ((ph - pad) % stride + stride) % stride;
                ReadOnlySpan<float> srcPhase = row.Slice(ph * phaseLength, phaseLength);
                for (int at = j / stride; j < pad + W; j += stride, at++) dst[j - pad] = srcPhase[at];
            }
        }
    }

    /// <summary>
    /// Depthwise forward, direct SIMD kernel over a padded phase-split plane (see the file header):
    /// effectively computes y[n,c,p,q] = b[c] + Σ_{r,s} w[c,r,s]·x[n,c,p·stride+r−pad,q·stride+s−pad].
    /// Matches <see cref="ForwardNaive"/> within rounding (the taps are summed in another order).
    /// </summary>
    public static void ForwardSimd(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y)
    {
        CheckShape(s);
        s.CheckForward(x.Length, w.Length, bias.Length, y.Length, Op, s.C * s.R * s.S);
        int planes = s.N * s.C;
        long work = (long)s.OutputLength * s.R * s.S;
        if (Parallelism.Threads == 1 || work < 2 * ParallelWork || planes < 2)
            ForwardPlanes(x, w, bias, s, y, 0, planes);
        else
            ForwardParallel(x, w, bias, s, y, planes, work);
    }

    private static unsafe void ForwardParallel(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Conv2dShape s, Span<float> y, int planes, long work)
    {
        fixed (float* px = x, pw = w, pb = bias, py = y)
            Parallelism.For(planes, MinPlanes(planes, work),
                (X: new Pinned<float>(px, x.Length), W: new Pinned<float>(pw, w.Length), Bias: new Pinned<float>(pb, bias.Length), s, Y: new Pinned<float>(py, y.Length)),
                static (st, i0, i1) => ForwardPlanes(st.X.Span, st.W.Span, st.Bias.Span, st.s, st.Y.Span, i0, i1));
    }

    private static int MinPlanes(int planes, long work) => (int)Math.Max(1, ParallelWork / Math.Max(1, work / planes));

    /// <summary>Planes [i0, i1), plane = n·C + c.</summary>
    private static void ForwardPlanes(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y, int i0, int i1)
    {
        int C = s.C, H = s.H, W = s.W, R = s.R, S = s.S, P = s.P, Q = s.Q, stride = s.Stride, RS = R * S;
        var g = new Padded(s);
        float[] scratch = ArrayPool<float>.Shared.Rent(g.Length);
        Span<int> offsets = RS <= 64 ? stackalloc int[RS] : new int[RS];
        for (int r = 0; r < R; r++)
            for (int t = 0; t < S; t++) offsets[r * S + t] = g.TapOffset(r, t, stride);
        try
        {
            Span<float> xp = scratch.AsSpan(0, g.Length);
            ref int off = ref MemoryMarshal.GetReference(offsets);
            for (int i = i0; i < i1; i++)
            {
                int c = i % C;
                PadPlane(x.Slice(i * H * W, H * W), H, W, s.Pad, stride, g.PhaseLength, g.RowLength, 0f, xp);
                ref float wc = ref Unsafe.AsRef(in w[c * RS]);
                float b = bias.IsEmpty ? 0f : bias[c];
                Span<float> yPlane = y.Slice(i * P * Q, P * Q);
                for (int p = 0; p < P; p++)
                {
                    ref float src = ref xp[p * stride * g.RowLength];
                    ref float yRow = ref yPlane[p * Q];
                    // Width ladder; each width ends the row with one overlapping vector if it can
                    // (outputs are pure functions of x, so recomputing a few is harmless).
                    int q = ForwardRow<Lanes512, Vector512<float>>(ref src, ref off, ref wc, RS, b, ref yRow, 0, Q);
                    if (q < Q && q > 0) q = ForwardRow<Lanes512, Vector512<float>>(ref src, ref off, ref wc, RS, b, ref yRow, Q - 16, Q);
                    q = ForwardRow<Lanes256, Vector256<float>>(ref src, ref off, ref wc, RS, b, ref yRow, q, Q);
                    if (q < Q && Q >= 8) q = ForwardRow<Lanes256, Vector256<float>>(ref src, ref off, ref wc, RS, b, ref yRow, Q - 8, Q);
                    q = ForwardRow<Lanes128, Vector128<float>>(ref src, ref off, ref wc, RS, b, ref yRow, q, Q);
                    if (q < Q && Q >= 4) q = ForwardRow<Lanes128, Vector128<float>>(ref src, ref off, ref wc, RS, b, ref yRow, Q - 4, Q);
                    ForwardRow<Lanes1, float>(ref src, ref off, ref wc, RS, b, ref yRow, q, Q);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Output columns [q, Q) of one row, TL.Count at a time while they fill a vector:
    /// y[q] = b + Σ_tap w[tap]·src[off[tap] + q]. Returns the first column not done.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ForwardRow<TL, TV>(ref float src, ref int off, ref float wc, int taps, float b, ref float yRow, int q, int Q)
        where TL : ILanes<TV> where TV : struct
    {
        if (!TL.IsAccelerated) return q;
        for (; q <= Q - TL.Count; q += TL.Count)
        {
            // Four accumulators: consecutive FMAs into one register would wait on each other's latency.
            TV a0 = TL.Broadcast(b), a1 = TL.Broadcast(0f), a2 = a1, a3 = a1;
            int k = 0;
            for (; k <= taps - 4; k += 4)
            {
                a0 = TL.MultiplyAdd(TL.Load(ref src, Unsafe.Add(ref off, k) + q), TL.Broadcast(Unsafe.Add(ref wc, k)), a0);
                a1 = TL.MultiplyAdd(TL.Load(ref src, Unsafe.Add(ref off, k + 1) + q), TL.Broadcast(Unsafe.Add(ref wc, k + 1)), a1);
                a2 = TL.MultiplyAdd(TL.Load(ref src, Unsafe.Add(ref off, k + 2) + q), TL.Broadcast(Unsafe.Add(ref wc, k + 2)), a2);
                a3 = TL.MultiplyAdd(TL.Load(ref src, Unsafe.Add(ref off, k + 3) + q), TL.Broadcast(Unsafe.Add(ref wc, k + 3)), a3);
            }
            for (; k < taps; k++)
                a0 = TL.MultiplyAdd(TL.Load(ref src, Unsafe.Add(ref off, k) + q), TL.Broadcast(Unsafe.Add(ref wc, k)), a0);
            TL.Store(TL.Add(TL.Add(a0, a1), TL.Add(a2, a3)), ref yRow, q);
        }
        return q;
    }

    /// <summary>
    /// Depthwise input gradient, direct SIMD kernel (gather form over a padded phase-split
    /// scratch; see the file header): effectively computes
    /// dx[n,c,h,w] = Σ dy[n,c,p,q]·w[c,r,s] over p·stride+r−pad = h, q·stride+s−pad = w. Overwrites dx.
    /// </summary>
    public static void BackwardInputSimd(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx)
    {
        CheckBackwardInput(dy.Length, w.Length, s, dx.Length);
        int planes = s.N * s.C;
        long work = (long)s.OutputLength * s.R * s.S * s.Stride;
        if (Parallelism.Threads == 1 || work < 2 * ParallelWork || planes < 2)
            BackwardInputPlanes(dy, w, s, dx, 0, planes);
        else
            BackwardInputParallel(dy, w, s, dx, planes, work);
    }

    private static unsafe void BackwardInputParallel(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Conv2dShape s, Span<float> dx, int planes, long work)
    {
        fixed (float* pdy = dy, pw = w, pdx = dx)
            Parallelism.For(planes, MinPlanes(planes, work),
                (Dy: new Pinned<float>(pdy, dy.Length), W: new Pinned<float>(pw, w.Length), s, Dx: new Pinned<float>(pdx, dx.Length)),
                static (st, i0, i1) => BackwardInputPlanes(st.Dy.Span, st.W.Span, st.s, st.Dx.Span, i0, i1));
    }

    private static void BackwardInputPlanes(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx, int i0, int i1)
    {
        int C = s.C, H = s.H, W = s.W, R = s.R, S = s.S, P = s.P, Q = s.Q, stride = s.Stride, pad = s.Pad, RS = R * S;
        var g = new Padded(s, align: 16);   // phases a whole number of vectors long: no tails below
        int E = (S - 1) / stride;            // dy row is read up to E columns left of i
        int rowPad = g.PhaseLength + E;       // zero-padded dy row: dy[q] at E + q, zeros elsewhere
        float[] scratch = ArrayPool<float>.Shared.Rent(g.Length + rowPad);
        try
        {
            Span<float> dxp = scratch.AsSpan(0, g.Length);
            Span<float> dyRow = scratch.AsSpan(g.Length, rowPad);
            for (int i = i0; i < i1; i++)
            {
                int c = i % C;
                ReadOnlySpan<float> dyPlane = dy.Slice(i * P * Q, P * Q);
                ReadOnlySpan<float> wc = w.Slice(c * RS, RS);
                dxp.Clear();
                dyRow.Clear();
                for (int p = 0; p < P; p++)
                {
                    dyPlane.Slice(p * Q, Q).CopyTo(dyRow.Slice(E, Q));
                    for (int r = 0; r < R; r++)
                    {
                        int rowStart = (p * stride + r) * g.RowLength;
                        for (int ph = 0; ph < stride && ph < S; ph++)
                        {
                            // taps t ≡ ph (mod stride) land in this phase: dxphase[j] += Σ_t dy[j − t/stride]·w[r,t]
                            ref float dst = ref dxp[rowStart + ph * g.PhaseLength];
                            ref float dyr = ref MemoryMarshal.GetReference(dyRow);
                            ref float wr = ref Unsafe.AsRef(in wc[r * S]);
                            int j = GatherRow<Lanes512, Vector512<float>>(ref dst, ref dyr, E, ref wr, ph, S, stride, 0, g.PhaseLength);
                            j = GatherRow<Lanes256, Vector256<float>>(ref dst, ref dyr, E, ref wr, ph, S, stride, j, g.PhaseLength);
                            j = GatherRow<Lanes128, Vector128<float>>(ref dst, ref dyr, E, ref wr, ph, S, stride, j, g.PhaseLength);
                            GatherRow<Lanes1, float>(ref dst, ref dyr, E, ref wr, ph, S, stride, j, g.PhaseLength);
                        }
                    }
                }
                // Keep the valid part: dx[h, w] = dxp at padded (h + pad, w + pad).
                UnpadPlane(dxp, H, W, pad, stride, g.PhaseLength, g.RowLength, dx.Slice(i * H * W, H * W));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// dst[j] += Σ_{t = ph, ph+stride, … &lt; S} dyRow[E + j − t/stride]·w[t] for j in [j, end), TL.Count at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int GatherRow<TL, TV>(ref float dst, ref float dyRow, int E, ref float w, int ph, int S, int stride, int j, int end)
        where TL : ILanes<TV> where TV : struct
    {
        if (!TL.IsAccelerated) return j;
        for (; j <= end - TL.Count; j += TL.Count)
        {
            TV acc = TL.Load(ref dst, j);
            for (int t = ph, m = 0; t < S; t += stride, m++) // m = t / stride, since ph < stride
                acc = TL.MultiplyAdd(TL.Load(ref dyRow, E + j - m), TL.Broadcast(Unsafe.Add(ref w, t)), acc);
            TL.Store(acc, ref dst, j);
        }
        return j;
    }

    /// <summary>
    /// Depthwise weight and bias gradients, SIMD dot products over padded planes, threads over
    /// channels: effectively computes dw[c,r,s] = Σ_{n,p,q} dy[n,c,p,q]·x[n,c,p·stride+r−pad,q·stride+s−pad]
    /// and db[c] = Σ_{n,p,q} dy[n,c,p,q]. Overwrites dw; <paramref name="dBias"/> may be empty.
    /// </summary>
    public static void BackwardWeightSimd(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias)
    {
        CheckShape(s);
        Conv2dKernels.CheckBackwardWeight(x.Length, dy.Length, s, dw.Length, dBias.Length, Op, s.C * s.R * s.S);
        long work = (long)s.OutputLength * s.R * s.S;
        if (Parallelism.Threads == 1 || work < 2 * ParallelWork || s.C < 2)
            BackwardWeightChannels(x, dy, s, dw, dBias, 0, s.C);
        else
            BackwardWeightParallel(x, dy, s, dw, dBias, work);
    }

    private static unsafe void BackwardWeightParallel(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Conv2dShape s, Span<float> dw, Span<float> dBias, long work)
    {
        fixed (float* px = x, pdy = dy, pdw = dw, pdb = dBias)
            Parallelism.For(s.C, MinPlanes(s.C, work),
                (X: new Pinned<float>(px, x.Length), Dy: new Pinned<float>(pdy, dy.Length), s, Dw: new Pinned<float>(pdw, dw.Length), Db: new Pinned<float>(pdb, dBias.Length)),
                static (st, c0, c1) => BackwardWeightChannels(st.X.Span, st.Dy.Span, st.s, st.Dw.Span, st.Db.Span, c0, c1));
    }

    /// <summary>Channels [c0, c1): dw[c] and db[c] over the whole batch.</summary>
    private static void BackwardWeightChannels(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias, int c0, int c1)
    {
        int N = s.N, C = s.C, H = s.H, W = s.W, R = s.R, S = s.S, P = s.P, Q = s.Q, stride = s.Stride, RS = R * S;
        var g = new Padded(s);
        float[] scratch = ArrayPool<float>.Shared.Rent(g.Length);
        // Columns done at each width: [0, q16) with 16 lanes, [q16, q8) with 8, [q8, q4) with 4, [q4, Q) scalar.
        int q16 = Lanes512.IsAccelerated ? Q - Q % 16 : 0;
        int q8 = Lanes256.IsAccelerated ? q16 + (Q - q16) / 8 * 8 : q16;
        int q4 = Lanes128.IsAccelerated ? q8 + (Q - q8) / 4 * 4 : q8;
        try
        {
            Span<float> xp = scratch.AsSpan(0, g.Length);
            for (int c = c0; c < c1; c++)
            {
                Span<float> dwc = dw.Slice(c * RS, RS);
                dwc.Clear();
                float db = 0f;
                for (int n = 0; n < N; n++)
                {
                    int plane = n * C + c;
                    PadPlane(x.Slice(plane * H * W, H * W), H, W, s.Pad, stride, g.PhaseLength, g.RowLength, 0f, xp);
                    ReadOnlySpan<float> dyPlane = dy.Slice(plane * P * Q, P * Q);
                    if (!dBias.IsEmpty) db += ReduceKernels.Sum(dyPlane);
                    ref float dyr = ref MemoryMarshal.GetReference(dyPlane);
                    ref float xr = ref MemoryMarshal.GetReference(xp);
                    int rowStep = stride * g.RowLength;
                    for (int r = 0; r < R; r++)
                        for (int t = 0; t < S; t++)
                        {
                            int off = g.TapOffset(r, t, stride);
                            dwc[r * S + t] +=
                                TapDot<Lanes512, Vector512<float>>(ref dyr, Q, ref xr, rowStep, off, P, 0, q16) +
                                TapDot<Lanes256, Vector256<float>>(ref dyr, Q, ref xr, rowStep, off, P, q16, q8) +
                                TapDot<Lanes128, Vector128<float>>(ref dyr, Q, ref xr, rowStep, off, P, q8, q4) +
                                TapDot<Lanes1, float>(ref dyr, Q, ref xr, rowStep, off, P, q4, Q);
                        }
                }
                if (!dBias.IsEmpty) dBias[c] = db;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>Σ_p Σ_{q in [q0, q1)} dy[p, q]·src[p·rowStep + off + q], (q1 − q0) a multiple of TL.Count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float TapDot<TL, TV>(ref float dy, int Q, ref float src, int rowStep, int off, int P, int q0, int q1)
        where TL : ILanes<TV> where TV : struct
    {
        if (q1 <= q0) return 0f;
        // Two accumulators (even and odd rows) so consecutive FMAs do not wait on each other.
        TV a0 = TL.Broadcast(0f), a1 = a0;
        int p = 0;
        for (; p + 1 < P; p += 2)
        {
            ref float d0 = ref Unsafe.Add(ref dy, p * Q);
            ref float s0 = ref Unsafe.Add(ref src, p * rowStep + off);
            ref float d1 = ref Unsafe.Add(ref d0, Q);
            ref float s1 = ref Unsafe.Add(ref s0, rowStep);
            for (int q = q0; q < q1; q += TL.Count)
            {
                a0 = TL.MultiplyAdd(TL.Load(ref d0, q), TL.Load(ref s0, q), a0);
                a1 = TL.MultiplyAdd(TL.Load(ref d1, q), TL.Load(ref s1, q), a1);
            }
        }
        if (p < P)
        {
            ref float d0 = ref Unsafe.Add(ref dy, p * Q);
            ref float s0 = ref Unsafe.Add(ref src, p * rowStep + off);
            for (int q = q0; q < q1; q += TL.Count)
                a0 = TL.MultiplyAdd(TL.Load(ref d0, q), TL.Load(ref s0, q), a0);
        }
        return TL.Sum(TL.Add(a0, a1));
    }
}
