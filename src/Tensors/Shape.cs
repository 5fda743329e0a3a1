// Shape — the dimensions of a tensor, immutable, with the broadcasting rule.
//
// Dimensions are listed outermost first (row-major), as in NumPy and PyTorch. A rank-0 shape "()"
// is a scalar with one element. Broadcasting follows NumPy: align trailing dimensions; two sizes
// are compatible when equal or when one of them is 1.

namespace FusionScratch.Tensors;

/// <summary>Immutable list of tensor dimensions.</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    /// <summary>Creates a shape; every dimension must be ≥ 0.</summary>
    public Shape(params int[] dims)
    {
        foreach (int d in dims)
            if (d < 0) throw new ArgumentException($"shape {Format(dims)} has a negative dimension");
        _dims = (int[])dims.Clone();
        long n = 1;
        foreach (int d in _dims) n *= d;
        if (n > int.MaxValue) throw new ArgumentException($"shape {Format(dims)} has {n} elements, more than a tensor can hold");
        Numel = (int)n;
    }

    /// <summary>The scalar shape ().</summary>
    public static readonly Shape Scalar = new();

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.Length;

    /// <summary>Number of elements (product of the dimensions; 1 for a scalar).</summary>
    public int Numel { get; }

    /// <summary>Size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int this[int axis] => _dims[NormalizeAxis(axis)];

    /// <summary>A copy of the dimensions.</summary>
    public int[] ToArray() => (int[])_dims.Clone();

    /// <summary>The dimensions without copying.</summary>
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Maps a possibly negative axis into [0, Rank), or throws.</summary>
    public int NormalizeAxis(int axis)
    {
        int a = axis < 0 ? axis + Rank : axis;
        if (a < 0 || a >= Rank) throw new ArgumentException($"axis {axis} is out of range for shape {this}");
        return a;
    }

    /// <summary>Row-major strides (in elements) of a contiguous tensor of this shape.</summary>
    public int[] ContiguousStrides()
    {
        var s = new int[Rank];
        int acc = 1;
        for (int d = Rank - 1; d >= 0; d--)
        {
            s[d] = acc;
            acc *= Math.Max(_dims[d], 1);
        }
        return s;
    }

    /// <summary>The NumPy broadcast of two shapes, or an ArgumentException naming both.</summary>
    public static Shape Broadcast(Shape a, Shape b, string op = "broadcast")
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Rank ? 1 : a._dims[i - (rank - a.Rank)];
            int db = i < rank - b.Rank ? 1 : b._dims[i - (rank - b.Rank)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {a} and {b} cannot be broadcast (dimension {i}: {da} vs {db})");
            dims[i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in _dims) h.Add(d);
        return h.ToHashCode();
    }
    public static bool operator ==(Shape? a, Shape? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(Shape? a, Shape? b) => !(a == b);

    /// <summary>"(2, 3)"; a scalar prints as "()".</summary>
    public override string ToString() => Format(_dims);

    internal static string Format(ReadOnlySpan<int> dims) => "(" + string.Join(", ", dims.ToArray()) + ")";

    public static implicit operator Shape(int[] dims) => new(dims);
}
