// BranchFusion — intermediate ("joint") fusion of modalities that arrive side by side in one
// feature row: the columns [0, d₀) are modality 0, [d₀, d₀+d₁) modality 1, and so on. Each
// modality goes through its own branch (an encoder sized for it: a 784-pixel image and a dozen
// tabular aggregates should not share the first layer), the branch outputs are concatenated, and
// a head maps the joint embedding to the output:
//
//   x = [x₀ | x₁ | …]  →  [branch₀(x₀) | branch₁(x₁) | …]  →  head  →  logits
//
// It is the concatenation baseline the LMF study compares with, and the customers study's fused
// model. Slicing and concatenation are autodiff ops, so gradients reach every branch.

using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Fusion;

/// <summary>Per-modality encoders over column blocks of one input, concatenated, then a head.</summary>
public sealed class BranchFusion : Module<Tensor, Tensor>
{
    private readonly int[] _widths;
    private readonly Module<Tensor, Tensor>[] _branches;
    private readonly Module<Tensor, Tensor> _head;

    /// <param name="widths">Input columns of each modality, in order.</param>
    /// <param name="branches">One encoder per modality, (N, widths[m]) → (N, e_m).</param>
    /// <param name="head">(N, Σ e_m) → output.</param>
    public BranchFusion(int[] widths, Module<Tensor, Tensor>[] branches, Module<Tensor, Tensor> head)
    {
        if (widths.Length != branches.Length || widths.Length == 0)
            throw new ArgumentException($"branch fusion: {widths.Length} widths for {branches.Length} branches");
        if (widths.Any(w => w <= 0)) throw new ArgumentException("branch fusion: every modality needs at least one column");
        _widths = (int[])widths.Clone();
        _branches = branches;
        for (int m = 0; m < branches.Length; m++) RegisterModule($"branch{m}", branches[m]);
        _head = RegisterModule("head", head);
    }

    public int InFeatures => _widths.Sum();

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 2 || x.Shape[1] != InFeatures)
            throw new ArgumentException($"branch fusion: input of shape {x.Shape}, expected (N, {InFeatures})");
        var embeddings = new Tensor[_branches.Length];
        int start = 0;
        for (int m = 0; m < _branches.Length; m++)
        {
            embeddings[m] = _branches[m].Forward(x.Slice(1, start, start + _widths[m]));
            start += _widths[m];
        }
        return _head.Forward(embeddings.Length == 1 ? embeddings[0] : Tensor.Concat(embeddings, 1));
    }
}
