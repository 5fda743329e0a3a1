// Reductions on the GPU: the device halves of Ops/Reduce.cs. Sum over everything and along an axis
// are in Device.cs and Shape.Gpu.cs (every broadcast op's backward needs them); this file holds
// max along an axis. Kernels: Reduce/Reduce.Gpu.cs.
//
// Max keeps, beside its values, the index of the first maximum of every slice (computed in the
// same pass, in an int buffer on the device), so the backward rule is one gather kernel that
// sends g to that index and zeros elsewhere — the CPU rule, without re-reading x.

using FusionScratch.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    /// <summary>Max along <paramref name="axis"/> (already normalized and checked non-empty) on the GPU.</summary>
    private Tensor MaxAxisGpu(int axis, bool keepDim)
    {
        var (outer, n, inner) = Split(axis);
        var acc = GpuAccelerator;
        var y = EmptyOn(Device, ReducedShape(axis, keepDim));
        var argmax = acc.Allocate1D<int>(Math.Max(outer * inner, 1)); // freed by its finalizer with the graph
        var indices = argmax.View.SubView(0, outer * inner);
        ReduceKernels.MaxGpu(acc, GpuPacked().GpuView(), outer, n, inner, y.GpuView(), indices);
        Shape inShape = Shape;
        return Record(y, "max_axis", [this], g =>
        {
            var dx = EmptyOn(g.Device, inShape);
            ReduceKernels.MaxBackwardGpu(acc, g.GpuPacked().GpuView(), indices, outer, n, inner, dx.GpuView());
            GC.KeepAlive(argmax);
            return [dx];
        });
    }
}
