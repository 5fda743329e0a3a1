// Strided copy, GPU variant — StridedGpu: the "make contiguous" gather of StridedCopy.cs on the
// device (transposes, slices, permutations and broadcasts, which the GPU ops need packed).
//
// One thread per output element: it splits its flat index into the view's index (last dimension
// fastest) and reads x at Σ i_d·s_d. The dims and strides travel in a small device buffer,
// shape = [d0 … d(r−1), s0 … s(r−1)] (a kernel cannot take a span); it is uploaded per call
// (rank ≤ 8: 64 bytes) and stays in the constant/L1 cache for the whole launch.
// Memory hierarchy: global memory only. Writes are coalesced; reads are coalesced when the last
// dimension has stride 1 (slices), strided for transposes (a shared-memory tiled transpose is the
// known next step), and all hit the same few addresses for broadcasts (stride 0: cache hits).
//
//   dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~StridedGpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Kernels.Layout;

public static partial class CopyKernels
{
    /// <summary>
    /// y[i0, …, ik] = x[Σ i_d·s_d] on the device: gathers the strided view of x (starting at its first
    /// element) into contiguous y. Synchronous with respect to the small shape buffer it uploads.
    /// </summary>
    public static void StridedGpu(Accelerator acc, ArrayView<float> x, ReadOnlySpan<int> strides, ReadOnlySpan<int> dims, ArrayView<float> y)
    {
        if (dims.Length != strides.Length || dims.Length > MaxRank)
            throw new ArgumentException($"strided copy (gpu): {dims.Length} dims and {strides.Length} strides (rank ≤ {MaxRank})");
        long n = 1;
        foreach (int d in dims) n *= d;
        if (y.Length < n) throw new ArgumentException($"strided copy (gpu): output of {y.Length} elements for {n}");
        if (n == 0) return;
        Span<int> shape = stackalloc int[2 * dims.Length];
        dims.CopyTo(shape);
        strides.CopyTo(shape[dims.Length..]);
        using var dshape = GpuLaunch.Upload(acc, shape);
        var kernel = GpuLaunch.Kernel(acc, StridedKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int, ArrayView<float>>(StridedKernel));
        kernel((int)n, x, dshape.View, dims.Length, y);
        acc.DefaultStream.Synchronize(); // the shape buffer is freed on return
    }

    /// <summary>
    /// Copies contiguous src, viewed as (outer, block), into dst viewed as (outer, dstRow) at column
    /// dstStart: dst[o·dstRow + dstStart + j] = src[o·block + j] (asynchronous). Concat's forward
    /// and Slice's backward: a tensor seen as (outer, axis·inner) written into a wider axis.
    /// </summary>
    public static void IntoSliceGpu(Accelerator acc, ArrayView<float> src, int outer, int block, ArrayView<float> dst, int dstRow, int dstStart)
    {
        if (outer < 0 || block < 0 || dstStart < 0 || dstStart + block > dstRow || src.Length < (long)outer * block || dst.Length < (long)outer * dstRow)
            throw new ArgumentException($"copy into slice (gpu): ({outer}, {block}) at column {dstStart} of ({outer}, {dstRow}) does not fit views of {src.Length} and {dst.Length}");
        if (outer * block == 0) return;
        var kernel = GpuLaunch.Kernel(acc, IntoSliceKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, int, ArrayView<float>, int, int>(IntoSliceKernel));
        kernel(outer * block, src, block, dst, dstRow, dstStart);
    }

    private static void IntoSliceKernel(Index1D i, ArrayView<float> src, int block, ArrayView<float> dst, int dstRow, int dstStart)
    {
        int o = i / block;
        dst[o * dstRow + dstStart + (i - o * block)] = src[i];
    }

    private static void StridedKernel(Index1D i, ArrayView<float> x, ArrayView<int> shape, int rank, ArrayView<float> y)
    {
        int rest = i, offset = 0;
        for (int d = rank - 1; d >= 0; d--)
        {
            int dim = shape[d];
            int index = rest % dim;
            rest /= dim;
            offset += index * shape[rank + d];
        }
        y[i] = x[offset];
    }
}
