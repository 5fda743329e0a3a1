// Softmax, log-softmax and the fused softmax–cross-entropy loss, all over the last axis: the
// input is viewed as (rows, cols) with cols the last dimension, as SoftmaxKernels expects.
//
// Cross-entropy is fused: the forward keeps the softmax probabilities, and the backward is then
// (p − onehot)·dLoss per row, one pass with no log/exp — cheaper and better conditioned than
// chaining log-softmax and a gather.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Layout;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    private (int Rows, int Cols) LastAxisRows(string op)
    {
        if (Rank == 0) throw new ArgumentException($"{op} needs at least one dimension, got a scalar");
        int cols = Shape[-1];
        return (cols == 0 ? 0 : Numel / cols, cols);
    }

    private static void CheckLastAxis(Tensor t, int axis, string op)
    {
        if (t.Shape.NormalizeAxis(axis) != t.Rank - 1)
            throw new ArgumentException($"{op} is implemented over the last axis only (axis -1); got axis {axis} for shape {t.Shape}; permute first");
    }

    /// <summary>e^x / Σ e^x over the last axis.</summary>
    public Tensor Softmax(int axis = -1)
    {
        CheckLastAxis(this, axis, "softmax");
        var (rows, cols) = LastAxisRows("softmax");
        var y = Empty(Shape);
        SoftmaxKernels.SoftmaxSimd(ReadContiguous(), rows, cols, y.Span);
        return Record(y, "softmax", [this], g =>
        {
            var dx = Empty(y.Shape);
            SoftmaxKernels.SoftmaxBackwardSimd(y.Span, g.ReadContiguous(), rows, cols, dx.Span);
            return [dx];
        });
    }

    /// <summary>x − log Σ e^x over the last axis.</summary>
    public Tensor LogSoftmax(int axis = -1)
    {
        CheckLastAxis(this, axis, "log_softmax");
        var (rows, cols) = LastAxisRows("log_softmax");
        var y = Empty(Shape);
        SoftmaxKernels.LogSoftmaxSimd(ReadContiguous(), rows, cols, y.Span);
        return Record(y, "log_softmax", [this], g =>
        {
            var dx = Empty(y.Shape);
            SoftmaxKernels.LogSoftmaxBackwardSimd(y.Span, g.ReadContiguous(), rows, cols, dx.Span);
            return [dx];
        });
    }

    /// <summary>
    /// Mean cross-entropy of (rows, classes) logits against integer labels:
    /// mean over rows of logsumexp(row) − row[label].
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> labels)
    {
        if (logits.Rank != 2)
            throw new ArgumentException($"cross_entropy needs (batch, classes) logits, got shape {logits.Shape}");
        int rows = logits.Shape[0], cols = logits.Shape[1];
        if (labels.Length != rows)
            throw new ArgumentException($"cross_entropy: {labels.Length} labels for logits of shape {logits.Shape}");
        if (rows == 0) throw new ArgumentException("cross_entropy of an empty batch");
        var labelsCopy = TensorArena.AllocateInts(rows); // the backward needs them after the caller's span is gone
        labels.CopyTo(labelsCopy);
        var probs = Empty(Shape.Of(rows, cols));
        var losses = Empty(Shape.Of(rows));
        SoftmaxKernels.CrossEntropyForwardSimd(logits.ReadContiguous(), labelsCopy, rows, cols, probs.Span, losses.Span);
        var loss = Full(Shape.Scalar, ReduceKernels.Sum(losses.Span) / rows);
        return Record(loss, "cross_entropy", [logits], g =>
        {
            var dLosses = Full(Shape.Of(rows), g.Item() / rows);
            var dx = Empty(Shape.Of(rows, cols));
            SoftmaxKernels.CrossEntropyBackwardSimd(probs.Span, labelsCopy, dLosses.Span, rows, cols, dx.Span);
            return [dx];
        });
    }
}
