// Linear — y = x·Wᵀ + b, with W of shape (OutFeatures, InFeatures) as in PyTorch.
// The transpose is a flag to the GEMM, never a copy. Initialisation follows PyTorch's default:
// W and b uniform in ±1/√InFeatures (Kaiming-uniform with a = √5).

using FusionScratch.Tensors;

namespace FusionScratch.Models.Nn;

/// <summary>Fully connected layer.</summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Linear(int inFeatures, int outFeatures, Rng rng, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentException($"linear: features must be positive, got in {inFeatures}, out {outFeatures}");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        float bound = 1f / MathF.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", Tensor.Rand(new Shape(outFeatures, inFeatures), rng, -bound, bound));
        if (bias) Bias = RegisterParameter("bias", Tensor.Rand(new Shape(outFeatures), rng, -bound, bound));
    }

    /// <summary>x is (batch, InFeatures); returns (batch, OutFeatures).</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 2 || x.Shape[1] != InFeatures)
            throw new ArgumentException($"linear({InFeatures}→{OutFeatures}): input of shape {x.Shape}, expected (batch, {InFeatures})");
        var y = Tensor.MatMul(x, Weight, transposeB: true);
        return Bias is null ? y : y + Bias;
    }

    public override string ToString() => $"Linear({InFeatures}→{OutFeatures}{(Bias is null ? ", no bias" : "")})";
}
