// Pool — 2-D max pooling, average pooling and global average pooling, NCHW, float32.
//
// Shapes: x (N,C,H,W), square window k×k, stride, zero/−∞ padding pad, y (N,C,P,Q) with
// P = (H + 2·pad − k)/stride + 1 and Q likewise (floor mode, as PyTorch's default). PoolShape
// below carries them; as in PyTorch, pad ≤ k/2 so every window holds at least one real pixel.
//   max:     y[n,c,p,q] = max over the window of x (padding never wins); argmax[n,c,p,q] = h·W + w
//            of the first maximum in row-major window order (index within the (n, c) plane).
//            NaN is ignored by the comparison (PyTorch would propagate it).
//   average: y = mean over the window's in-image pixels: the divisor is the count of real
//            pixels, not k² (count_include_pad = false). Note PyTorch's default is true; false
//            keeps border outputs unbiased by the padding and is what this engine's models use.
//   global:  y[n,c] = mean over the whole H×W plane, y is (N,C).
// Backward: max sends dy to its argmax (a scatter-add: overlapping windows may pick the same
// pixel); average spreads dy[p,q]/count(p,q) over the window's real pixels; global spreads
// dy[n,c]/(H·W) over the plane. Backward kernels overwrite dx.
//
// Variants, in reading order (every op has both):
//   1. Naive — loops per output with a bounds test per tap; single-threaded. The reference.
//   2. Simd  — per (n, c) plane, threaded over the N·C planes:
//      * max / average forward: the plane is copied into a padded, phase-split scratch (padding
//        −∞ for max, 0 for average; column j at phase j mod stride, index j / stride, as in
//        DepthwiseConv2d.cs), so each window tap is a contiguous load for any stride. Lanes are
//        output columns q (Lanes: 16 → 8 → 4 → 1, each width ending the row with one
//        overlapping vector rather than a scalar tail: for the 12-wide rows of a 24×24 → 12×12
//        pool, a scalar tail with its unpredictable compare branches cost more than the rest). Max keeps the running max and its index (a float
//        vector; indices < 2^24 are exact) and updates both with a strict compare + select, in
//        the naive order, so the argmax matches the reference exactly. Average multiplies the
//        window sum by 1/rowcount · 1/colcount[q] (precomputed once per call).
//      * average backward: the adjoint of the forward, gathered per (row, window row, phase) into
//        a padded scratch like DepthwiseConv2d's input gradient, then the valid part copied out.
//      * max backward: a scatter by index has nothing to vectorise; the fast variant is the
//        same loop threaded over planes (MaxPool2dBackwardParallel).
//      * global: one vectorised sum per plane (VectorLoop.Reduce); backward is one Fill.
//
//   dotnet run -c Release --project src/Runner -- kernel pool --variant 2

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels.Pool;

/// <summary>
/// Dimensions of a 2-D pooling: input (N,C,H,W), square window Kernel×Kernel, stride, padding;
/// output (N,C,P,Q). The constructor validates them.
/// </summary>
public readonly record struct PoolShape
{
    public int N { get; }
    public int C { get; }
    public int H { get; }
    public int W { get; }
    public int Kernel { get; }
    public int Stride { get; }
    public int Pad { get; }

    public PoolShape(int n, int c, int h, int w, int kernel, int stride, int pad = 0)
    {
        if (n < 0 || c < 1 || h < 1 || w < 1)
            throw new ArgumentException($"pool2d: input dimensions must be positive (N ≥ 0), got ({n},{c},{h},{w})");
        if (kernel < 1) throw new ArgumentException($"pool2d: kernel size must be at least 1, got {kernel}");
        if (stride < 1) throw new ArgumentException($"pool2d: stride must be at least 1, got {stride}");
        if (pad < 0 || pad > kernel / 2)
            throw new ArgumentException($"pool2d: padding must be in [0, kernel/2] = [0, {kernel / 2}], got {pad}");
        if (h + 2 * pad < kernel || w + 2 * pad < kernel)
            throw new ArgumentException($"pool2d: a {kernel}×{kernel} window does not fit the {h}×{w} input padded by {pad}");
        (N, C, H, W, Kernel, Stride, Pad) = (n, c, h, w, kernel, stride, pad);
    }

    public int P => (H + 2 * Pad - Kernel) / Stride + 1;
    public int Q => (W + 2 * Pad - Kernel) / Stride + 1;
    public int InputLength => N * C * H * W;
    public int OutputLength => N * C * P * Q;

    public override string ToString() =>
        $"input ({N},{C},{H},{W}), window {Kernel}×{Kernel}, stride {Stride}, pad {Pad}, output ({N},{C},{P},{Q})";

    /// <summary>Throws unless length == expected; the message (and its allocation) only on failure.</summary>
    internal void Check(int length, int expected, string name, ReadOnlySpan<int> dims, string op)
    {
        if (length != expected)
            throw new ArgumentException($"{op}: {name} has {length} elements, expected ({string.Join(",", dims.ToArray())}) = {expected} for {this}", name);
    }

    internal void CheckIn(int length, string name, string op) => Check(length, InputLength, name, [N, C, H, W], op);
    internal void CheckOut(int length, string name, string op) => Check(length, OutputLength, name, [N, C, P, Q], op);
}

/// <summary>Max, average and global average pooling kernels, forward and backward.</summary>
public static partial class PoolKernels
{
    /// <summary>Window taps (or input elements, for the backward passes) a thread should get at least; smaller jobs stay on the calling thread.</summary>
    internal const int ParallelWork = 1 << 18;

    // ================================================================== max pool

    /// <summary>
    /// Reference max pooling: y[n,c,p,q] = max of x over the window (padding excluded),
    /// argmax[n,c,p,q] = h·W + w of the first maximum in row-major window order.
    /// </summary>
    public static void MaxPool2dNaive(ReadOnlySpan<float> x, in PoolShape s, Span<float> y, Span<int> argmax)
    {
        s.CheckIn(x.Length, "x", "max_pool2d");
        s.CheckOut(y.Length, "y", "max_pool2d");
        if (argmax.Length != y.Length) throw new ArgumentException($"max_pool2d: argmax has {argmax.Length} elements, expected {y.Length} for {s}", nameof(argmax));
        int H = s.H, W = s.W, k = s.Kernel, P = s.P, Q = s.Q;
        for (int plane = 0; plane < s.N * s.C; plane++)
        {
            ReadOnlySpan<float> xp = x.Slice(plane * H * W, H * W);
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++)
                {
                    int h0 = p * s.Stride - s.Pad, w0 = q * s.Stride - s.Pad;
                    // Start from the first real pixel with −∞, so an all −∞ window still names a real pixel.
                    float best = float.NegativeInfinity;
                    int arg = Math.Max(h0, 0) * W + Math.Max(w0, 0);
                    for (int r = 0; r < k; r++)
                    {
                        int h = h0 + r;
                        if ((uint)h >= (uint)H) continue;
                        for (int t = 0; t < k; t++)
                        {
                            int w = w0 + t;
                            if ((uint)w >= (uint)W) continue;
                            float v = xp[h * W + w];
                            if (v > best) { best = v; arg = h * W + w; }
                        }
                    }
                    int o = (plane * P + p) * Q + q;
                    y[o] = best;
                    argmax[o] = arg;
                }
        }
    }

    /// <summary>Max pooling, SIMD over output columns, threaded over planes; same results as <see cref="MaxPool2dNaive"/> bit for bit.</summary>
    public static void MaxPool2dSimd(ReadOnlySpan<float> x, in PoolShape s, Span<float> y, Span<int> argmax)
    {
        s.CheckIn(x.Length, "x", "max_pool2d");
        s.CheckOut(y.Length, "y", "max_pool2d");
        if (argmax.Length != y.Length) throw new ArgumentException($"max_pool2d: argmax has {argmax.Length} elements, expected {y.Length} for {s}", nameof(argmax));
        int planes = s.N * s.C;
        long work = (long)s.OutputLength * s.Kernel * s.Kernel;
        if (Parallelism.Threads == 1 || work < 2 * ParallelWork || planes < 2)
            MaxPlanes(x, s, y, argmax, 0, planes);
        else
            MaxParallel(x, s, y, argmax, planes, work);
    }

    private static int MinPlanes(int planes, long work) => (int)Math.Max(1, ParallelWork / Math.Max(1, work / planes));

    private static unsafe void MaxParallel(ReadOnlySpan<float> x, PoolShape s, Span<float> y, Span<int> argmax, int planes, long work)
    {
        fixed (float* px = x, py = y)
        fixed (int* pa = argmax)
            Parallelism.For(planes, MinPlanes(planes, work),
                (X: new Pinned<float>(px, x.Length), s, Y: new Pinned<float>(py, y.Length), Argmax: new Pinned<int>(pa, y.Length)),
                static (st, i0, i1) => MaxPlanes(st.X.Span, st.s, st.Y.Span, st.Argmax.Span, i0, i1));
    }

    /// <summary>Padded, phase-split plane geometry (see DepthwiseConv2d.cs): column j at (j mod stride)·PhaseLength + j / stride.</summary>
    private readonly struct Padded
    {
        public readonly int PhaseLength, RowLength, Length;

        /// <param name="s">The pooling.</param>
        /// <param name="align">PhaseLength is rounded up to a multiple of this (the extra columns are scratch).</param>
        public Padded(in PoolShape s, int align = 1)
        {
            PhaseLength = ((s.W + 2 * s.Pad + s.Stride - 1) / s.Stride + align - 1) / align * align;
            RowLength = s.Stride * PhaseLength;
            Length = (s.H + 2 * s.Pad) * RowLength;
        }

        public int TapOffset(int r, int t, int stride) => r * RowLength + t % stride * PhaseLength + t / stride;
    }

    private static void MaxPlanes(ReadOnlySpan<float> x, in PoolShape s, Span<float> y, Span<int> argmax, int i0, int i1)
    {
        int H = s.H, W = s.W, k = s.Kernel, P = s.P, Q = s.Q, stride = s.Stride, pad = s.Pad, taps = k * k;
        var g = new Padded(s);
        float[] scratch = ArrayPool<float>.Shared.Rent(g.Length);
        Span<int> offsets = taps <= 64 ? stackalloc int[taps] : new int[taps];
        for (int r = 0; r < k; r++)
            for (int t = 0; t < k; t++) offsets[r * k + t] = g.TapOffset(r, t, stride);
        try
        {
            Span<float> xp = scratch.AsSpan(0, g.Length);
            ref int off = ref MemoryMarshal.GetReference(offsets);
            for (int i = i0; i < i1; i++)
            {
                DepthwiseConv2dKernels.PadPlane(x.Slice(i * H * W, H * W), H, W, pad, stride, g.PhaseLength, g.RowLength, float.NegativeInfinity, xp);
                for (int p = 0; p < P; p++)
                {
                    int h0 = p * stride - pad;
                    var row = new MaxRow(h0, W, k, stride, pad);
                    ref float src = ref xp[p * stride * g.RowLength];
                    ref float yRow = ref y[(i * P + p) * Q];
                    ref int aRow = ref argmax[(i * P + p) * Q];
                    // Width ladder, each width ending with one overlapping vector (outputs are pure functions of x).
                    int q = MaxRowRun<Lanes512, Vector512<float>>(ref src, ref off, row, ref yRow, ref aRow, 0, Q);
                    if (q < Q && q > 0) q = MaxRowRun<Lanes512, Vector512<float>>(ref src, ref off, row, ref yRow, ref aRow, Q - 16, Q);
                    q = MaxRowRun<Lanes256, Vector256<float>>(ref src, ref off, row, ref yRow, ref aRow, q, Q);
                    if (q < Q && Q >= 8) q = MaxRowRun<Lanes256, Vector256<float>>(ref src, ref off, row, ref yRow, ref aRow, Q - 8, Q);
                    q = MaxRowRun<Lanes128, Vector128<float>>(ref src, ref off, row, ref yRow, ref aRow, q, Q);
                    if (q < Q && Q >= 4) q = MaxRowRun<Lanes128, Vector128<float>>(ref src, ref off, row, ref yRow, ref aRow, Q - 4, Q);
                    MaxRowRun<Lanes1, float>(ref src, ref off, row, ref yRow, ref aRow, q, Q);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>What one output row needs to name input pixels: h0 = p·stride − pad, the plane width, window, stride, pad.</summary>
    private readonly record struct MaxRow(int H0, int W, int K, int Stride, int Pad);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MaxRowRun<TL, TV>(ref float src, ref int off, MaxRow row, ref float yRow, ref int aRow, int q, int Q)
        where TL : ILanes<TV> where TV : struct
    {
        if (!TL.IsAccelerated) return q;
        int k = row.K;
        for (; q <= Q - TL.Count; q += TL.Count)
        {
            // Lane l is output column q + l; its window starts at input column w0 = (q + l)·stride − pad.
            TV w0 = TL.Ramp(q * row.Stride - row.Pad, row.Stride);
            // Initial index: the first real pixel (max(h0,0), max(w0,0)), as in the naive loop.
            TV best = TL.Broadcast(float.NegativeInfinity);
            TV arg = TL.Add(TL.Broadcast(Math.Max(row.H0, 0) * row.W), TL.Max(w0, TL.Broadcast(0f)));
            for (int r = 0; r < k; r++)
            {
                TV rowBase = TL.Add(w0, TL.Broadcast((row.H0 + r) * row.W)); // index of tap (r, 0)
                for (int t = 0; t < k; t++)
                {
                    TV v = TL.Load(ref src, Unsafe.Add(ref off, r * k + t) + q);
                    TV gt = TL.GreaterThan(v, best); // padding is −∞: never greater
                    best = TL.Select(gt, v, best);
                    arg = TL.Select(gt, TL.Add(rowBase, TL.Broadcast(t)), arg);
                }
            }
            TL.Store(best, ref yRow, q);
            TL.StoreInt32(arg, ref aRow, q);
        }
        return q;
    }

    /// <summary>Reference max-pool backward: dx = 0, then dx[plane, argmax[o]] += dy[o] for every output o.</summary>
    public static void MaxPool2dBackwardNaive(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, in PoolShape s, Span<float> dx)
    {
        CheckMaxBackward(dy.Length, argmax.Length, s, dx.Length);
        dx.Clear();
        MaxBackwardPlanes(dy, argmax, s, dx, 0, s.N * s.C);
    }

    /// <summary>Max-pool backward threaded over planes (the scatter itself has nothing to vectorise). Same results as the naive one.</summary>
    public static void MaxPool2dBackwardParallel(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, in PoolShape s, Span<float> dx)
    {
        CheckMaxBackward(dy.Length, argmax.Length, s, dx.Length);
        int planes = s.N * s.C;
        if (Parallelism.Threads == 1 || (long)s.InputLength < 2 * ParallelWork || planes < 2)
        {
            dx.Clear();
            MaxBackwardPlanes(dy, argmax, s, dx, 0, planes);
        }
        else
            MaxBackwardParallel(dy, argmax, s, dx, planes);
    }

    private static unsafe void MaxBackwardParallel(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, PoolShape s, Span<float> dx, int planes)
    {
        int hw = s.H * s.W;
        fixed (float* pdy = dy, pdx = dx)
        fixed (int* pa = argmax)
            Parallelism.For(planes, Math.Max(1, ParallelWork / hw),
                (Dy: new Pinned<float>(pdy, dy.Length), Argmax: new Pinned<int>(pa, dy.Length), s, Dx: new Pinned<float>(pdx, dx.Length)),
                static (st, i0, i1) =>
                {
                    int hw = st.s.H * st.s.W;
                    Span<float> dx = st.Dx.Span;
                    dx.Slice(i0 * hw, (i1 - i0) * hw).Clear();
                    MaxBackwardPlanes(st.Dy.Span, st.Argmax.Span, st.s, dx, i0, i1);
                });
    }

    private static void MaxBackwardPlanes(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, in PoolShape s, Span<float> dx, int i0, int i1)
    {
        int hw = s.H * s.W, pq = s.P * s.Q;
        for (int i = i0; i < i1; i++)
        {
            Span<float> plane = dx.Slice(i * hw, hw);
            ReadOnlySpan<float> g = dy.Slice(i * pq, pq);
            ReadOnlySpan<int> a = argmax.Slice(i * pq, pq);
            for (int o = 0; o < pq; o++) plane[a[o]] += g[o];
        }
    }

    private static void CheckMaxBackward(int dyLength, int argmaxLength, in PoolShape s, int dxLength)
    {
        s.CheckOut(dyLength, "dy", "max_pool2d backward");
        s.CheckOut(argmaxLength, "argmax", "max_pool2d backward");
        s.CheckIn(dxLength, "dx", "max_pool2d backward");
    }

    // ================================================================== average pool

    /// <summary>Real (in-image) rows or columns of the window starting at a0 = index·stride − pad.</summary>
    private static int Count(int a0, int k, int size) => Math.Min(a0 + k, size) - Math.Max(a0, 0);

    /// <summary>
    /// Reference average pooling with count_include_pad = false:
    /// y[n,c,p,q] = (Σ of x over the window's real pixels) / (number of real pixels).
    /// </summary>
    public static void AvgPool2dNaive(ReadOnlySpan<float> x, in PoolShape s, Span<float> y)
    {
        s.CheckIn(x.Length, "x", "avg_pool2d");
        s.CheckOut(y.Length, "y", "avg_pool2d");
        int H = s.H, W = s.W, k = s.Kernel, P = s.P, Q = s.Q;
        for (int plane = 0; plane < s.N * s.C; plane++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++)
                {
                    int h0 = p * s.Stride - s.Pad, w0 = q * s.Stride - s.Pad;
                    float sum = 0f;
                    for (int h = Math.Max(h0, 0); h < Math.Min(h0 + k, H); h++)
                        for (int w = Math.Max(w0, 0); w < Math.Min(w0 + k, W); w++)
                            sum += x[(plane * H + h) * W + w];
                    y[(plane * P + p) * Q + q] = sum / (Count(h0, k, H) * Count(w0, k, W));
                }
    }

    /// <summary>Average pooling (count_include_pad = false), SIMD over output columns, threaded over planes.</summary>
    public static void AvgPool2dSimd(ReadOnlySpan<float> x, in PoolShape s, Span<float> y)
    {
        s.CheckIn(x.Length, "x", "avg_pool2d");
        s.CheckOut(y.Length, "y", "avg_pool2d");
        int planes = s.N * s.C;
        long work = (long)s.OutputLength * s.Kernel * s.Kernel;
        float[] inv = ColumnReciprocals(s);
        try
        {
            if (Parallelism.Threads == 1 || work < 2 * ParallelWork || planes < 2)
                AvgPlanes(x, s, inv, y, 0, planes);
            else
                AvgParallel(x, s, inv, y, planes, work);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(inv);
        }
    }

    /// <summary>1 / (real columns of the window of output column q), for q in [0, Q); rented, return it.</summary>
    private static float[] ColumnReciprocals(in PoolShape s)
    {
        float[] inv = ArrayPool<float>.Shared.Rent(s.Q);
        for (int q = 0; q < s.Q; q++) inv[q] = 1f / Count(q * s.Stride - s.Pad, s.Kernel, s.W);
        return inv;
    }

    private static unsafe void AvgParallel(ReadOnlySpan<float> x, PoolShape s, float[] inv, Span<float> y, int planes, long work)
    {
        fixed (float* px = x, py = y)
            Parallelism.For(planes, MinPlanes(planes, work), (X: new Pinned<float>(px, x.Length), s, inv, Y: new Pinned<float>(py, y.Length)),
                static (st, i0, i1) => AvgPlanes(st.X.Span, st.s, st.inv, st.Y.Span, i0, i1));
    }

    private static void AvgPlanes(ReadOnlySpan<float> x, in PoolShape s, float[] inv, Span<float> y, int i0, int i1)
    {
        int H = s.H, W = s.W, k = s.Kernel, P = s.P, Q = s.Q, stride = s.Stride, pad = s.Pad, taps = k * k;
        var g = new Padded(s);
        float[] scratch = ArrayPool<float>.Shared.Rent(g.Length);
        Span<int> offsets = taps <= 64 ? stackalloc int[taps] : new int[taps];
        for (int r = 0; r < k; r++)
            for (int t = 0; t < k; t++) offsets[r * k + t] = g.TapOffset(r, t, stride);
        try
        {
            Span<float> xp = scratch.AsSpan(0, g.Length);
            ref int off = ref MemoryMarshal.GetReference(offsets);
            ref float invCol = ref inv[0];
            for (int i = i0; i < i1; i++)
            {
                DepthwiseConv2dKernels.PadPlane(x.Slice(i * H * W, H * W), H, W, pad, stride, g.PhaseLength, g.RowLength, 0f, xp);
                for (int p = 0; p < P; p++)
                {
                    float invRow = 1f / Count(p * stride - pad, k, H);
                    ref float src = ref xp[p * stride * g.RowLength];
                    ref float yRow = ref y[(i * P + p) * Q];
                    int q = AvgRow<Lanes512, Vector512<float>>(ref src, ref off, taps, invRow, ref invCol, ref yRow, 0, Q);
                    if (q < Q && q > 0) q = AvgRow<Lanes512, Vector512<float>>(ref src, ref off, taps, invRow, ref invCol, ref yRow, Q - 16, Q);
                    q = AvgRow<Lanes256, Vector256<float>>(ref src, ref off, taps, invRow, ref invCol, ref yRow, q, Q);
                    if (q < Q && Q >= 8) q = AvgRow<Lanes256, Vector256<float>>(ref src, ref off, taps, invRow, ref invCol, ref yRow, Q - 8, Q);
                    q = AvgRow<Lanes128, Vector128<float>>(ref src, ref off, taps, invRow, ref invCol, ref yRow, q, Q);
                    if (q < Q && Q >= 4) q = AvgRow<Lanes128, Vector128<float>>(ref src, ref off, taps, invRow, ref invCol, ref yRow, Q - 4, Q);
                    AvgRow<Lanes1, float>(ref src, ref off, taps, invRow, ref invCol, ref yRow, q, Q);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int AvgRow<TL, TV>(ref float src, ref int off, int taps, float invRow, ref float invCol, ref float yRow, int q, int Q)
        where TL : ILanes<TV> where TV : struct
    {
        if (!TL.IsAccelerated) return q;
        for (; q <= Q - TL.Count; q += TL.Count)
        {
            TV a0 = TL.Broadcast(0f), a1 = a0;
            int j = 0;
            for (; j + 1 < taps; j += 2)
            {
                a0 = TL.Add(a0, TL.Load(ref src, Unsafe.Add(ref off, j) + q));
                a1 = TL.Add(a1, TL.Load(ref src, Unsafe.Add(ref off, j + 1) + q));
            }
            if (j < taps) a0 = TL.Add(a0, TL.Load(ref src, Unsafe.Add(ref off, j) + q));
            TL.Store(TL.Multiply(TL.Multiply(TL.Add(a0, a1), TL.Broadcast(invRow)), TL.Load(ref invCol, q)), ref yRow, q);
        }
        return q;
    }

    /// <summary>
    /// Reference average-pool backward (count_include_pad = false): dx = 0, then every real pixel
    /// of window (p, q) gets dy[p,q] / count(p,q).
    /// </summary>
    public static void AvgPool2dBackwardNaive(ReadOnlySpan<float> dy, in PoolShape s, Span<float> dx)
    {
        s.CheckOut(dy.Length, "dy", "avg_pool2d backward");
        s.CheckIn(dx.Length, "dx", "avg_pool2d backward");
        int H = s.H, W = s.W, k = s.Kernel, P = s.P, Q = s.Q;
        dx.Clear();
        for (int plane = 0; plane < s.N * s.C; plane++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++)
                {
                    int h0 = p * s.Stride - s.Pad, w0 = q * s.Stride - s.Pad;
                    float g = dy[(plane * P + p) * Q + q] / (Count(h0, k, H) * Count(w0, k, W));
                    for (int h = Math.Max(h0, 0); h < Math.Min(h0 + k, H); h++)
                        for (int w = Math.Max(w0, 0); w < Math.Min(w0 + k, W); w++)
                            dx[(plane * H + h) * W + w] += g;
                }
    }

    /// <summary>Average-pool backward, SIMD gather into a padded phase-split scratch, threaded over planes.</summary>
    public static void AvgPool2dBackwardSimd(ReadOnlySpan<float> dy, in PoolShape s, Span<float> dx)
    {
        s.CheckOut(dy.Length, "dy", "avg_pool2d backward");
        s.CheckIn(dx.Length, "dx", "avg_pool2d backward");
        int planes = s.N * s.C;
        long work = (long)s.OutputLength * s.Kernel * s.Kernel * s.Stride;
        float[] inv = ColumnReciprocals(s);
        try
        {
            if (Parallelism.Threads == 1 || work < 2 * ParallelWork || planes < 2)
                AvgBackwardPlanes(dy, s, inv, dx, 0, planes);
            else
                AvgBackwardParallel(dy, s, inv, dx, planes, work);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(inv);
        }
    }

    private static unsafe void AvgBackwardParallel(ReadOnlySpan<float> dy, PoolShape s, float[] inv, Span<float> dx, int planes, long work)
    {
        fixed (float* pdy = dy, pdx = dx)
            Parallelism.For(planes, MinPlanes(planes, work), (Dy: new Pinned<float>(pdy, dy.Length), s, inv, Dx: new Pinned<float>(pdx, dx.Length)),
                static (st, i0, i1) => AvgBackwardPlanes(st.Dy.Span, st.s, st.inv, st.Dx.Span, i0, i1));
    }

    private static void AvgBackwardPlanes(ReadOnlySpan<float> dy, in PoolShape s, float[] inv, Span<float> dx, int i0, int i1)
    {
        int H = s.H, W = s.W, k = s.Kernel, P = s.P, Q = s.Q, stride = s.Stride, pad = s.Pad;
        var g = new Padded(s, align: 16);       // phases a whole number of vectors long: no tails below
        int E = (k - 1) / stride;               // the scaled dy row is read up to E columns left of j
        int rowPad = g.PhaseLength + E;
        float[] scratch = ArrayPool<float>.Shared.Rent(g.Length + rowPad);
        try
        {
            Span<float> dxp = scratch.AsSpan(0, g.Length);
            Span<float> gRow = scratch.AsSpan(g.Length, rowPad);
            gRow.Clear();
            ref float gr = ref MemoryMarshal.GetReference(gRow);
            for (int i = i0; i < i1; i++)
            {
                dxp.Clear();
                ReadOnlySpan<float> dyPlane = dy.Slice(i * P * Q, P * Q);
                for (int p = 0; p < P; p++)
                {
                    // g[q] = dy[p,q] / count(p,q), placed at E + q in a zero-padded row
                    float invRow = 1f / Count(p * stride - pad, k, H);
                    ReadOnlySpan<float> d = dyPlane.Slice(p * Q, Q);
                    for (int q = 0; q < Q; q++) gRow[E + q] = d[q] * invRow * inv[q];
                    for (int r = 0; r < k; r++)
                    {
                        int rowStart = (p * stride + r) * g.RowLength;
                        for (int ph = 0; ph < stride && ph < k; ph++)
                        {
                            ref float dst = ref dxp[rowStart + ph * g.PhaseLength];
                            int j = SpreadRow<Lanes512, Vector512<float>>(ref dst, ref gr, E, ph, k, stride, 0, g.PhaseLength);
                            j = SpreadRow<Lanes256, Vector256<float>>(ref dst, ref gr, E, ph, k, stride, j, g.PhaseLength);
                            j = SpreadRow<Lanes128, Vector128<float>>(ref dst, ref gr, E, ph, k, stride, j, g.PhaseLength);
                            SpreadRow<Lanes1, float>(ref dst, ref gr, E, ph, k, stride, j, g.PhaseLength);
                        }
                    }
                }
                DepthwiseConv2dKernels.UnpadPlane(dxp, H, W, pad, stride, g.PhaseLength, g.RowLength, dx.Slice(i * H * W, H * W));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>dst[j] += Σ_{t = ph, ph+stride, … &lt; k} g[E + j − t/stride] for j in [j, end), TL.Count at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SpreadRow<TL, TV>(ref float dst, ref float g, int E, int ph, int k, int stride, int j, int end)
        where TL : ILanes<TV> where TV : struct
    {
        if (!TL.IsAccelerated) return j;
        for (; j <= end - TL.Count; j += TL.Count)
        {
            TV acc = TL.Load(ref dst, j);
            for (int t = ph, m = 0; t < k; t += stride, m++) // m = t / stride, since ph < stride
                acc = TL.Add(acc, TL.Load(ref g, E + j - m));
            TL.Store(acc, ref dst, j);
        }
        return j;
    }

    // ================================================================== global average pool

    /// <summary>Reference global average pooling: y[n,c] = mean of x[n,c,:,:]. y is (N,C).</summary>
    public static void GlobalAvgPool2dNaive(ReadOnlySpan<float> x, int N, int C, int H, int W, Span<float> y)
    {
        CheckGlobal(x.Length, N, C, H, W, y.Length, "x", "y", "global_avg_pool2d");
        int hw = H * W;
        for (int i = 0; i < N * C; i++)
        {
            float sum = 0f;
            for (int j = 0; j < hw; j++) sum += x[i * hw + j];
            y[i] = sum / hw;
        }
    }

    /// <summary>Global average pooling, one vectorised sum per plane, threaded over planes.</summary>
    public static void GlobalAvgPool2dSimd(ReadOnlySpan<float> x, int N, int C, int H, int W, Span<float> y)
    {
        CheckGlobal(x.Length, N, C, H, W, y.Length, "x", "y", "global_avg_pool2d");
        int planes = N * C, hw = H * W;
        if (Parallelism.Threads == 1 || (long)x.Length < 2 * ParallelWork || planes < 2)
            GlobalPlanes(x, hw, y, 0, planes);
        else
            GlobalParallel(x, hw, y, planes);
    }

    private static unsafe void GlobalParallel(ReadOnlySpan<float> x, int hw, Span<float> y, int planes)
    {
        fixed (float* px = x, py = y)
            Parallelism.For(planes, Math.Max(1, ParallelWork / hw), (X: new Pinned<float>(px, x.Length), hw, Y: new Pinned<float>(py, y.Length)),
                static (st, i0, i1) => GlobalPlanes(st.X.Span, st.hw, st.Y.Span, i0, i1));
    }

    private static void GlobalPlanes(ReadOnlySpan<float> x, int hw, Span<float> y, int i0, int i1)
    {
        float inv = 1f / hw;
        for (int i = i0; i < i1; i++) y[i] = VectorLoop.Reduce<Reduce.SumOp>(x.Slice(i * hw, hw)) * inv;
    }

    /// <summary>Reference global average-pool backward: dx[n,c,h,w] = dy[n,c] / (H·W).</summary>
    public static void GlobalAvgPool2dBackwardNaive(ReadOnlySpan<float> dy, int N, int C, int H, int W, Span<float> dx)
    {
        CheckGlobal(dx.Length, N, C, H, W, dy.Length, "dx", "dy", "global_avg_pool2d backward");
        int hw = H * W;
        for (int i = 0; i < N * C; i++)
            for (int j = 0; j < hw; j++) dx[i * hw + j] = dy[i] / hw;
    }

    /// <summary>Global average-pool backward: one vectorised Fill per plane.</summary>
    public static void GlobalAvgPool2dBackwardSimd(ReadOnlySpan<float> dy, int N, int C, int H, int W, Span<float> dx)
    {
        CheckGlobal(dx.Length, N, C, H, W, dy.Length, "dx", "dy", "global_avg_pool2d backward");
        int hw = H * W;
        for (int i = 0; i < N * C; i++) dx.Slice(i * hw, hw).Fill(dy[i] / hw);
    }

    private static void CheckGlobal(int planeLength, int N, int C, int H, int W, int pooledLength, string planeName, string pooledName, string op)
    {
        if (N < 0 || C < 1 || H < 1 || W < 1)
            throw new ArgumentException($"{op}: dimensions must be positive (N ≥ 0), got ({N},{C},{H},{W})");
        if (planeLength != N * C * H * W)
            throw new ArgumentException($"{op}: {planeName} has {planeLength} elements, expected ({N},{C},{H},{W}) = {N * C * H * W}", planeName);
        if (pooledLength != N * C)
            throw new ArgumentException($"{op}: {pooledName} has {pooledLength} elements, expected ({N},{C}) = {N * C}", pooledName);
    }
}
