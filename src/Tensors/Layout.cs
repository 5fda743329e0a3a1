// Layout — how a tensor's elements sit in its storage: shape, strides (in elements) and the
// offset of the first element (candle's layout.rs). Views — transpose, permute, slice, expand
// (broadcast), reshape of a contiguous tensor — only make a new Layout over the same storage.
// A stride of 0 repeats an element (broadcast); strides are never negative here.

namespace FusionScratch.Tensors;

/// <summary>Shape + strides + offset over a storage buffer.</summary>
public sealed class Layout
{
    public Shape Shape { get; }
    private readonly int[] _strides;
    public ReadOnlySpan<int> Strides => _strides;
    public int Offset { get; }

    public Layout(Shape shape, int[] strides, int offset)
    {
        if (strides.Length != shape.Rank)
            throw new ArgumentException($"layout: {strides.Length} strides for shape {shape}");
        Shape = shape;
        _strides = strides;
        Offset = offset;
    }

    /// <summary>Row-major contiguous layout starting at offset 0.</summary>
    public static Layout Contiguous(Shape shape) => shape.ContiguousLayout; // built once per shape

    /// <summary>True when the elements are packed row-major with no gaps or repeats.</summary>
    public bool IsContiguous
    {
        get
        {
            int expected = 1;
            for (int d = Shape.Rank - 1; d >= 0; d--)
            {
                if (Shape[d] != 1 && _strides[d] != expected) return false;
                expected *= Shape[d];
            }
            return true;
        }
    }

    /// <summary>Index into storage of one element.</summary>
    public int IndexOf(ReadOnlySpan<int> index)
    {
        if (index.Length != Shape.Rank)
            throw new ArgumentException($"index of rank {index.Length} for shape {Shape}");
        int at = Offset;
        for (int d = 0; d < index.Length; d++)
        {
            if ((uint)index[d] >= (uint)Shape[d])
                throw new IndexOutOfRangeException($"index {Shape.Format(index)} is out of range for shape {Shape}");
            at += index[d] * _strides[d];
        }
        return at;
    }

    /// <summary>Reorders dimensions: result dimension i is this dimension perm[i].</summary>
    public Layout Permute(ReadOnlySpan<int> perm)
    {
        if (perm.Length != Shape.Rank)
            throw new ArgumentException($"permute: {perm.Length} axes for shape {Shape}");
        var seen = new bool[perm.Length];
        var dims = new int[perm.Length];
        var strides = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++)
        {
            int p = Shape.NormalizeAxis(perm[i]);
            if (seen[p]) throw new ArgumentException($"permute: axes {Shape.Format(perm)} repeat an axis");
            seen[p] = true;
            dims[i] = Shape[p];
            strides[i] = _strides[p];
        }
        return new Layout(new Shape(dims), strides, Offset);
    }

    /// <summary>Elements [start, end) along one axis.</summary>
    public Layout Slice(int axis, int start, int end)
    {
        int a = Shape.NormalizeAxis(axis);
        if (start < 0 || end > Shape[a] || start > end)
            throw new ArgumentException($"slice [{start}, {end}) is out of range for axis {axis} of shape {Shape}");
        var dims = Shape.ToArray();
        dims[a] = end - start;
        return new Layout(new Shape(dims), (int[])_strides.Clone(), Offset + start * _strides[a]);
    }

    /// <summary>Broadcasts to <paramref name="target"/> with stride 0 on expanded dimensions.</summary>
    public Layout Expand(Shape target)
    {
        var strides = new int[target.Rank];
        ExpandStrides(target, strides);
        return new Layout(target, strides, Offset);
    }

    /// <summary>The strides of <see cref="Expand"/> written into <paramref name="strides"/> (target.Rank of them), without making a Layout.</summary>
    internal void ExpandStrides(Shape target, Span<int> strides)
    {
        if (target.Rank < Shape.Rank)
            throw new ArgumentException($"expand: cannot expand shape {Shape} to the lower-rank {target}");
        int lead = target.Rank - Shape.Rank;
        for (int d = 0; d < target.Rank; d++)
        {
            if (d < lead) { strides[d] = 0; continue; }
            int src = Shape[d - lead];
            if (src == target[d]) strides[d] = _strides[d - lead];
            else if (src == 1) strides[d] = 0;
            else throw new ArgumentException($"expand: shape {Shape} cannot be broadcast to {target}");
        }
    }

    public override string ToString() => $"{Shape} strides {Shape.Format(_strides)} offset {Offset}";
}
