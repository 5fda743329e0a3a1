// TensorFusion — the tensor fusion layer of TFN (Zadeh et al., "Tensor Fusion Network for
// Multimodal Sentiment Analysis", EMNLP 2017): the outer product of the 1-extended modality
// vectors, flattened, then a linear map:
//
//   y = W · vec([z_0,1] ⊗ [z_1,1] ⊗ …) + b,        W of shape (H, Π_m (D_m+1))
//
// The 1s make the product hold every single modality, every pair and the full M-way interaction.
// It is the full-rank baseline LowRankFusion approximates: its parameters, work and memory grow
// with Π_m (D_m+1) (2.5 million products per row at D = 128, 64, 300), so callers estimate a
// step's memory (EstimateStepBytes) before they build one.
// Composed from tensor ops (concatenate the 1s, broadcast multiply, reshape, Linear), so its
// gradient is theirs; the tests check it against finite differences.

using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Fusion;

/// <summary>TFN: outer product of the 1-extended modality vectors, flattened, then linear.</summary>
public sealed class TensorFusion : FusionLayer
{
    /// <summary>The linear map from the flattened outer product, (H, Π(D_m+1)) weight.</summary>
    public Linear Linear { get; }

    public TensorFusion(IReadOnlyList<int> inFeatures, int outFeatures, Rng rng) : base("tensor fusion", inFeatures, outFeatures)
    {
        long products = ProductSize(inFeatures);
        if (products > Array.MaxLength / outFeatures)
            throw new ArgumentException($"tensor fusion: ({string.Join(", ", inFeatures)}) → {outFeatures} needs a weight of {products:N0} × {outFeatures} floats, more than one array holds");
        Linear = RegisterModule("linear", new Linear((int)products, outFeatures, rng));
    }

    /// <summary>Π_m (D_m+1): the length of the flattened outer product.</summary>
    public static long ProductSize(IReadOnlyList<int> inFeatures) => inFeatures.Aggregate(1L, (p, d) => p * (d + 1));

    /// <summary>Parameters of a TFN layer: Π(D_m+1)·H + H.</summary>
    public static long CountParameters(IReadOnlyList<int> inFeatures, int outFeatures) => (ProductSize(inFeatures) + 1) * outFeatures;

    /// <summary>
    /// Bytes one training step holds at its peak: parameters and their gradients, the inputs, the
    /// forward's 1-extended inputs and outer products (each partial product (B, Π_{m'≤m}(D_m'+1))), the
    /// output, and backward's weight-gradient product (H, Π) before it is added into the gradient;
    /// with <paramref name="inputGradients"/> also the (B, Π) gradient of the outer product, the
    /// two (B, Π_{m'≤m}) temporaries per broadcast multiply and their reductions, and the inputs'
    /// gradients. Counted op by op for the engine's ops; the tests check it bounds what a step
    /// really holds, within a few floats.
    /// </summary>
    public static long EstimateStepBytes(IReadOnlyList<int> inFeatures, int outFeatures, int batch, bool inputGradients)
    {
        long B = batch, H = outFeatures, P = ProductSize(inFeatures);
        long extended = inFeatures.Sum(d => (long)d + 1);
        // partials: Σ_{m≥1} Π_{m'≤m}(D_m'+1), the outer products; reduced: Σ_{m≥1} (Π_{m'<m}(D_m'+1) + D_m+1),
        // what backward sums each broadcast multiply's gradient down to.
        long partials = 0, reduced = 0, running = inFeatures[0] + 1;
        for (int m = 1; m < inFeatures.Count; m++)
        {
            reduced += running + inFeatures[m] + 1;
            partials += running *= inFeatures[m] + 1;
        }
        long floats = 2 * (P * H + H)                             // parameters + gradients
                    + H * P                                       // dW before it is added into the gradient
                    + B * (extended - inFeatures.Count)           // the inputs
                    + B * inFeatures.Count + B * extended         // the 1s, the 1-extended inputs
                    + B * partials                                // the outer products
                    + 5 * B * H + H + 2;                          // output, loss, (B, H) copies of dy, bias gradient
        if (inputGradients) floats += B * P + 2 * B * partials + B * reduced + B * extended + B * (extended - inFeatures.Count);
        return floats * sizeof(float);
    }

    /// <summary><paramref name="inputs"/>: one (B, D_m) tensor per modality; returns (B, H).</summary>
    public override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        CheckInputs(inputs);
        return Linear.Forward(OuterProduct(inputs));
    }

    /// <summary>vec([z_0,1] ⊗ [z_1,1] ⊗ …) per row: (B, Π(D_m+1)), the last modality's index fastest.</summary>
    public static Tensor OuterProduct(IReadOnlyList<Tensor> inputs)
    {
        int B = inputs[0].Shape[0];
        Tensor? outer = null;
        foreach (Tensor z in inputs)
        {
            var extended = Tensor.Concat([z, Tensor.Ones(B, 1).To(z.Device)], 1); // the constant 1, on z's device
            outer = outer is null ? extended : (outer.Unsqueeze(2) * extended.Unsqueeze(1)).Reshape(B, -1);
        }
        return outer!;
    }

    public override string ToString() => $"TensorFusion(({string.Join(", ", InFeatures)}) → {OutFeatures}, {ProductSize(InFeatures):N0} products)";
}
