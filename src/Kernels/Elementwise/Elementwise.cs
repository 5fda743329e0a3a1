// Elementwise kernels: one op applied to every element, with broadcasting for binary ops.
//
// Shapes: x, y, z are flat float spans of one length n (the tensor layer passes contiguous
// storage); the broadcast variants take a row-major output shape `outDims` of rank 0..8 and, per
// operand, strides in elements (0 on a broadcast dim). The op is a struct from UnaryOps.cs or
// BinaryOps.cs, so each kernel is specialised per op by the JIT with no call per element.
//
// Variants, in reading order:
//   UnaryNaive / BinaryNaive / ScalarNaive / ScalarLeftNaive   plain for loops over the scalar op:
//       the reference every other variant is tested against.
//   UnarySimd / BinarySimd / ScalarSimd / ScalarLeftSimd       VectorLoop (512 → 256 → 128 → scalar
//       tail) on one thread; above ParallelThreshold elements the span is cut into contiguous
//       chunks, one per thread, through Parallelism.For.
//   BroadcastNaive     an odometer over the output index, offsets recomputed per element.
//   BroadcastSimd      merges dims that are contiguous for both operands (a single merged run,
//       e.g. same shapes or a scalar operand, goes to the flat kernels above), then runs the
//       innermost dim as one VectorLoop call per output row (operand stride 1 → a vector load,
//       stride 0 → the scalar-operand loop, both 0 → a fill, other strides → a scalar loop),
//       rows split across threads for large outputs.
//   AddInto, Fill      small helpers on top (gradient accumulation dst += src, constant fill).
//
// Aliasing: every kernel may write in place (the output span exactly the memory of an input): the
// loops read element i (or vectors i..i+4w) before writing it and never revisit it. Partial
// overlaps (output shifted against an input) are not supported.
//
// Run: dotnet run -c Release --project src/Runner -- kernel relu   (also: silu, sigmoid, tanh, exp, log, add, mul, …)

using FusionScratch.Kernels.Layout;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels.Elementwise;

/// <summary>Elementwise unary, binary, scalar and broadcast kernels on spans.</summary>
public static partial class ElementwiseKernels
{
    /// <summary>
    /// Elements below which the SIMD kernels stay on one thread: 256K floats, 1 MB per operand.
    /// Why this size: handing a chunk to a pool thread costs a few µs, while one core does relu or
    /// add on 64K floats in 2.5–4 µs and exp in about 11 µs, so below ~100K floats the hand-off
    /// eats the gain; and below about 1 MB per operand the data still sits in this core's L2,
    /// where a second core adds no bandwidth to the memory-bound ops. One threshold for all ops
    /// keeps the rule simple; the cheap ops set it.
    /// Measured (2-vCPU Zen 4 dev box, shared with other jobs): a second thread did not pay off
    /// at any size, 32K to 1M floats (relu 1M: 73 µs on one thread, 81 on two; exp 1M: 178 vs
    /// 204 µs), most likely because the other vCPU was rarely free; re-measure on an unshared multi-core
    /// machine with the SimdAllCores rows of bench/ElementwiseBench.cs.
    /// </summary>
    public const int ParallelThreshold = 1 << 18;

    /// <summary>Smallest chunk handed to one thread (64K floats = 256 KB: enough to amortise the hand-off).</summary>
    public const int MinChunk = 1 << 16;

    /// <summary>Highest broadcast rank the kernels accept.</summary>
    public const int MaxRank = 8;

    // ------------------------------------------------------------------ unary: y = f(x)

    /// <summary>Reference: y[i] = TOp(x[i]) for every i. x and y may be the same span.</summary>
    public static void UnaryNaive<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : IScalarUnaryOp
    {
        // x is (n), y is (n)
        CheckSameLength(x.Length, y.Length, nameof(y));
        for (int i = 0; i < x.Length; i++)
            y[i] = TOp.Invoke(x[i]);
    }

    /// <summary>y[i] = TOp(x[i]) with SIMD, multi-threaded above <see cref="ParallelThreshold"/>. x and y may be the same span.</summary>
    public static unsafe void UnarySimd<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : IUnaryOp
    {
        // x is (n), y is (n)
        CheckSameLength(x.Length, y.Length, nameof(y));
        if (!UseThreads(x.Length))
        {
            VectorLoop.Unary<TOp>(x, y);
            return;
        }
        // Spans cannot be loop state: pin them and pass the addresses. The pins hold until
        // Parallelism.For returns, which is after every chunk has finished.
        fixed (float* px = x, py = y)
            Parallelism.For(x.Length, MinChunk, (X: (nint)px, Y: (nint)py),
                static (st, start, end) => VectorLoop.Unary<TOp>(Slice(st.X, start, end), SliceMut(st.Y, start, end)));
    }

    // ------------------------------------------------------------------ binary: z = f(x, y)

    /// <summary>Reference: z[i] = TOp(x[i], y[i]) for same-length spans. z may alias x or y.</summary>
    public static void BinaryNaive<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z) where TOp : IScalarBinaryOp
    {
        // x, y, z are (n)
        CheckSameLength(x.Length, y.Length, nameof(y));
        CheckSameLength(x.Length, z.Length, nameof(z));
        for (int i = 0; i < x.Length; i++)
            z[i] = TOp.Invoke(x[i], y[i]);
    }

    /// <summary>z[i] = TOp(x[i], y[i]) with SIMD, multi-threaded above <see cref="ParallelThreshold"/>. z may alias x or y.</summary>
    public static unsafe void BinarySimd<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z) where TOp : IBinaryOp
    {
        // x, y, z are (n)
        CheckSameLength(x.Length, y.Length, nameof(y));
        CheckSameLength(x.Length, z.Length, nameof(z));
        if (!UseThreads(x.Length))
        {
            VectorLoop.Binary<TOp>(x, y, z);
            return;
        }
        fixed (float* px = x, py = y, pz = z)
            Parallelism.For(x.Length, MinChunk, (X: (nint)px, Y: (nint)py, Z: (nint)pz),
                static (st, start, end) => VectorLoop.Binary<TOp>(Slice(st.X, start, end), Slice(st.Y, start, end), SliceMut(st.Z, start, end)));
    }

    // ------------------------------------------------------------------ scalar operand: z = f(x, s), z = f(s, x)

    /// <summary>Reference: z[i] = TOp(x[i], s). z may alias x.</summary>
    public static void ScalarNaive<TOp>(ReadOnlySpan<float> x, float s, Span<float> z) where TOp : IScalarBinaryOp
    {
        // x, z are (n); s is a scalar
        CheckSameLength(x.Length, z.Length, nameof(z));
        for (int i = 0; i < x.Length; i++)
            z[i] = TOp.Invoke(x[i], s);
    }

    /// <summary>z[i] = TOp(x[i], s) with SIMD, multi-threaded above <see cref="ParallelThreshold"/>. z may alias x.</summary>
    public static unsafe void ScalarSimd<TOp>(ReadOnlySpan<float> x, float s, Span<float> z) where TOp : IBinaryOp
    {
        // x, z are (n); s is a scalar
        CheckSameLength(x.Length, z.Length, nameof(z));
        if (!UseThreads(x.Length))
        {
            VectorLoop.BinaryScalarRight<TOp>(x, s, z);
            return;
        }
        fixed (float* px = x, pz = z)
            Parallelism.For(x.Length, MinChunk, (X: (nint)px, S: s, Z: (nint)pz),
                static (st, start, end) => VectorLoop.BinaryScalarRight<TOp>(Slice(st.X, start, end), st.S, SliceMut(st.Z, start, end)));
    }

    /// <summary>Reference: z[i] = TOp(s, x[i]) (the scalar on the left: s − x, s / x). z may alias x.</summary>
    public static void ScalarLeftNaive<TOp>(float s, ReadOnlySpan<float> x, Span<float> z) where TOp : IScalarBinaryOp
    {
        // x, z are (n); s is a scalar
        CheckSameLength(x.Length, z.Length, nameof(z));
        for (int i = 0; i < x.Length; i++)
            z[i] = TOp.Invoke(s, x[i]);
    }

    /// <summary>z[i] = TOp(s, x[i]) with SIMD, multi-threaded above <see cref="ParallelThreshold"/>. z may alias x.</summary>
    public static unsafe void ScalarLeftSimd<TOp>(float s, ReadOnlySpan<float> x, Span<float> z) where TOp : IBinaryOp
    {
        // x, z are (n); s is a scalar
        CheckSameLength(x.Length, z.Length, nameof(z));
        if (!UseThreads(x.Length))
        {
            VectorLoop.BinaryScalarLeft<TOp>(s, x, z);
            return;
        }
        fixed (float* px = x, pz = z)
            Parallelism.For(x.Length, MinChunk, (S: s, X: (nint)px, Z: (nint)pz),
                static (st, start, end) => VectorLoop.BinaryScalarLeft<TOp>(st.S, Slice(st.X, start, end), SliceMut(st.Z, start, end)));
    }

    // ------------------------------------------------------------------ broadcasting: z = f(x[..], y[..])

    /// <summary>
    /// Reference broadcast: for every output index (i0, …, ik) of the row-major shape
    /// <paramref name="outDims"/>, z[i0, …, ik] = TOp(x[Σ i_d·xStrides[d]], y[Σ i_d·yStrides[d]]).
    /// Strides are in elements (0 on a broadcast dim); x and y start at the operand's first element.
    /// </summary>
    public static void BroadcastNaive<TOp>(
        ReadOnlySpan<float> x, ReadOnlySpan<int> xStrides,
        ReadOnlySpan<float> y, ReadOnlySpan<int> yStrides,
        ReadOnlySpan<int> outDims, Span<float> z) where TOp : IScalarBinaryOp
    {
        // z is outDims (rank k ≤ 8, row-major); x, y are read through their strides
        CheckBroadcast(x, xStrides, y, yStrides, outDims, z);
        int rank = outDims.Length;
        Span<int> index = stackalloc int[MaxRank];
        for (int i = 0; i < z.Length; i++)
        {
            int xo = 0, yo = 0;
            for (int d = 0; d < rank; d++)
            {
                xo += index[d] * xStrides[d];
                yo += index[d] * yStrides[d];
            }
            z[i] = TOp.Invoke(x[xo], y[yo]);
            // Odometer: bump the last dim, carry into the ones before it.
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < outDims[d]) break;
                index[d] = 0;
            }
        }
    }

    /// <summary>
    /// Broadcast with SIMD: same meaning and signature as <see cref="BroadcastNaive{TOp}"/>.
    /// Dims contiguous for both operands are merged first, so same-shape operands run as one flat
    /// loop and (2,3,4)+(3,1)-style cases run rows of the innermost run through VectorLoop.
    /// </summary>
    public static unsafe void BroadcastSimd<TOp>(
        ReadOnlySpan<float> x, ReadOnlySpan<int> xStrides,
        ReadOnlySpan<float> y, ReadOnlySpan<int> yStrides,
        ReadOnlySpan<int> outDims, Span<float> z) where TOp : IBinaryOp
    {
        // z is outDims (rank k ≤ 8, row-major); x, y are read through their strides
        CheckBroadcast(x, xStrides, y, yStrides, outDims, z);
        if (z.Length == 0) return;

        // After merging: dims[0..rank) with the innermost run dims[rank−1] = inner.
        var shape = new MergedShape();
        shape.Rank = StridedLayout.Coalesce(outDims, xStrides, yStrides, shape.Dims, shape.XStrides, shape.YStrides);
        int inner = shape.Dims[shape.Rank - 1];
        int rows = z.Length / inner;

        // One flat run (same shapes, or one operand a scalar): the flat kernels, which also thread.
        if (shape.Rank == 1)
        {
            int sx = shape.XStrides[0], sy = shape.YStrides[0];
            if (sx == 1 && sy == 1) { BinarySimd<TOp>(x[..inner], y[..inner], z); return; }
            if (sx == 1 && sy == 0) { ScalarSimd<TOp>(x[..inner], y[0], z); return; }
            if (sx == 0 && sy == 1) { ScalarLeftSimd<TOp>(x[0], y[..inner], z); return; }
        }

        fixed (float* px = x, py = y, pz = z)
        {
            if (!UseThreads(z.Length) || rows == 1)
            {
                BroadcastRows<TOp>(px, py, pz, in shape, 0, rows);
                return;
            }
            int minRows = Math.Max(1, MinChunk / inner);
            Parallelism.For(rows, minRows, (X: (nint)px, Y: (nint)py, Z: (nint)pz, Shape: shape),
                static (st, start, end) => BroadcastRows<TOp>((float*)st.X, (float*)st.Y, (float*)st.Z, in st.Shape, start, end));
        }
    }

    /// <summary>Output rows [rowStart, rowEnd) of a merged broadcast; each row is the innermost dim.</summary>
    private static unsafe void BroadcastRows<TOp>(float* x, float* y, float* z, in MergedShape shape, int rowStart, int rowEnd)
        where TOp : IBinaryOp
    {
        int rank = shape.Rank, inner = shape.Dims[rank - 1];
        int sx = shape.XStrides[rank - 1], sy = shape.YStrides[rank - 1];

        // Index of the first row over the outer dims (0..rank−2), and the operands' offsets there.
        Span<int> index = stackalloc int[MaxRank];
        int xo = 0, yo = 0;
        for (int d = rank - 2, r = rowStart; d >= 0; d--)
        {
            index[d] = r % shape.Dims[d];
            r /= shape.Dims[d];
            xo += index[d] * shape.XStrides[d];
            yo += index[d] * shape.YStrides[d];
        }

        for (int row = rowStart; row < rowEnd; row++)
        {
            var zRow = new Span<float>(z + (long)row * inner, inner);
            if (sx == 1 && sy == 1)
                VectorLoop.Binary<TOp>(new ReadOnlySpan<float>(x + xo, inner), new ReadOnlySpan<float>(y + yo, inner), zRow);
            else if (sx == 1 && sy == 0)
                VectorLoop.BinaryScalarRight<TOp>(new ReadOnlySpan<float>(x + xo, inner), y[yo], zRow);
            else if (sx == 0 && sy == 1)
                VectorLoop.BinaryScalarLeft<TOp>(x[xo], new ReadOnlySpan<float>(y + yo, inner), zRow);
            else if (sx == 0 && sy == 0)
                zRow.Fill(TOp.Invoke(x[xo], y[yo])); // both operands constant along the row
            else
                for (int i = 0; i < inner; i++) // a transposed operand: plain strided loop
                    zRow[i] = TOp.Invoke(x[xo + i * sx], y[yo + i * sy]);

            // Odometer over the outer dims, moving the operand offsets with it.
            for (int d = rank - 2; d >= 0; d--)
            {
                xo += shape.XStrides[d];
                yo += shape.YStrides[d];
                if (++index[d] < shape.Dims[d]) break;
                xo -= index[d] * shape.XStrides[d];
                yo -= index[d] * shape.YStrides[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>A broadcast shape after merging contiguous dims (fixed buffers: no allocation, passable as loop state).</summary>
    private struct MergedShape
    {
        public int Rank;
        public Dims8 Dims, XStrides, YStrides;
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>dst[i] += src[i] (gradient accumulation), SIMD and multi-threaded like <see cref="BinarySimd{TOp}"/>.</summary>
    public static void AddInto(ReadOnlySpan<float> src, Span<float> dst) => BinarySimd<Add>(dst, src, dst);

    /// <summary>dst[i] = value for every i.</summary>
    public static void Fill(Span<float> dst, float value) => dst.Fill(value); // the BCL's Fill is already vectorised

    private static bool UseThreads(int n) => n >= ParallelThreshold && Parallelism.Threads > 1;

    private static unsafe ReadOnlySpan<float> Slice(nint start, int from, int to) => new((float*)start + from, to - from);

    private static unsafe Span<float> SliceMut(nint start, int from, int to) => new((float*)start + from, to - from);

    private static void CheckSameLength(int expected, int actual, string name)
    {
        if (expected != actual)
            throw new ArgumentException($"length mismatch: {name} has {actual} elements, expected {expected}", name);
    }

    private static void CheckBroadcast(
        ReadOnlySpan<float> x, ReadOnlySpan<int> xStrides,
        ReadOnlySpan<float> y, ReadOnlySpan<int> yStrides,
        ReadOnlySpan<int> outDims, Span<float> z)
    {
        int rank = outDims.Length;
        if (rank > MaxRank)
            throw new ArgumentException($"broadcast rank {rank} exceeds the maximum {MaxRank}", nameof(outDims));
        if (xStrides.Length != rank || yStrides.Length != rank)
            throw new ArgumentException(
                $"rank mismatch: output has {rank} dims, xStrides {xStrides.Length}, yStrides {yStrides.Length}", nameof(outDims));
        long count = StridedLayout.CheckView(x.Length, xStrides, outDims, "x");
        StridedLayout.CheckView(y.Length, yStrides, outDims, "y");
        if (z.Length != count)
            throw new ArgumentException(
                $"output length {z.Length} does not match the shape ({string.Join(",", outDims.ToArray())}) = {count} elements", nameof(z));
    }
}
