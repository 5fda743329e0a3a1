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
//
// The second constructor swaps "concatenate, then head" for any fusion of the branch outputs:
//
//   x = [x₀ | x₁ | …]  →  fusion(branch₀(x₀), branch₁(x₁), …)  →  output
//
// with LowRankFusion, TensorFusion or MeanFusion (late fusion: the average of per-modality
// predictions), so every model of the LMF study reads the same rows through the same encoders.

using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Fusion;

/// <summary>Per-modality encoders over column blocks of one input, concatenated, then a head.</summary>
public sealed class BranchFusion : Module<Tensor, Tensor>
{
    private readonly int[] _widths;
    private readonly Module<Tensor, Tensor>[] _branches;
    private readonly Module<Tensor, Tensor>? _head;
    private readonly Module<IReadOnlyList<Tensor>, Tensor>? _fusion;

    /// <param name="widths">Input columns of each modality, in order.</param>
    /// <param name="branches">One encoder per modality, (N, widths[m]) → (N, e_m).</param>
    /// <param name="head">(N, Σ e_m) → output.</param>
    public BranchFusion(int[] widths, Module<Tensor, Tensor>[] branches, Module<Tensor, Tensor> head) : this(widths, branches)
    {
        _head = RegisterModule("head", head);
    }

    /// <param name="widths">Input columns of each modality, in order.</param>
    /// <param name="branches">One encoder per modality, (N, widths[m]) → (N, e_m).</param>
    /// <param name="fusion">The branch outputs, one per modality → output.</param>
    public BranchFusion(int[] widths, Module<Tensor, Tensor>[] branches, Module<IReadOnlyList<Tensor>, Tensor> fusion) : this(widths, branches)
    {
        _fusion = RegisterModule("fusion", fusion);
    }

    private BranchFusion(int[] widths, Module<Tensor, Tensor>[] branches)
    {
        if (widths.Length != branches.Length || widths.Length == 0)
            throw new ArgumentException($"branch fusion: {widths.Length} widths for {branches.Length} branches");
        if (widths.Any(w => w <= 0)) throw new ArgumentException("branch fusion: every modality needs at least one column");
        _widths = (int[])widths.Clone();
        _branches = branches;
        for (int m = 0; m < branches.Length; m++) RegisterModule($"branch{m}", branches[m]);
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
        if (_fusion is not null) return _fusion.Forward(embeddings);
        return _head!.Forward(embeddings.Length == 1 ? embeddings[0] : Tensor.Concat(embeddings, 1));
    }
}

/// <summary>Late fusion: the average of per-modality predictions (all of one shape).</summary>
public sealed class MeanFusion : Module<IReadOnlyList<Tensor>, Tensor>
{
    public override Tensor Forward(IReadOnlyList<Tensor> predictions)
    {
        if (predictions.Count == 0) throw new ArgumentException("mean fusion: no predictions");
        Tensor sum = predictions[0];
        for (int m = 1; m < predictions.Count; m++) sum += predictions[m];
        return sum * (1f / predictions.Count);
    }

    public override string ToString() => "MeanFusion";
}
