// Reduce GPU variants — SumGpu: sum over the middle axis of an (O, A, I) view, as SumNaive;
// MaxGpu: the maximum and the index of its first occurrence (MaxNaive + ArgMaxNaive in one pass),
// and MaxBackwardGpu, the gradient routed to that index. SumGpu is described first; MaxGpu below.
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
// MaxGpu: the same launch (one group of 128 threads per y[o,i], strided walk over a) with a pair
// in place of the partial sum: each thread keeps the best (value, index) of its share, scanning a
// upward, then the tree keeps the better pair of partial[t] and partial[t + s] at each step, in
// two shared arrays (values and indices, 2 × 128 × 4 bytes). "Better" is: NaN beats any number
// (max propagates NaN, as MaxNaive), a larger value beats a smaller one, and equal values (or two
// NaNs) go to the smaller index — so the result is the *first* maximum, as ArgMaxNaive reports,
// whatever order the tree met the pairs in. The max is exact (no rounding in comparisons).
// MaxBackwardGpu: one thread per dx[o,a,i], a gather: dx = dy[o,i] where a is the saved index, else
// 0. No atomics, nothing read but dy and the index (x is not needed again).
//
// Run: dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~Gpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Algorithms;
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

    /// <summary>
    /// Maximum over the middle axis on the device (asynchronous): effectively computes
    /// y[o,i] = maxa x[o,a,i] (as <see cref="MaxNaive"/>) and argmax[o,i] = the first a where it
    /// occurs (as <see cref="ArgMaxNaive"/>, NaN first). Throws when axis = 0.
    /// </summary>
    public static void MaxGpu(Accelerator accelerator, ArrayView<float> x, int outer, int axis, int inner, ArrayView<float> y, ArrayView<int> argmax)
    {
        if (outer < 0 || axis < 0 || inner < 0)
            throw new ArgumentException($"max (gpu): negative dimension in outer×axis×inner = {outer}×{axis}×{inner}");
        CheckArgMaxAxis(axis);
        if (x.Length < (long)outer * axis * inner || y.Length < (long)outer * inner || argmax.Length < (long)outer * inner)
            throw new ArgumentException($"max (gpu): views of {x.Length}, {y.Length} and {argmax.Length} elements are too short for {outer}×{axis}×{inner}");
        int outputs = outer * inner;
        if (outputs == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, MaxGpuKernel,
            static a => a.LoadStreamKernel<ArrayView<float>, int, int, ArrayView<float>, ArrayView<int>>(MaxGpuKernel));
        kernel(new KernelConfig(outputs, SumGroup), x, axis, inner, y, argmax);
    }

    /// <summary>
    /// Max's backward on the device (asynchronous), overwriting dx (outer, axis, inner):
    /// dx[o,a,i] = dy[o,i] when a = argmax[o,i] (from <see cref="MaxGpu(Accelerator, ArrayView{float}, int, int, int, ArrayView{float}, ArrayView{int})"/>), else 0.
    /// </summary>
    public static void MaxBackwardGpu(Accelerator accelerator, ArrayView<float> dy, ArrayView<int> argmax, int outer, int axis, int inner, ArrayView<float> dx)
    {
        if (outer < 0 || axis < 0 || inner < 0)
            throw new ArgumentException($"max backward (gpu): negative dimension in outer×axis×inner = {outer}×{axis}×{inner}");
        long n = (long)outer * axis * inner;
        if (dx.Length < n || dy.Length < (long)outer * inner || argmax.Length < (long)outer * inner)
            throw new ArgumentException($"max backward (gpu): views of {dy.Length}, {argmax.Length} and {dx.Length} elements are too short for {outer}×{axis}×{inner}");
        if (n == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, MaxBackwardGpuKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int, int, ArrayView<float>>(MaxBackwardGpuKernel));
        kernel((int)n, dy, argmax, axis, inner, dx);
    }

    /// <summary>MaxGpu on host spans: upload, run, download (tests and benchmarks).</summary>
    public static void MaxGpu(Accelerator accelerator, ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y, Span<int> argmax)
    {
        CheckShapes("max (gpu)", x.Length, outer, axis, inner, y.Length);
        CheckShapes("max (gpu)", x.Length, outer, axis, inner, argmax.Length);
        using var dx = GpuLaunch.Upload(accelerator, x);
        using var dy = GpuLaunch.Zeros(accelerator, y.Length);
        using var di = accelerator.Allocate1D<int>(Math.Max(argmax.Length, 1));
        MaxGpu(accelerator, dx.View, outer, axis, inner, dy.View, di.View);
        GpuLaunch.Download(dy.View, y);
        if (argmax.Length > 0) di.View.SubView(0, argmax.Length).CopyToCPU(accelerator.DefaultStream, argmax);
        accelerator.DefaultStream.Synchronize();
    }

    /// <summary>MaxBackwardGpu on host spans: upload, run, download.</summary>
    public static void MaxBackwardGpu(Accelerator accelerator, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, int outer, int axis, int inner, Span<float> dx)
    {
        CheckShapes("max backward (gpu)", dx.Length, outer, axis, inner, dy.Length);
        CheckShapes("max backward (gpu)", dx.Length, outer, axis, inner, argmax.Length);
        using var ddy = GpuLaunch.Upload(accelerator, dy);
        using var di = GpuLaunch.Upload(accelerator, argmax);
        using var ddx = GpuLaunch.Zeros(accelerator, dx.Length);
        MaxBackwardGpu(accelerator, ddy.View, di.View, outer, axis, inner, ddx.View);
        GpuLaunch.Download(ddx.View, dx);
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

    private static void MaxGpuKernel(ArrayView<float> x, int axis, int inner, ArrayView<float> y, ArrayView<int> argmax)
    {
        ArrayView<float> best = SharedMemory.Allocate<float>(SumGroup);
        ArrayView<int> index = SharedMemory.Allocate<int>(SumGroup);

        int output = Grid.IdxX;
        int o = output / inner, i = output - o * inner;
        int t = Group.IdxX;

        // 1. Each thread's best pair over a = t, t + 128, …; a thread with no elements keeps
        //    (−∞, int.MaxValue), which loses to any real element (ties go to the smaller index).
        float v = float.NegativeInfinity;
        int at = int.MaxValue;
        for (int a = t; a < axis; a += SumGroup)
        {
            float xa = x[(o * axis + a) * inner + i];
            if (Better(xa, a, v, at)) { v = xa; at = a; }
        }
        best[t] = v;
        index[t] = at;
        Group.Barrier();

        // 2. Tree: keep the better pair, halving the active threads each step.
        for (int s = SumGroup / 2; s > 0; s /= 2)
        {
            if (t < s && Better(best[t + s], index[t + s], best[t], index[t]))
            {
                best[t] = best[t + s];
                index[t] = index[t + s];
            }
            Group.Barrier();
        }

        if (t == 0)
        {
            y[output] = best[0];
            argmax[output] = index[0];
        }
    }

    // Whether (v, a) beats (w, b): NaN beats numbers, then the larger value, then the smaller index.
    private static bool Better(float v, int a, float w, int b)
    {
        bool vNaN = XMath.IsNaN(v), wNaN = XMath.IsNaN(w);
        if (vNaN != wNaN) return vNaN;
        if (!vNaN && v != w) return v > w;
        return a < b;
    }

    // One thread per dx[o,a,i] (index n = (o·axis + a)·inner + i).
    private static void MaxBackwardGpuKernel(Index1D n, ArrayView<float> dy, ArrayView<int> argmax, int axis, int inner, ArrayView<float> dx)
    {
        int i = n % inner, a = n / inner % axis, o = n / (inner * axis);
        int output = o * inner + i;
        dx[n] = argmax[output] == a ? dy[output] : 0f;
    }
}
