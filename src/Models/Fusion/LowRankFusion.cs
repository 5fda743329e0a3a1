// LowRankFusion — low-rank multimodal fusion (Liu et al., "Efficient Low-rank Multimodal Fusion
// with Modality-Specific Factors", ACL 2018) as a module.
//
// Each modality vector z_m (B, D_m) is extended by a constant 1, projected by R modality-specific
// factors W_m^(r) ∈ R^{(D_m+1)×H}, the projections are multiplied elementwise (Hadamard) across
// modalities, and summed over the rank with learned fusion weights, plus a bias:
//
//   y = Σ_r w_r · ( [z_0,1]·W_0^(r) ⊙ [z_1,1]·W_1^(r) ⊙ … ) + b
//
// This is tensor fusion (TensorFusion.cs: y = W·([z_0,1] ⊗ [z_1,1] ⊗ …) + b) with the weight
// tensor W held in rank-R CP form, so parameters and work grow with R·Σ(D_m+1)·H instead of
// Π(D_m+1)·H. The 1s keep the lower-order terms: the product contains every single modality and
// every pair, not only the full M-way interaction.
//
// Parameters: factor{m} (D_m+1, R, H) — W_m^(r) is factor{m}[:, r, :] —, fusion_weights (R),
// fusion_bias (H). Initialisation as the authors' code: Xavier-normal factors (per W_m^(r):
// std = √(2/(D_m+1+H))) and fusion weights (a 1×R matrix: std = √(2/(1+R))), zero bias. Unlike
// the reference implementation, whose fusion weights and bias were left out of training, all
// three are registered parameters; a test checks that they receive gradients and change.
//
// Forward runs the fused op Tensor.LowRankFusion (GEMMs + one SIMD pass, src/Kernels/Fusion);
// Composed(…) builds the same function from ordinary tensor ops (concatenate the 1s, matmul,
// multiply, weight, sum), kept as the readable reference and checked against the fused op.

using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Fusion;

/// <summary>LMF: rank-R modality factors, Hadamard product across modalities, weighted sum over the rank.</summary>
public sealed class LowRankFusion : FusionLayer
{
    public int Rank { get; }
    public IReadOnlyList<Tensor> Factors { get; }
    public Tensor FusionWeights { get; }
    public Tensor FusionBias { get; }

    /// <summary>Forward through the fused op (true, default) or through composed tensor ops (false).</summary>
    public bool Fused { get; set; } = true;

    public LowRankFusion(IReadOnlyList<int> inFeatures, int rank, int outFeatures, Rng rng) : base("low-rank fusion", inFeatures, outFeatures)
    {
        if (rank < 1) throw new ArgumentException($"low-rank fusion: rank must be ≥ 1, got {rank}");
        Rank = rank;
        var factors = new Tensor[inFeatures.Count];
        for (int m = 0; m < factors.Length; m++)
            factors[m] = RegisterParameter($"factor{m}",
                Tensor.Randn(new Shape(inFeatures[m] + 1, rank, outFeatures), rng, 0f, MathF.Sqrt(2f / (inFeatures[m] + 1 + outFeatures))));
        Factors = factors;
        FusionWeights = RegisterParameter("fusion_weights", Tensor.Randn(new Shape(rank), rng, 0f, MathF.Sqrt(2f / (1 + rank))));
        FusionBias = RegisterParameter("fusion_bias", Tensor.Zeros(outFeatures));
    }

    /// <summary>Parameters of an LMF layer: R·Σ(D_m+1)·H + R + H.</summary>
    public static long CountParameters(IReadOnlyList<int> inFeatures, int rank, int outFeatures) =>
        (long)rank * inFeatures.Sum(d => (long)d + 1) * outFeatures + rank + outFeatures;

    /// <summary><paramref name="inputs"/>: one (B, D_m) tensor per modality; returns (B, H).</summary>
    public override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        CheckInputs(inputs);
        return Fused
            ? Tensor.LowRankFusion(inputs, Factors, FusionWeights, FusionBias)
            : Composed(inputs, Factors, FusionWeights, FusionBias);
    }

    /// <summary>The same layer from ordinary tensor ops, as the paper writes it (the readable reference).</summary>
    public static Tensor Composed(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> factors, Tensor weights, Tensor bias)
    {
        int B = inputs[0].Shape[0], R = weights.Shape[0], H = bias.Shape[0];
        Tensor? product = null;
        for (int m = 0; m < inputs.Count; m++)
        {
            var extended = Tensor.Concat([inputs[m], Tensor.Ones(B, 1)], 1);                      // [z_m, 1]   (B, D_m+1)
            var projection = extended.MatMul(factors[m].Reshape(factors[m].Shape[0], R * H));  // all ranks (B, R·H)
            product = product is null ? projection : product * projection;                     // Hadamard across modalities
        }
        return (product!.Reshape(B, R, H) * weights.Reshape(1, R, 1)).Sum(1) + bias;           // Σ_r w_r·(…) + b
    }

    public override string ToString() => $"LowRankFusion(({string.Join(", ", InFeatures)}) → {OutFeatures}, rank {Rank})";
}
