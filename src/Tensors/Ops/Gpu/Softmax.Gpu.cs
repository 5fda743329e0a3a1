// Softmax, log-softmax and cross-entropy on the GPU: the kernels of Softmax/Softmax.Gpu.cs.
// Softmax and log-softmax (over the last axis, viewed as rows × cols as on the CPU) keep their
// output y for the backward rule, which needs nothing else: softmax dx = y·(g − Σ g·y), log-softmax
// dx = g − e^y·Σ g. Cross-entropy uses the fused softmax + cross-entropy kernels, with the mean
// over rows as a device sum (the loss stays on the device; Item() downloads it). Labels are
// checked on the host (as the CPU op does) and uploaded once per call; the backward keeps the
// uploaded copy.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Gpu;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    private Tensor SoftmaxGpu(int rows, int cols, bool log)
    {
        var acc = GpuAccelerator;
        var x = GpuPacked();
        var y = EmptyOn(Device, Shape);
        if (log) SoftmaxKernels.LogSoftmaxGpu(acc, x.GpuView(), rows, cols, y.GpuView());
        else SoftmaxKernels.SoftmaxGpu(acc, x.GpuView(), rows, cols, y.GpuView());
        return Record(y, log ? "log_softmax" : "softmax", [this], g =>
        {
            var dx = EmptyOn(g.Device, y.Shape);
            var gv = g.GpuPacked().GpuView();
            if (log) SoftmaxKernels.LogSoftmaxBackwardGpu(acc, y.GpuView(), gv, rows, cols, dx.GpuView());
            else SoftmaxKernels.SoftmaxBackwardGpu(acc, y.GpuView(), gv, rows, cols, dx.GpuView());
            return [dx];
        });
    }

    private static Tensor CrossEntropyGpu(Tensor logits, ReadOnlySpan<int> labels)
    {
        int rows = logits.Shape[0], cols = logits.Shape[1];
        for (int r = 0; r < rows; r++)
            if ((uint)labels[r] >= (uint)cols)
                throw new ArgumentException($"cross_entropy: label {labels[r]} of row {r} is outside [0, {cols}) for logits of shape {logits.Shape}");
        var acc = logits.GpuAccelerator;
        var x = logits.GpuPacked();
        var deviceLabels = GpuLaunch.Upload(acc, labels); // freed with its finalizer once the graph is gone
        var probs = EmptyOn(logits.Device, Shape.Of(rows, cols));
        var losses = EmptyOn(logits.Device, Shape.Of(rows));
        SoftmaxKernels.CrossEntropyForwardGpu(acc, x.GpuView(), deviceLabels.View, rows, cols, probs.GpuView(), losses.GpuView());
        var loss = EmptyOn(logits.Device, Shape.Scalar);
        ReduceKernels.SumGpu(acc, losses.GpuView(), 1, rows, 1, loss.GpuView());
        ElementwiseKernels.ScalarGpu<Mul>(acc, loss.GpuView(), 1f / rows, loss.GpuView(), 1);
        return Record(loss, "cross_entropy", [logits], g =>
        {
            // dLosses[r] = g / rows for every row: 0 + g broadcast over one column, then scaled.
            var dLosses = EmptyOn(g.Device, Shape.Of(rows));
            ZeroGpu(dLosses);
            ElementwiseKernels.RowBroadcastGpu<Add>(acc, dLosses.GpuView(), g.GpuPacked().GpuView(), dLosses.GpuView(), rows, 1);
            ElementwiseKernels.ScalarGpu<Mul>(acc, dLosses.GpuView(), 1f / rows, dLosses.GpuView(), rows);
            var dx = EmptyOn(g.Device, Shape.Of(rows, cols));
            SoftmaxKernels.CrossEntropyBackwardGpu(acc, probs.GpuView(), deviceLabels.View, dLosses.GpuView(), rows, cols, dx.GpuView());
            GC.KeepAlive(deviceLabels);
            return [dx];
        });
    }
}
