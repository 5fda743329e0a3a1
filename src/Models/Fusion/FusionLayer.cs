// FusionLayer — the common shape of a layer that fuses M modality vectors into one output:
// Forward takes one (B, D_m) tensor per modality and returns (B, OutFeatures). LowRankFusion and
// TensorFusion derive from it; BranchFusion (and MeanFusion) accept any Module<IReadOnlyList<Tensor>, Tensor>.

using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Fusion;

/// <summary>A layer over one (B, D_m) input per modality, returning (B, OutFeatures).</summary>
public abstract class FusionLayer : Module<IReadOnlyList<Tensor>, Tensor>
{
    protected FusionLayer(string name, IReadOnlyList<int> inFeatures, int outFeatures)
    {
        if (inFeatures.Count == 0 || inFeatures.Any(d => d <= 0) || outFeatures < 1)
            throw new ArgumentException($"{name}: need modalities with ≥ 1 feature and outputs ≥ 1; got ({string.Join(", ", inFeatures)}), out {outFeatures}");
        Name = name;
        InFeatures = [.. inFeatures];
        OutFeatures = outFeatures;
    }

    private string Name { get; }
    public IReadOnlyList<int> InFeatures { get; }
    public int OutFeatures { get; }

    /// <summary>Throws unless there is one (B, D_m) input per modality with the same B.</summary>
    protected void CheckInputs(IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count != InFeatures.Count)
            throw new ArgumentException($"{Name}: {inputs.Count} inputs for {InFeatures.Count} modalities");
        for (int m = 0; m < inputs.Count; m++)
            if (inputs[m].Rank != 2 || inputs[m].Shape[1] != InFeatures[m] || inputs[m].Shape[0] != inputs[0].Shape[0])
                throw new ArgumentException($"{Name}: input {m} has shape {inputs[m].Shape}, expected (B, {InFeatures[m]}) with the B of input 0 {inputs[0].Shape}");
    }
}
