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
        if (IsOnGpu) return SoftmaxGpu(rows, cols, log: false);
        var y = Empty(Shape);
        Kernel((x: Packed(), rows, cols, y), static s => SoftmaxKernels.SoftmaxSimd(s.x.Span, s.rows, s.cols, s.y.Span));
        return Record(y, "softmax", [this], g =>
        {
            var dx = Empty(y.Shape);
            Kernel((y, g: g.Packed(), rows, cols, dx), static s => SoftmaxKernels.SoftmaxBackwardSimd(s.y.Span, s.g.Span, s.rows, s.cols, s.dx.Span));
            return [dx];
        });
    }

    /// <summary>x − log Σ e^x over the last axis.</summary>
    public Tensor LogSoftmax(int axis = -1)
    {
        CheckLastAxis(this, axis, "log_softmax");
        var (rows, cols) = LastAxisRows("log_softmax");
        if (IsOnGpu) return SoftmaxGpu(rows, cols, log: true);
        var y = Empty(Shape);
        Kernel((x: Packed(), rows, cols, y), static s => SoftmaxKernels.LogSoftmaxSimd(s.x.Span, s.rows, s.cols, s.y.Span));
        return Record(y, "log_softmax", [this], g =>
        {
            var dx = Empty(y.Shape);
            Kernel((y, g: g.Packed(), rows, cols, dx), static s => SoftmaxKernels.LogSoftmaxBackwardSimd(s.y.Span, s.g.Span, s.rows, s.cols, s.dx.Span));
            return [dx];
        });
    }

    /// <summary>
    /// Mean cross-entropy of (rows, classes) logits against integer labels:
    /// mean over rows of logsumexp(row) − row[label]. The labels are read when the op runs (and
    /// again by each replay of a captured step: refill the same array).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return CrossEntropyOp(logits, labels);
    }

    /// <summary>
    /// Mean cross-entropy against labels in a span: copied when the op runs, so it cannot be
    /// captured (a replay could not read the span again; pass an int[] instead).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> labels)
    {
        CapturedStep.Refuse("cross-entropy with labels given as a span (pass the int[] instead)");
        var copy = TensorArena.AllocateInts(labels.Length);
        labels.CopyTo(copy);
        return CrossEntropyOp(logits, copy);
    }

    private static Tensor CrossEntropyOp(Tensor logits, int[] labels)
    {
        if (logits.Rank != 2)
            throw new ArgumentException($"cross_entropy needs (batch, classes) logits, got shape {logits.Shape}");
        int rows = logits.Shape[0], cols = logits.Shape[1];
        if (labels.Length != rows)
            throw new ArgumentException($"cross_entropy: {labels.Length} labels for logits of shape {logits.Shape}");
        if (rows == 0) throw new ArgumentException("cross_entropy of an empty batch");
        if (logits.IsOnGpu) return CrossEntropyGpu(logits, labels);
        var labelsCopy = TensorArena.AllocateInts(rows); // the backward needs this step's labels after the caller refills its array
        var probs = Empty(Shape.Of(rows, cols));
        var losses = Empty(Shape.Of(rows));
        var loss = Empty(Shape.Scalar);
        Kernel((x: logits.Packed(), labels, labelsCopy, probs, losses, loss), static s =>
        {
            s.labels.CopyTo(s.labelsCopy, 0);
            int rows = s.probs.Shape[0];
            SoftmaxKernels.CrossEntropyForwardSimd(s.x.Span, s.labelsCopy, rows, s.probs.Shape[1], s.probs.Span, s.losses.Span);
            s.loss.Span[0] = ReduceKernels.Sum(s.losses.Span) / rows;
        });
        return Record(loss, "cross_entropy", [logits], g =>
        {
            var dLosses = Empty(Shape.Of(rows));
            var dx = Empty(Shape.Of(rows, cols));
            Kernel((g, labelsCopy, probs, dLosses, dx), static s =>
            {
                int rows = s.dx.Shape[0];
                s.dLosses.Span.Fill(s.g.Item() / rows);
                SoftmaxKernels.CrossEntropyBackwardSimd(s.probs.Span, s.labelsCopy, s.dLosses.Span, rows, s.dx.Shape[1], s.dx.Span);
            });
            return [dx];
        });
    }
}
