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
    public static Tensor Scalar(float value) => new([value], Shape.Scalar);

    public static Tensor Zeros(params int[] shape) => Zeros(new Shape(shape));
    public static Tensor Zeros(Shape shape) => new(new float[shape.Numel], shape);
    public static Tensor Ones(params int[] shape) => Full(new Shape(shape), 1f);
    public static Tensor ZerosLike(Tensor t) => Zeros(t.Shape);
    public static Tensor OnesLike(Tensor t) => Full(t.Shape, 1f);

    public static Tensor Full(Shape shape, float value)
    {
        var data = new float[shape.Numel];
        Array.Fill(data, value);
        return new Tensor(data, shape);
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
        var data = new float[shape.Numel];
        for (int i = 0; i < data.Length; i++) data[i] = rng.Uniform(lo, hi);
        return new Tensor(data, shape);
    }

    /// <summary>Normal values with the given mean and standard deviation.</summary>
    public static Tensor Randn(Shape shape, Rng rng, float mean = 0f, float std = 1f)
    {
        var data = new float[shape.Numel];
        for (int i = 0; i < data.Length; i++) data[i] = mean + std * rng.Normal();
        return new Tensor(data, shape);
    }

    /// <summary>Marks this tensor as a leaf that requires grad and returns it (fluent).</summary>
    public Tensor RequireGrad()
    {
        RequiresGrad = true;
        return this;
    }
}
