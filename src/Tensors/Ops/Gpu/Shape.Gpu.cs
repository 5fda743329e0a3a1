// Shape ops on the GPU: the copies that cannot be views (Contiguous, Concat) and Slice, whose
// backward scatters into zeros, plus the axis sums that SumTo (every broadcast op's backward)
// and Sum(axis) need. Views themselves (Reshape, Permute, Transpose, Expand) need no GPU half:
// they only change the layout, and the GPU ops pack their inputs (GpuPacked) before reading.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Layout;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    private Tensor ContiguousGpu(bool copy)
    {
        if (IsContiguous && !copy) return this;
        return Record(CopyGpu(), "contiguous", [this], g => [g]);
    }

    private Tensor SliceGpu(int axis, int start, int end)
    {
        int a = Shape.NormalizeAxis(axis);
        var y = new Tensor(Storage, Layout.Slice(a, start, end));
        Shape inShape = Shape;
        return Record(y, "slice", [this], g =>
        {
            var dx = EmptyOn(g.Device, inShape);
            ZeroGpu(dx);
            CopyIntoSliceGpu(g, dx, a, start);
            return [dx];
        });
    }

    private static Tensor ConcatGpu(IReadOnlyList<Tensor> parts, int axis)
    {
        foreach (var p in parts) OnGpu(parts[0], p, "concat");
        int a = parts[0].Shape.NormalizeAxis(axis);
        var dims = parts[0].Shape.ToArray();
        dims[a] = parts.Sum(p => p.Shape[a]);
        for (int i = 0; i < parts.Count; i++)
            for (int d = 0; d < dims.Length; d++)
                if (d != a && (parts[i].Rank != dims.Length || parts[i].Shape[d] != dims[d]))
                    throw new ArgumentException($"concat along axis {axis}: shapes {parts[0].Shape} and {parts[i].Shape} differ in dimension {d}");
        var y = EmptyOn(parts[0].Device, Shape.Of(dims));
        var starts = new int[parts.Count];
        for (int i = 0, at = 0; i < parts.Count; at += parts[i].Shape[a], i++)
        {
            starts[i] = at;
            CopyIntoSliceGpu(parts[i], y, a, at);
        }
        return Record(y, "concat", [.. parts], g =>
        {
            var grads = new Tensor?[parts.Count];
            for (int i = 0; i < parts.Count; i++)
                grads[i] = g.Slice(a, starts[i], starts[i] + parts[i].Shape[a]);
            return grads;
        });
    }

    // As CopyIntoSlice: src seen as (outer, axis·inner) is written at column start·inner of dst's rows.
    private static void CopyIntoSliceGpu(Tensor src, Tensor dst, int axis, int start)
    {
        src = src.GpuPacked();
        int inner = 1, outer = 1;
        for (int d = axis + 1; d < dst.Rank; d++) inner *= dst.Shape[d];
        for (int d = 0; d < axis; d++) outer *= dst.Shape[d];
        CopyKernels.IntoSliceGpu(dst.GpuAccelerator, src.GpuView(), outer, src.Shape[axis] * inner, dst.GpuView(), dst.Shape[axis] * inner, start * inner);
    }

    /// <summary>Sum along an axis on the GPU (the reduced shape already computed by Sum).</summary>
    private Tensor SumAxisGpu(int axis, bool keepDim)
    {
        int a = Shape.NormalizeAxis(axis);
        var (outer, n, inner) = Split(a);
        var x = GpuPacked();
        var y = EmptyOn(Device, ReducedShape(a, keepDim));
        ReduceKernels.SumGpu(GpuAccelerator, x.GpuView(), outer, n, inner, y.GpuView());
        return WillRecord(this) ? RecordSumAxis(y, a) : y;
    }
}
