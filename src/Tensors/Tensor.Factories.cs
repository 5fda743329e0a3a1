// Factory functions. Every random factory takes an Rng explicitly: a model's initial weights and
// a run's results are fixed by the seed the caller chose, never by hidden global state.

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor FromArray(float[] data, params int[] shape) =>
        new((float[])data.Clone(), shape.Length == 0 && data.Length != 1 ? new Shape(data.Length) : new Shape(shape));

    /// <summary>A tensor that takes ownership of <paramref name="data"/> (no copy).</summary>
    public static Tensor Wrap(float[] data, params int[] shape) => new(data, new Shape(shape));

    /// <summary>A rank-0 tensor holding one value.</summary>
    public static Tensor Scalar(float value) => Full(Shape.Scalar, value);

    public static Tensor Zeros(params int[] shape) => Zeros(new Shape(shape));
    public static Tensor Zeros(Shape shape) => Allocate(shape, clear: true);

    /// <summary>
    /// A contiguous tensor whose buffer comes from the open TensorArena (if any) or the GC heap.
    /// With clear = false the contents are undefined: only for outputs a kernel fully overwrites.
    /// </summary>
    internal static Tensor Allocate(Shape shape, bool clear)
    {
        TensorArena? arena = TensorArena.Current;
        if (arena is null) return new Tensor(new float[shape.Numel], shape);
        return new Tensor(arena.Rent(shape.Numel, clear), Layout.Contiguous(shape));
    }

    /// <summary>Uninitialised contiguous tensor for a kernel to overwrite completely.</summary>
    internal static Tensor Empty(Shape shape) => Allocate(shape, clear: false);
    public static Tensor Ones(params int[] shape) => Full(new Shape(shape), 1f);
    public static Tensor ZerosLike(Tensor t) => Zeros(t.Shape);
    public static Tensor OnesLike(Tensor t) => Full(t.Shape, 1f);

    public static Tensor Full(Shape shape, float value)
    {
        var t = Allocate(shape, clear: false);
        t.Span.Fill(value);
        return t;
    }

    /// <summary>0, 1, …, n−1 as a rank-1 tensor.</summary>
    public static Tensor Arange(int n)
    {
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = i;
        return new Tensor(data, new Shape(n));
    }

    /// <summary>Uniform values in [lo, hi).</summary>
    public static Tensor Rand(Shape shape, Rng rng, float lo = 0f, float hi = 1f)
    {
        CapturedStep.Refuse("Tensor.Rand");
        var data = new float[shape.Numel];
        for (int i = 0; i < data.Length; i++) data[i] = rng.Uniform(lo, hi);
        return new Tensor(data, shape);
    }

    /// <summary>Normal values with the given mean and standard deviation.</summary>
    public static Tensor Randn(Shape shape, Rng rng, float mean = 0f, float std = 1f)
    {
        CapturedStep.Refuse("Tensor.Randn");
        var data = new float[shape.Numel];
        for (int i = 0; i < data.Length; i++) data[i] = mean + std * rng.Normal();
        return new Tensor(data, shape);
    }

    /// <summary>Zeroes this tensor's gradient in place, keeping its buffer (no-op when there is none).</summary>
    public void ZeroGrad()
    {
        if (Grad is { IsOnGpu: true }) { ZeroGpu(Grad); return; }
        Grad?.Span.Clear();
    }

    /// <summary>Marks this tensor as a leaf that requires grad and returns it (fluent).</summary>
    public Tensor RequireGrad()
    {
        RequiresGrad = true;
        return this;
    }
}
