// Shape ops: views that share storage (Reshape of a contiguous tensor, Transpose, Permute, Slice,
// Expand) and the copies that cannot be views (Contiguous, Concat). Each backward rule sits right
// under its forward: a view's gradient is the inverse view of the output gradient; Expand's is a
// sum over the broadcast dimensions; Slice's scatters into zeros.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Layout;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    /// <summary>The same elements with a new shape; one dimension may be −1 (inferred).</summary>
    public Tensor Reshape(params ReadOnlySpan<int> shape)
    {
        Span<int> dims = stackalloc int[shape.Length];
        shape.CopyTo(dims);
        int infer = -1, known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"reshape {Shape} to {Shape.Format(shape)}: only one dimension can be -1");
                infer = i;
            }
            else known *= dims[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || Numel % known != 0)
                throw new ArgumentException($"reshape: cannot reshape {Shape} ({Numel} elements) to {Shape.Format(shape)}");
            dims[infer] = Numel / known;
        }
        var target = Shape.Of(dims);
        if (target.Numel != Numel)
            throw new ArgumentException($"reshape: cannot reshape {Shape} ({Numel} elements) to {target} ({target.Numel} elements)");
        Tensor src = Contiguous();
        var layout = src.Layout.Offset == 0 ? target.ContiguousLayout : new Layout(target, target.ContiguousStrides(), src.Layout.Offset);
        var y = new Tensor(src.Storage, layout);
        return WillRecord(this) ? RecordReshape(y, Shape) : y;
    }

    /// <summary>Reshape's backward rule, built only when the op is recorded (see <see cref="WillRecord(Tensor)"/>).</summary>
    private Tensor RecordReshape(Tensor y, Shape inShape) => Record(y, "reshape", [this], g => [g.Reshape(inShape.Dims)]);

    /// <summary>Flattens dimensions from <paramref name="startAxis"/> on into one.</summary>
    public Tensor Flatten(int startAxis = 1)
    {
        int s = Shape.NormalizeAxis(startAxis);
        Span<int> dims = stackalloc int[s + 1];
        for (int i = 0; i < s; i++) dims[i] = Shape[i];
        dims[s] = 1;
        for (int i = s; i < Rank; i++) dims[s] *= Shape[i];
        return Reshape(dims);
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="axis"/>.</summary>
    public Tensor Unsqueeze(int axis)
    {
        int a = axis < 0 ? axis + Rank + 1 : axis;
        if (a < 0 || a > Rank) throw new ArgumentException($"unsqueeze: axis {axis} is out of range for shape {Shape}");
        var dims = Shape.ToArray().ToList();
        dims.Insert(a, 1);
        return Reshape([.. dims]);
    }

    /// <summary>Reorders the dimensions (a view): result dimension i is input dimension perm[i].</summary>
    public Tensor Permute(params int[] perm)
    {
        var y = new Tensor(Storage, Layout.Permute(perm));
        var inverse = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) inverse[Shape.NormalizeAxis(perm[i])] = i;
        return Record(y, "permute", [this], g => [g.Permute(inverse)]);
    }

    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor Transpose(int axis0 = -2, int axis1 = -1)
    {
        var perm = Enumerable.Range(0, Rank).ToArray();
        int a = Shape.NormalizeAxis(axis0), b = Shape.NormalizeAxis(axis1);
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>The transpose of a matrix (a view).</summary>
    public Tensor T => Rank == 2 ? Transpose(0, 1) : throw new InvalidOperationException($"T needs a matrix, this tensor has shape {Shape}");

    /// <summary>Elements [start, end) along one axis (a view).</summary>
    public Tensor Slice(int axis, int start, int end)
    {
        if (IsOnGpu) return SliceGpu(axis, start, end);
        int a = Shape.NormalizeAxis(axis);
        var y = new Tensor(Storage, Layout.Slice(a, start, end));
        Shape inShape = Shape;
        return Record(y, "slice", [this], g =>
        {
            var dx = Empty(inShape);
            Kernel((g: g.Packed(), dx, a, start), static s =>
            {
                s.dx.Span.Clear(); // zeros outside the slice
                CopyIntoSlice(s.g.Span, s.g.Shape, s.dx.Span, s.dx.Shape, s.a, s.start);
            });
            return [dx];
        });
    }

    /// <summary>Broadcasts to <paramref name="shape"/> (a view with stride 0 on the new dimensions).</summary>
    public Tensor Expand(params int[] shape)
    {
        var target = new Shape(shape);
        var y = new Tensor(Storage, Layout.Expand(target));
        return WillRecord(this) ? RecordExpand(y, Shape) : y;
    }

    /// <summary>Expand's backward rule, built only when the op is recorded (see <see cref="WillRecord(Tensor)"/>).</summary>
    private Tensor RecordExpand(Tensor y, Shape inShape) => Record(y, "expand", [this], g => [g.SumTo(inShape)]);

    /// <summary>
    /// This tensor if already contiguous (and <paramref name="copy"/> is false), else a packed copy.
    /// </summary>
    public Tensor Contiguous(bool copy = false)
    {
        if (IsOnGpu) return ContiguousGpu(copy);
        if (IsContiguous && !copy) return this;
        var y = Empty(Shape);
        Kernel((x: this, y), static s => s.x.CopyTo(s.y.Span));
        return Record(y, "contiguous", [this], g => [g]);
    }

    /// <summary>Joins tensors along an existing axis; all other dimensions must match.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> parts, int axis)
    {
        if (parts.Count == 0) throw new ArgumentException("concat: no tensors given");
        if (parts[0].IsOnGpu) return ConcatGpu(parts, axis);
        Shape first = parts[0].Shape;
        int a = first.NormalizeAxis(axis);
        var dims = first.ToArray();
        dims[a] = 0;
        foreach (Tensor p in parts)
        {
            if (p.Rank != first.Rank)
                throw new ArgumentException($"concat: shapes {first} and {p.Shape} differ in rank");
            for (int d = 0; d < first.Rank; d++)
                if (d != a && p.Shape[d] != first[d])
                    throw new ArgumentException($"concat along axis {axis}: shapes {first} and {p.Shape} differ in dimension {d}");
            dims[a] += p.Shape[a];
        }
        var y = Empty(new Shape(dims)); // the parts cover every element
        int at = 0;
        var starts = new int[parts.Count];
        for (int i = 0; i < parts.Count; i++)
        {
            starts[i] = at;
            Kernel((p: parts[i].Packed(), y, a, at), static s => CopyIntoSlice(s.p.Span, s.p.Shape, s.y.Span, s.y.Shape, s.a, s.at));
            at += parts[i].Shape[a];
        }
        return Record(y, "concat", [.. parts], g =>
        {
            var grads = new Tensor?[parts.Count];
            for (int i = 0; i < parts.Count; i++)
                grads[i] = g.Slice(a, starts[i], starts[i] + parts[i].Shape[a]);
            return grads;
        });
    }

    /// <summary>
    /// Copies contiguous <paramref name="src"/> (shape srcShape) into the slice starting at
    /// <paramref name="start"/> along <paramref name="axis"/> of contiguous <paramref name="dst"/>.
    /// Seen as (outer, axis, inner), each outer index is one block copy.
    /// </summary>
    private static void CopyIntoSlice(ReadOnlySpan<float> src, Shape srcShape, Span<float> dst, Shape dstShape, int axis, int start)
    {
        int inner = 1;
        for (int d = axis + 1; d < dstShape.Rank; d++) inner *= dstShape[d];
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= dstShape[d];
        int block = srcShape[axis] * inner, dstRow = dstShape[axis] * inner;
        for (int o = 0; o < outer; o++)
            src.Slice(o * block, block).CopyTo(dst.Slice(o * dstRow + start * inner, block));
    }

    /// <summary>
    /// Sums this tensor down to <paramref name="target"/>, the inverse of broadcasting: leading
    /// extra dimensions are summed away, and dimensions where target has 1 are summed keeping 1.
    /// </summary>
    public Tensor SumTo(Shape target)
    {
        if (Shape == target) return this;
        Tensor t = this;
        int lead = Rank - target.Rank;
        if (lead < 0) throw new ArgumentException($"sum_to: cannot reduce shape {Shape} to the higher-rank {target}");
        if (lead > 0) t = (lead == 1 ? t : t.Reshape([-1, .. Shape.ToArray()[lead..]])).Sum(0); // one leading dim: sum it as is
        for (int d = 0; d < target.Rank; d++)
            if (target[d] == 1 && t.Shape[d] != 1) t = t.Sum(d, keepDim: true);
        if (t.Shape != target) throw new ArgumentException($"sum_to: shape {Shape} does not broadcast to {target}");
        return t;
    }
}
