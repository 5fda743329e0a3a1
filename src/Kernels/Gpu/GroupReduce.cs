// GroupReduce — the shared-memory tree sum (and max) that every "one group per output" GPU kernel
// ends with (batch-norm statistics, per-channel bias gradients, depthwise weight gradients, pooling
// means, the row max and sums of softmax).
//
// Called from inside a kernel by all Size threads of an explicitly grouped launch. Each thread
// brings its register partial; the group adds them in shared memory by halving the active threads
// (Reduce/Reduce.Gpu.cs spells out the same tree inline for reading). Every thread gets the total
// back, so a kernel can use it in a second pass (variance after mean) without another launch.
//
// Barriers: one after the partials are stored, one after each halving step, and a last one after
// everybody has read the total, so the caller may reuse the same shared buffer straight away.

using ILGPU;
using ILGPU.Algorithms;

namespace FusionScratch.Kernels.Gpu;

/// <summary>Group-wide sums for explicitly grouped GPU kernels of <see cref="Size"/> threads.</summary>
public static class GroupReduce
{
    /// <summary>Threads per group of the kernels that use <see cref="Sum"/> (a power of two, for the tree).</summary>
    public const int Size = 128;

    /// <summary>
    /// Σ of <paramref name="value"/> over the group's threads, returned to every thread.
    /// <paramref name="scratch"/> is a shared-memory view of at least <see cref="Size"/> floats.
    /// </summary>
    public static float Sum(ArrayView<float> scratch, float value)
    {
        int t = Group.IdxX;
        scratch[t] = value;
        Group.Barrier();                        // every partial is visible
        for (int s = Size / 2; s > 0; s /= 2)
        {
            if (t < s) scratch[t] += scratch[t + s];
            Group.Barrier();                    // step s done before step s/2 reads it
        }
        float total = scratch[0];
        Group.Barrier();                        // everyone has read the total: scratch is free again
        return total;
    }

    /// <summary>
    /// The maximum of <paramref name="value"/> over the group's threads, returned to every thread
    /// (the same tree as <see cref="Sum"/> with max in place of +; NaN propagates, as XMath.Max
    /// returns NaN when either side is). <paramref name="scratch"/>: at least <see cref="Size"/> floats.
    /// </summary>
    public static float Max(ArrayView<float> scratch, float value)
    {
        int t = Group.IdxX;
        scratch[t] = value;
        Group.Barrier();
        for (int s = Size / 2; s > 0; s /= 2)
        {
            if (t < s) scratch[t] = MaxPropagatingNaN(scratch[t], scratch[t + s]);
            Group.Barrier();
        }
        float max = scratch[0];
        Group.Barrier();
        return max;
    }

    /// <summary>max(a, b), NaN when either is NaN (as MathF.Max and the CPU reductions).</summary>
    public static float MaxPropagatingNaN(float a, float b) => XMath.IsNaN(a) || XMath.IsNaN(b) ? float.NaN : XMath.Max(a, b);
}
