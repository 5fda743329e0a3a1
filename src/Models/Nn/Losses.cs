// Loss functions. Cross-entropy is the fused tensor op (softmax + NLL in one kernel pass);
// MSE is composed from differentiable ops, so its gradient comes from theirs.

using FusionScratch.Tensors;

namespace FusionScratch.Models.Nn;

public static class Losses
{
    /// <summary>Mean cross-entropy of (batch, classes) logits against integer class labels (read again by each replay of a captured step).</summary>
    public static Tensor CrossEntropy(Tensor logits, int[] labels) => Tensor.CrossEntropy(logits, labels);

    /// <summary>Mean cross-entropy against labels in a span (copied once: not for a captured step).</summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> labels) => Tensor.CrossEntropy(logits, labels);

    /// <summary>Mean squared error: mean((prediction − target)²); shapes must match exactly.</summary>
    public static Tensor Mse(Tensor prediction, Tensor target)
    {
        if (prediction.Shape != target.Shape)
            throw new ArgumentException($"mse: prediction of shape {prediction.Shape} and target of shape {target.Shape} differ");
        return (prediction - target).Square().Mean();
    }
}
