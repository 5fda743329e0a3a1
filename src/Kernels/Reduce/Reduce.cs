// Reduce — sum, mean, max and argmax over one axis of a contiguous tensor.
//
// Shapes: x is (O, A, I) row-major, where O = outer, A = axis (the reduced dimension) and
// I = inner; y is (O, I). Reducing the last axis of a matrix is I = 1, the first is O = 1, and
// any axis of a larger tensor folds the dimensions before it into O and after it into I.
// Variants, in reading order (every op has both):
//   1. Naive — loops o, i, then a innermost: one scalar fold per output, the reference. Strided
//              when I > 1, single-threaded.
//   2. Simd  — I == 1: each output folds one contiguous row of A floats with VectorLoop.Reduce
//              (four vector accumulators). I > 1: vectorise across I instead — the output row
//              accumulates whole input rows, y[o,:] ⊕= x[o,a,:], contiguous on both sides, in
//              column tiles small enough to stay in L1. Threads split O, or the columns of I
//              when O is too small to go round.
// Whole-span helpers: Sum, Max, Dot (one vector fold each, single-threaded).
//
// Rounding: Simd Sum with I == 1 adds in another order than the naive left-to-right loop
// (16-lane partial sums in four accumulators, then a horizontal add), so it differs from Naive
// by rounding — usually it is closer to the exact sum, since each partial sum is A/64 terms
// long. With I > 1 every lane adds its own column in naive order: bit-identical to Naive.
//
// Edge cases, the same in every variant: A == 0 gives Sum 0, Mean NaN (0/0, as NumPy and
// PyTorch), Max −∞ (the identity of max), and ArgMax throws (there is no index to return).
// NaN: Max propagates it; ArgMax returns the index of the first NaN (as NumPy and PyTorch).
// y must not overlap x.
//
//   dotnet run -c Release --project src/Runner -- kernel reduce --variant 2

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FusionScratch.Kernels.Reduce;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels;

/// <summary>Reductions over the middle axis of an (outer, axis, inner) view, plus whole-span folds.</summary>
public static partial class ReduceKernels
{
    /// <summary>Input elements a thread should get at least; smaller reductions stay on the calling thread.</summary>
    internal const int ParallelThreshold = 1 << 16;

    /// <summary>Columns per tile when I &gt; 1: 2048 floats of y (8 KiB) stay in L1 while each input row streams past.</summary>
    internal const int ColumnTile = 2048;

    // ─── 1. Naive ────────────────────────────────────────────────────────────────────────

    /// <summary>
    /// Sum over the middle axis: effectively computes y[o,i] = Σa x[o,a,i] with x viewed as
    /// (outer, axis, inner) and y as (outer, inner). axis = 0 gives 0.
    /// </summary>
    public static void SumNaive(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y)
    {
        CheckShapes("sum", x.Length, outer, axis, inner, y.Length);
        // x is (O,A,I), y is (O,I)
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                float acc = 0f;
                for (int a = 0; a < axis; a++)
                    acc += x[(o * axis + a) * inner + i];
                y[o * inner + i] = acc;
            }
    }

    /// <summary>
    /// Mean over the middle axis: effectively computes y[o,i] = (Σa x[o,a,i]) / axis.
    /// axis = 0 gives NaN (0/0).
    /// </summary>
    public static void MeanNaive(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y)
    {
        CheckShapes("mean", x.Length, outer, axis, inner, y.Length);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                float acc = 0f;
                for (int a = 0; a < axis; a++)
                    acc += x[(o * axis + a) * inner + i];
                y[o * inner + i] = acc / axis;
            }
    }

    /// <summary>
    /// Maximum over the middle axis: effectively computes y[o,i] = maxa x[o,a,i].
    /// A NaN in the slice gives NaN; axis = 0 gives −∞.
    /// </summary>
    public static void MaxNaive(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y)
    {
        CheckShapes("max", x.Length, outer, axis, inner, y.Length);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                float acc = float.NegativeInfinity;
                for (int a = 0; a < axis; a++)
                    acc = MathF.Max(acc, x[(o * axis + a) * inner + i]);
                y[o * inner + i] = acc;
            }
    }

    /// <summary>
    /// Index of the maximum over the middle axis: effectively computes y[o,i] = argmaxa x[o,a,i],
    /// the first such a on ties. A NaN counts as larger than every number, so the index of the
    /// first NaN is returned (consistent with Max propagating NaN). Throws when axis = 0.
    /// </summary>
    public static void ArgMaxNaive(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<int> y)
    {
        CheckShapes("argmax", x.Length, outer, axis, inner, y.Length);
        CheckArgMaxAxis(axis);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                float best = x[o * axis * inner + i];
                int index = 0;
                for (int a = 1; a < axis; a++)
                {
                    float v = x[(o * axis + a) * inner + i];
                    // strict '>' keeps the first index on ties; a NaN beats a number, nothing beats a NaN
                    if (v > best || (float.IsNaN(v) && !float.IsNaN(best)))
                    {
                        best = v;
                        index = a;
                    }
                }
                y[o * inner + i] = index;
            }
    }

    // ─── 2. Simd ─────────────────────────────────────────────────────────────────────────

    /// <summary>
    /// Sum over the middle axis, vectorised and threaded: effectively computes
    /// y[o,i] = Σa x[o,a,i]. Equal to <see cref="SumNaive"/> within rounding (bit-identical when inner &gt; 1).
    /// </summary>
    public static void SumSimd(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y)
    {
        CheckShapes("sum", x.Length, outer, axis, inner, y.Length);
        ReduceSimd<SumOp>(x, outer, axis, inner, y);
    }

    /// <summary>Mean over the middle axis, vectorised: effectively computes y[o,i] = (Σa x[o,a,i]) / axis.</summary>
    public static void MeanSimd(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y)
    {
        CheckShapes("mean", x.Length, outer, axis, inner, y.Length);
        ReduceSimd<SumOp>(x, outer, axis, inner, y);
        // One extra pass over y, which is axis times smaller than x. Divide (not multiply by
        // 1/axis) so that the only difference from MeanNaive is the summation order.
        VectorLoop.BinaryScalarRight<DivideOp>(y, axis, y);
    }

    /// <summary>Maximum over the middle axis, vectorised: effectively computes y[o,i] = maxa x[o,a,i] (NaN propagates).</summary>
    public static void MaxSimd(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y)
    {
        CheckShapes("max", x.Length, outer, axis, inner, y.Length);
        ReduceSimd<MaxOp>(x, outer, axis, inner, y);
    }

    /// <summary>
    /// Index of the maximum over the middle axis, vectorised: same result as <see cref="ArgMaxNaive"/>
    /// (first index on ties, first NaN wins). Throws when axis = 0.
    /// </summary>
    public static void ArgMaxSimd(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<int> y)
    {
        CheckShapes("argmax", x.Length, outer, axis, inner, y.Length);
        CheckArgMaxAxis(axis);
        if (RunsInline(x.Length))
            ArgMaxBlock(x, axis, inner, y, 0, outer, 0, inner);
        else
            ArgMaxParallel(x, outer, axis, inner, y);
    }

    private static unsafe void ArgMaxParallel(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<int> y)
    {
        // Spans cannot be loop state, so each chunk rebuilds them from the pinned pointers.
        fixed (float* px = x)
        fixed (int* py = y)
            SplitLarge(outer, axis, inner, (X: new Pinned<float>(px, x.Length), axis, inner, Y: new Pinned<int>(py, y.Length)),
                static (st, o0, o1, j0, j1) => ArgMaxBlock(st.X.Span, st.axis, st.inner, st.Y.Span, o0, o1, j0, j1));
    }

    // ─── Whole-span helpers ──────────────────────────────────────────────────────────────

    /// <summary>Effectively computes Σi x[i] (vector lanes, summed in another order than a scalar loop); 0 when empty.</summary>
    public static float Sum(ReadOnlySpan<float> x) => VectorLoop.Reduce<SumOp>(x);

    /// <summary>Effectively computes maxi x[i]; NaN if any element is NaN; −∞ when empty.</summary>
    public static float Max(ReadOnlySpan<float> x) => VectorLoop.Reduce<MaxOp>(x);

    /// <summary>
    /// Dot product: effectively computes Σi x[i]·y[i], with fused multiply-adds into four vector
    /// accumulators (rounding differs from a scalar loop). Throws when the lengths differ.
    /// </summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length)
            throw new ArgumentException($"dot: x has {x.Length} elements, y has {y.Length}", nameof(y));
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        float result = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            // Four independent accumulators: an FMA has 4 cycles of latency and two issue per
            // cycle, so one accumulator would leave the FMA units idle most of the time.
            var s0 = Vector512<float>.Zero;
            var s1 = s0; var s2 = s0; var s3 = s0;
            for (; i <= n - 64; i += 64)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref yr, (nuint)i), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)(i + 16)), Vector512.LoadUnsafe(ref yr, (nuint)(i + 16)), s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)(i + 32)), Vector512.LoadUnsafe(ref yr, (nuint)(i + 32)), s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)(i + 48)), Vector512.LoadUnsafe(ref yr, (nuint)(i + 48)), s3);
            }
            for (; i <= n - 16; i += 16)
                s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref yr, (nuint)i), s0);
            result = Vector512.Sum((s0 + s1) + (s2 + s3));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var s0 = Vector256<float>.Zero;
            var s1 = s0; var s2 = s0; var s3 = s0;
            for (; i <= n - 32; i += 32)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref yr, (nuint)i), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)(i + 8)), Vector256.LoadUnsafe(ref yr, (nuint)(i + 8)), s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)(i + 16)), Vector256.LoadUnsafe(ref yr, (nuint)(i + 16)), s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)(i + 24)), Vector256.LoadUnsafe(ref yr, (nuint)(i + 24)), s3);
            }
            for (; i <= n - 8; i += 8)
                s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref yr, (nuint)i), s0);
            result = Vector256.Sum((s0 + s1) + (s2 + s3));
        }
        if (Vector128.IsHardwareAccelerated && i <= n - 4)
        {
            var s = Vector128<float>.Zero;
            for (; i <= n - 4; i += 4)
                s = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref xr, (nuint)i), Vector128.LoadUnsafe(ref yr, (nuint)i), s);
            result += Vector128.Sum(s);
        }
        for (; i < n; i++) // scalar tail: at most 3 elements
            result = MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i), result);
        return result;
    }

    // ─── Simd internals ──────────────────────────────────────────────────────────────────

    private static void ReduceSimd<TOp>(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y)
        where TOp : IReduceOp
    {
        if (RunsInline(x.Length))
            ReduceBlock<TOp>(x, axis, inner, y, 0, outer, 0, inner);
        else
            ReduceParallel<TOp>(x, outer, axis, inner, y);
    }

    private static unsafe void ReduceParallel<TOp>(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y)
        where TOp : IReduceOp
    {
        fixed (float* px = x, py = y)
            SplitLarge(outer, axis, inner, (X: new Pinned<float>(px, x.Length), axis, inner, Y: new Pinned<float>(py, y.Length)),
                static (st, o0, o1, j0, j1) => ReduceBlock<TOp>(st.X.Span, st.axis, st.inner, st.Y.Span, o0, o1, j0, j1));
    }

    /// <summary>Reduces outer slices [o0, o1) and, within each, columns [j0, j1) of I.</summary>
    private static void ReduceBlock<TOp>(ReadOnlySpan<float> x, int axis, int inner, Span<float> y, int o0, int o1, int j0, int j1)
        where TOp : IReduceOp
    {
        for (int o = o0; o < o1; o++)
        {
            if (inner == 1)
            {
                // The reduced axis is contiguous: one vector fold per output.
                y[o] = VectorLoop.Reduce<TOp>(x.Slice(o * axis, axis));
                continue;
            }
            // The reduced axis is strided by I: accumulate whole rows of I floats instead, so that
            // every load and store is contiguous. A tile of y stays in L1 across all A rows.
            ReadOnlySpan<float> xo = x.Slice(o * axis * inner, axis * inner);
            Span<float> yo = y.Slice(o * inner, inner);
            for (int t = j0; t < j1; t += ColumnTile)
            {
                int w = Math.Min(ColumnTile, j1 - t);
                Span<float> yt = yo.Slice(t, w);
                yt.Fill(TOp.Identity);
                for (int a = 0; a < axis; a++)
                    VectorLoop.Binary<TOp>(yt, xo.Slice(a * inner + t, w), yt); // y ⊕= x[o,a,t..t+w)
            }
        }
    }

    private static void ArgMaxBlock(ReadOnlySpan<float> x, int axis, int inner, Span<int> y, int o0, int o1, int j0, int j1)
    {
        Span<float> best = inner == 1 ? default : stackalloc float[Math.Min(inner, ColumnTile)];
        for (int o = o0; o < o1; o++)
        {
            if (inner == 1)
            {
                // Two passes over a contiguous row: the maximum with the vector fold, then the
                // first element equal to it (the first NaN if the maximum is NaN).
                ReadOnlySpan<float> row = x.Slice(o * axis, axis);
                y[o] = FirstIndexOf(row, VectorLoop.Reduce<MaxOp>(row));
                continue;
            }
            // Strided axis: keep a running (best value, best index) per column, one row at a time.
            ReadOnlySpan<float> xo = x.Slice(o * axis * inner, axis * inner);
            Span<int> yo = y.Slice(o * inner, inner);
            for (int t = j0; t < j1; t += ColumnTile)
            {
                int w = Math.Min(ColumnTile, j1 - t);
                Span<float> bt = best[..w];
                Span<int> it = yo.Slice(t, w);
                xo.Slice(t, w).CopyTo(bt);
                it.Clear();
                for (int a = 1; a < axis; a++)
                    ArgMaxStep(xo.Slice(a * inner + t, w), a, bt, it);
            }
        }
    }

    /// <summary>
    /// One row of the running argmax: where x[j] beats best[j] — strictly greater, so ties keep the
    /// earlier index, or NaN over a number — take best[j] = x[j] and index[j] = a.
    /// </summary>
    private static void ArgMaxStep(ReadOnlySpan<float> xa, int a, Span<float> best, Span<int> index)
    {
        int n = xa.Length, j = 0;
        ref float xr = ref MemoryMarshal.GetReference(xa);
        ref float br = ref MemoryMarshal.GetReference(best);
        ref int ir = ref MemoryMarshal.GetReference(index);
        if (Vector512.IsHardwareAccelerated)
        {
            var av = Vector512.Create(a);
            for (; j <= n - 16; j += 16)
            {
                var v = Vector512.LoadUnsafe(ref xr, (nuint)j);
                var b = Vector512.LoadUnsafe(ref br, (nuint)j);
                // x != x is true exactly for NaN lanes
                var take = Vector512.GreaterThan(v, b) | (~Vector512.Equals(v, v) & Vector512.Equals(b, b));
                Vector512.ConditionalSelect(take, v, b).StoreUnsafe(ref br, (nuint)j);
                Vector512.ConditionalSelect(take.AsInt32(), av, Vector512.LoadUnsafe(ref ir, (nuint)j)).StoreUnsafe(ref ir, (nuint)j);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var av = Vector256.Create(a);
            for (; j <= n - 8; j += 8)
            {
                var v = Vector256.LoadUnsafe(ref xr, (nuint)j);
                var b = Vector256.LoadUnsafe(ref br, (nuint)j);
                var take = Vector256.GreaterThan(v, b) | (~Vector256.Equals(v, v) & Vector256.Equals(b, b));
                Vector256.ConditionalSelect(take, v, b).StoreUnsafe(ref br, (nuint)j);
                Vector256.ConditionalSelect(take.AsInt32(), av, Vector256.LoadUnsafe(ref ir, (nuint)j)).StoreUnsafe(ref ir, (nuint)j);
            }
        }
        for (; j < n; j++) // scalar tail: at most 7 columns (no Vector128 step: not worth a third copy)
        {
            float v = Unsafe.Add(ref xr, j), b = Unsafe.Add(ref br, j);
            if (v > b || (float.IsNaN(v) && !float.IsNaN(b)))
            {
                Unsafe.Add(ref br, j) = v;
                Unsafe.Add(ref ir, j) = a;
            }
        }
    }

    /// <summary>First i with row[i] == target (−0 equals +0), or the first NaN when target is NaN; the row must contain it.</summary>
    private static int FirstIndexOf(ReadOnlySpan<float> row, float target)
    {
        int n = row.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(row);
        bool nan = float.IsNaN(target);
        if (Vector512.IsHardwareAccelerated)
        {
            var tv = Vector512.Create(target);
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref xr, (nuint)i);
                ulong hits = (nan ? ~Vector512.Equals(v, v) : Vector512.Equals(v, tv)).ExtractMostSignificantBits();
                if (hits != 0) return i + BitOperations.TrailingZeroCount(hits);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var tv = Vector256.Create(target);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                uint hits = (nan ? ~Vector256.Equals(v, v) : Vector256.Equals(v, tv)).ExtractMostSignificantBits();
                if (hits != 0) return i + BitOperations.TrailingZeroCount(hits);
            }
        }
        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref xr, i);
            if (nan ? float.IsNaN(v) : v == target) return i;
        }
        throw new InvalidOperationException("argmax: the maximum was not found in its own row"); // unreachable
    }

    // ─── Shapes and threading ────────────────────────────────────────────────────────────

    /// <summary>Reduces outer slices [o0, o1) and columns [j0, j1) of I, with its loop state passed in (no closure).</summary>
    private delegate void BlockBody<TState>(TState state, int o0, int o1, int j0, int j1);

    private static bool RunsInline(int xLength) => Parallelism.Threads == 1 || xLength < 2 * ParallelThreshold;

    /// <summary>
    /// Splits a large reduction across threads: by outer slices when there are enough to go round,
    /// otherwise by columns of I in whole 16-float vectors. A few long rows (O small, I = 1) stay
    /// on one thread: splitting A would need partial results, and that case is memory-bound anyway.
    /// </summary>
    private static void SplitLarge<TState>(int outer, int axis, int inner, TState state, BlockBody<TState> body)
    {
        long perOuter = Math.Max(1L, (long)axis * inner);
        if (outer >= Parallelism.Threads || inner == 1)
        {
            int minOuter = (int)Math.Clamp(ParallelThreshold / perOuter, 1, int.MaxValue);
            Parallelism.For(outer, minOuter, (State: state, Body: body, Inner: inner),
                static (st, o0, o1) => st.Body(st.State, o0, o1, 0, st.Inner));
        }
        else
        {
            int blocks = (inner + 15) / 16;
            long perBlock = Math.Max(1L, (long)outer * axis * 16);
            int minBlocks = (int)Math.Clamp(ParallelThreshold / perBlock, 1, int.MaxValue);
            Parallelism.For(blocks, minBlocks, (State: state, Body: body, Outer: outer, Inner: inner),
                static (st, b0, b1) => st.Body(st.State, 0, st.Outer, b0 * 16, Math.Min(b1 * 16, st.Inner)));
        }
    }

    private static void CheckShapes(string op, int xLength, int outer, int axis, int inner, int yLength)
    {
        if (outer < 0 || axis < 0 || inner < 0)
            throw new ArgumentException($"{op}: negative dimension in outer×axis×inner = {outer}×{axis}×{inner}");
        long xn = (long)outer * axis * inner, yn = (long)outer * inner;
        if (xLength != xn)
            throw new ArgumentException($"{op}: x has {xLength} elements, expected outer×axis×inner = {outer}×{axis}×{inner} = {xn}", "x");
        if (yLength != yn)
            throw new ArgumentException($"{op}: y has {yLength} elements, expected outer×inner = {outer}×{inner} = {yn}", "y");
    }

    private static void CheckArgMaxAxis(int axis)
    {
        if (axis == 0)
            throw new ArgumentException("argmax: axis has length 0, so there is no index to return", nameof(axis));
    }

    /// <summary>x / y, used to turn sums into means.</summary>
    private readonly struct DivideOp : IBinaryOp
    {
        public static float Invoke(float x, float y) => x / y;
        public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x / y;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x / y;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x / y;
    }
}
