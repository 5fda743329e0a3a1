// Reductions: sum, mean and max over all elements or along one axis, and argmax (no gradient).
// Every reduction views its input as (outer, axis, inner) — the dimensions before, at and after
// the reduced one — which is the layout ReduceKernels works on.
//
// Backward: sum broadcasts the gradient back over the reduced axis; mean does the same divided by
// the axis length; max sends the gradient to the first position of the maximum only (ties go to
// the first index, as argmax reports it).

using FusionScratch.Kernels;
using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Layout;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    private (int Outer, int Axis, int Inner) Split(int axis)
    {
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= Shape[d];
        for (int d = axis + 1; d < Rank; d++) inner *= Shape[d];
        return (outer, Shape[axis], inner);
    }

    private Shape ReducedShape(int axis, bool keepDim)
    {
        Span<int> dims = stackalloc int[Rank];
        Shape.Dims.CopyTo(dims);
        if (keepDim)
        {
            dims[axis] = 1;
            return Shape.Of(dims);
        }
        dims[(axis + 1)..].CopyTo(dims[axis..]);
        return Shape.Of(dims[..^1]);
    }

    /// <summary>Sum of all elements (a scalar).</summary>
    public Tensor Sum()
    {
        if (IsOnGpu) return SumAllGpu();
        var y = Empty(Shape.Scalar);
        Kernel((x: Packed(), y), static s => s.y.Span[0] = ReduceKernels.Sum(s.x.Span));
        Shape inShape = Shape;
        return Record(y, "sum", [this], g => [g.Expand(inShape.ToArray())]);
    }

    /// <summary>Sum along <paramref name="axis"/>.</summary>
    public Tensor Sum(int axis, bool keepDim = false)
    {
        if (IsOnGpu) return SumAxisGpu(axis, keepDim);
        int a = Shape.NormalizeAxis(axis);
        var (outer, n, inner) = Split(a);
        var y = Empty(ReducedShape(a, keepDim)); // SumSimd overwrites every element
        Kernel((x: Packed(), outer, n, inner, y), static s => ReduceKernels.SumSimd(s.x.Span, s.outer, s.n, s.inner, s.y.Span));
        return WillRecord(this) ? RecordSumAxis(y, a) : y;
    }

    /// <summary>Sum(axis)'s backward rule, built only when the op is recorded (see <see cref="WillRecord(Tensor)"/>).</summary>
    private Tensor RecordSumAxis(Tensor y, int axis)
    {
        Shape inShape = Shape, kept = ReducedShape(axis, true);
        return Record(y, "sum_axis", [this], g => [g.Reshape(kept.Dims).Expand(inShape.ToArray())]);
    }

    /// <summary>Mean of all elements (a scalar).</summary>
    public Tensor Mean() => Numel == 0
        ? throw new InvalidOperationException("mean of an empty tensor")
        : Sum().MulScalar(1f / Numel);

    /// <summary>Mean along <paramref name="axis"/>.</summary>
    public Tensor Mean(int axis, bool keepDim = false)
    {
        int n = Shape[axis];
        if (n == 0) throw new InvalidOperationException($"mean along an empty axis {axis} of shape {Shape}");
        return Sum(axis, keepDim).MulScalar(1f / n);
    }

    /// <summary>Maximum along <paramref name="axis"/>; the gradient goes to the first maximal element.</summary>
    public Tensor Max(int axis, bool keepDim = false)
    {
        int a = Shape.NormalizeAxis(axis);
        var (outer, n, inner) = Split(a);
        if (n == 0) throw new InvalidOperationException($"max along an empty axis {axis} of shape {Shape}");
        if (IsOnGpu) return MaxAxisGpu(a, keepDim);
        var x = Packed();
        var y = Empty(ReducedShape(a, keepDim)); // MaxSimd overwrites every element
        Kernel((x, outer, n, inner, y), static s => ReduceKernels.MaxSimd(s.x.Span, s.outer, s.n, s.inner, s.y.Span));
        return Record(y, "max_axis", [this], g =>
        {
            var idx = TensorArena.AllocateInts(outer * inner);
            var dx = Empty(x.Shape);
            Kernel((x, g: g.Packed(), idx, outer, n, inner, dx), static s =>
            {
                // Scatter each gradient to the first maximum of its slice; zeros elsewhere.
                ReduceKernels.ArgMaxSimd(s.x.Span, s.outer, s.n, s.inner, s.idx);
                ReadOnlySpan<float> gd = s.g.Span;
                Span<float> d = s.dx.Span;
                d.Clear();
                for (int o = 0; o < s.outer; o++)
                    for (int i = 0; i < s.inner; i++)
                        d[(o * s.n + s.idx[o * s.inner + i]) * s.inner + i] = gd[o * s.inner + i];
            });
            return [dx];
        });
    }

    /// <summary>Index of the first maximum along <paramref name="axis"/>, for every other index (row-major).</summary>
    public int[] ArgMax(int axis = -1)
    {
        var (outer, _, inner) = Split(Shape.NormalizeAxis(axis));
        var idx = new int[outer * inner];
        ArgMax(axis, idx);
        return idx;
    }

    /// <summary>ArgMax into <paramref name="destination"/> (one index per position of the other axes), allocating nothing.</summary>
    public void ArgMax(int axis, Span<int> destination)
    {
        if (IsOnGpu)
        {
            To(Device.Cpu).ArgMax(axis, destination); // indices end up on the host anyway: one download
            return;
        }
        int a = Shape.NormalizeAxis(axis);
        var (outer, n, inner) = Split(a);
        if (n == 0) throw new InvalidOperationException($"argmax along an empty axis {axis} of shape {Shape}");
        if (destination.Length != outer * inner)
            throw new ArgumentException($"argmax along axis {axis} of shape {Shape} gives {outer * inner} indices, destination holds {destination.Length}");
        ReduceKernels.ArgMaxSimd(ReadContiguous(), outer, n, inner, destination);
    }
}
