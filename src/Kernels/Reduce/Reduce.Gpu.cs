// Reduce GPU variant — SumGpu: sum over the middle axis of an (O, A, I) view, as SumNaive.
//
// Shapes: x is (O, A, I) row-major, y is (O, I) (see Reduce.cs for the folding of any axis into
// this form).
//
// Launch: one group of SumGroup = 128 threads per output element y[o,i], explicitly grouped; the
// grid is O·I groups. Thread t of a group adds x[o, a, i] for a = t, t+128, t+256, … (a strided
// walk, so a long axis is shared evenly), then the group combines its 128 partial sums.
//
// Memory hierarchy:
//   global     x is read exactly once. With I = 1 (reducing the last axis) the 128 threads read
//              128 consecutive floats per step: coalesced. With I > 1 the reads are I floats apart
//              (one transaction each); a transposed launch (threads across I) would fix that and is
//              the next variant to write.
//   registers  each thread's running partial sum.
//   shared     partial[128]: the tree reduction. Step s halves the active threads: thread t < s adds
//              partial[t + s] into partial[t]; after log2(128) = 7 steps partial[0] is the sum.
// Barriers: one after the partial sums are stored (every partial must be visible before the first
// step reads a neighbour's), and one after each tree step (step s + 1 reads what step s wrote).
// Every thread reaches every barrier: inactive threads skip the add, not the barrier.
//
// Rounding: the tree adds in another order than SumNaive's left-to-right loop, so results differ
// by rounding (the tree is usually closer to the exact sum). ILGPU.Algorithms offers the same
// group reduction prebuilt (GroupExtensions.Reduce with AddFloat); it is written out here so the
// barriers can be read.
//
// Run: dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~Gpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Kernels;

public static partial class ReduceKernels
{
    /// <summary>Threads per group of <see cref="SumGpu(Accelerator, ArrayView{float}, int, int, int, ArrayView{float})"/> (a power of two, for the tree).</summary>
    public const int SumGroup = 128;

    /// <summary>
    /// Sum over the middle axis on the device (asynchronous): effectively computes
    /// y[o,i] = Σa x[o,a,i] with x viewed as (outer, axis, inner) and y as (outer, inner).
    /// </summary>
    public static void SumGpu(Accelerator accelerator, ArrayView<float> x, int outer, int axis, int inner, ArrayView<float> y)
    {
        if (outer < 0 || axis < 0 || inner < 0)
            throw new ArgumentException($"sum (gpu): negative dimension in outer×axis×inner = {outer}×{axis}×{inner}");
        if (x.Length < (long)outer * axis * inner || y.Length < (long)outer * inner)
            throw new ArgumentException($"sum (gpu): views of {x.Length} and {y.Length} elements are too short for {outer}×{axis}×{inner}");
        int outputs = outer * inner;
        if (outputs == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, SumGpuKernel,
            static a => a.LoadStreamKernel<ArrayView<float>, int, int, ArrayView<float>>(SumGpuKernel));
        kernel(new KernelConfig(outputs, SumGroup), x, axis, inner, y);
    }

    /// <summary>SumGpu on host spans: upload, run, download (tests and benchmarks).</summary>
    public static void SumGpu(Accelerator accelerator, ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y)
    {
        CheckShapes("sum (gpu)", x.Length, outer, axis, inner, y.Length);
        using var dx = GpuLaunch.Upload(accelerator, x);
        using var dy = GpuLaunch.Zeros(accelerator, y.Length);
        SumGpu(accelerator, dx.View, outer, axis, inner, dy.View);
        GpuLaunch.Download(dy.View, y);
    }

    private static void SumGpuKernel(ArrayView<float> x, int axis, int inner, ArrayView<float> y)
    {
        ArrayView<float> partial = SharedMemory.Allocate<float>(SumGroup); // one slot per thread

        int output = Grid.IdxX;                 // which y[o,i] this group computes
        int o = output / inner, i = output - o * inner;
        int t = Group.IdxX;

        // 1. Strided partial sums in a register: thread t takes a = t, t + 128, …
        float acc = 0f;
        for (int a = t; a < axis; a += SumGroup)
            acc += x[(o * axis + a) * inner + i];
        partial[t] = acc;
        Group.Barrier(); // all 128 partials are in shared memory before anyone reads them

        // 2. Tree: halve the active threads each step.
        for (int s = SumGroup / 2; s > 0; s /= 2)
        {
            if (t < s)
                partial[t] += partial[t + s];
            Group.Barrier(); // step s is complete before step s/2 reads its results
        }

        if (t == 0)
            y[output] = partial[0];
    }
}
