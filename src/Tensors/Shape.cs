// Shape — the dimensions of a tensor, immutable, with the broadcasting rule.
//
// Dimensions are listed outermost first (row-major), as in NumPy and PyTorch. A rank-0 shape "()"
// is a scalar with one element. Broadcasting follows NumPy: align trailing dimensions; two sizes
// are compatible when equal or when one of them is 1.
//
// Allocation: a training step makes the same few shapes every step (a layer's output, its
// gradient). Ops get theirs from Shape.Of, which returns an equal shape made earlier on this
// thread when there is one (a small ring of recent shapes), and a shape builds its contiguous
// Layout once (ContiguousLayout) for every tensor made with it. Both are safe to share because
// shapes and layouts are immutable.

namespace FusionScratch.Tensors;

/// <summary>Immutable list of tensor dimensions.</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    /// <summary>Creates a shape; every dimension must be ≥ 0.</summary>
    public Shape(params int[] dims) : this((int[])dims.Clone(), owned: true) { }

    /// <summary>Takes ownership of <paramref name="dims"/> (no copy): the caller made the array for this shape alone.</summary>
    private Shape(int[] dims, bool owned)
    {
        System.Diagnostics.Debug.Assert(owned);
        foreach (int d in dims)
            if (d < 0) throw new ArgumentException($"shape {Format(dims)} has a negative dimension");
        _dims = dims;
        long n = 1;
        foreach (int d in _dims) n *= d;
        if (n > int.MaxValue) throw new ArgumentException($"shape {Format(dims)} has {n} elements, more than a tensor can hold");
        Numel = (int)n;
    }

    private Layout? _contiguous;

    /// <summary>The row-major contiguous layout of this shape at offset 0, built once and shared by every tensor made with it.</summary>
    internal Layout ContiguousLayout => _contiguous ??= new Layout(this, ContiguousStrides(), 0);

    /// <summary>Recently made shapes on this thread (a ring), for <see cref="Of"/>.</summary>
    [ThreadStatic] private static Shape?[]? t_recent;
    [ThreadStatic] private static int t_next;
    private const int RecentShapes = 64;

    /// <summary>
    /// A shape with these dimensions: one made recently on this thread when its dimensions are
    /// equal (so a steady training step makes no new shapes), else a new one. Compare shapes with
    /// ==, never by reference.
    /// </summary>
    public static Shape Of(params ReadOnlySpan<int> dims)
    {
        var recent = t_recent ??= new Shape?[RecentShapes];
        for (int i = 0; i < recent.Length; i++)
        {
            Shape? s = recent[i];
            if (s is null) break; // the ring fills from slot 0: nothing after an empty slot
            if (dims.SequenceEqual(s._dims)) return s;
        }
        var shape = new Shape(dims.ToArray(), owned: true);
        recent[t_next] = shape;
        t_next = (t_next + 1) % RecentShapes;
        return shape;
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
        Span<int> dims = stackalloc int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Rank ? 1 : a._dims[i - (rank - a.Rank)];
            int db = i < rank - b.Rank ? 1 : b._dims[i - (rank - b.Rank)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {a} and {b} cannot be broadcast (dimension {i}: {da} vs {db})");
            dims[i] = da == 1 ? db : da;
        }
        return Of(dims);
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
