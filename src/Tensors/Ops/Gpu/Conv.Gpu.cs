// Convolution-family ops on the GPU: the device halves of Ops/Conv.cs — conv2d (im2col + register-blocked
// GEMM), depthwise conv2d, max / average / global average pooling and batch norm 2d — each with
// its backward rule, computing only the gradients asked for, as the CPU rules do.
// Kernels: Conv2d/Conv2d.4.Gpu.cs, Conv2d/DepthwiseConv2d.Gpu.cs, Pool/Pool.Gpu.cs,
// Norm/BatchNorm2d.Gpu.cs. Shapes were checked by the public op before dispatching here.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Gpu;
using FusionScratch.Kernels.Norm;
using FusionScratch.Kernels.Pool;
using ILGPU;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    // A zero-length view on a real buffer: "no bias" / "gradient not wanted" for the kernels.
    private static ArrayView<float> NoView(Tensor like) => like.GpuView().SubView(0, 0);

    private static Tensor Conv2dGpu(Tensor x, Tensor w, Tensor? bias, Conv2dShape s, bool depthwise)
    {
        OnGpu(x, w, depthwise ? "depthwise_conv2d" : "conv2d");
        if (bias is not null) OnGpu(x, bias, depthwise ? "depthwise_conv2d" : "conv2d");
        var acc = x.GpuAccelerator;
        var xp = x.GpuPacked(); // the packed input, also kept for the weight gradient
        var wp = w.GpuPacked();
        var b = bias?.GpuPacked();
        var y = EmptyOn(x.Device, Shape.Of(s.N, s.K, s.P, s.Q));
        var bv = b is null ? NoView(xp) : b.GpuView();
        if (depthwise) DepthwiseConv2dKernels.ForwardGpu(acc, xp.GpuView(), wp.GpuView(), bv, s, y.GpuView());
        else Conv2dKernels.ForwardGpu(acc, xp.GpuView(), wp.GpuView(), bv, s, y.GpuView());

        return Record(y, depthwise ? "depthwise_conv2d" : "conv2d", bias is null ? [x, w] : [x, w, bias], g =>
        {
            g = g.GpuPacked();
            Tensor? dx = null, dw = null, db = null;
            if (x.RequiresGrad)
            {
                dx = EmptyOn(g.Device, x.Shape);
                if (depthwise) DepthwiseConv2dKernels.BackwardInputGpu(acc, g.GpuView(), wp.GpuView(), s, dx.GpuView());
                else Conv2dKernels.BackwardInputGpu(acc, g.GpuView(), wp.GpuView(), s, dx.GpuView());
            }
            if (bias is not null && bias.RequiresGrad) db = EmptyOn(g.Device, Shape.Of(s.K));
            if (w.RequiresGrad)
            {
                dw = EmptyOn(g.Device, w.Shape);
                var dbv = db is null ? NoView(g) : db.GpuView();
                if (depthwise) DepthwiseConv2dKernels.BackwardWeightGpu(acc, xp.GpuView(), g.GpuView(), s, dw.GpuView(), dbv);
                else Conv2dKernels.BackwardWeightGpu(acc, xp.GpuView(), g.GpuView(), s, dw.GpuView(), dbv);
            }
            else if (db is not null)
                Conv2dKernels.ChannelSumGpu(acc, g.GpuView(), s.N, s.K, s.P * s.Q, db.GpuView());
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }

    private Tensor MaxPool2dGpu(PoolShape s)
    {
        var acc = GpuAccelerator;
        var x = GpuPacked();
        var y = EmptyOn(Device, Shape.Of(s.N, s.C, s.P, s.Q));
        var argmax = acc.Allocate1D<int>(Math.Max(s.OutputLength, 1)); // freed by its finalizer with the graph
        PoolKernels.MaxPool2dGpu(acc, x.GpuView(), s, y.GpuView(), argmax.View.SubView(0, s.OutputLength));
        Shape inShape = Shape;
        return Record(y, "max_pool2d", [this], g =>
        {
            var dx = EmptyOn(g.Device, inShape);
            PoolKernels.MaxPool2dBackwardGpu(acc, g.GpuPacked().GpuView(), argmax.View.SubView(0, s.OutputLength), s, dx.GpuView());
            GC.KeepAlive(argmax);
            return [dx];
        });
    }

    private Tensor AvgPool2dGpu(PoolShape s)
    {
        var acc = GpuAccelerator;
        var y = EmptyOn(Device, Shape.Of(s.N, s.C, s.P, s.Q));
        PoolKernels.AvgPool2dGpu(acc, GpuPacked().GpuView(), s, y.GpuView());
        Shape inShape = Shape;
        return Record(y, "avg_pool2d", [this], g =>
        {
            var dx = EmptyOn(g.Device, inShape);
            PoolKernels.AvgPool2dBackwardGpu(acc, g.GpuPacked().GpuView(), s, dx.GpuView());
            return [dx];
        });
    }

    private Tensor GlobalAvgPool2dGpu()
    {
        var acc = GpuAccelerator;
        int N = Shape[0], C = Shape[1], H = Shape[2], W = Shape[3];
        var y = EmptyOn(Device, Shape.Of(N, C));
        PoolKernels.GlobalAvgPool2dGpu(acc, GpuPacked().GpuView(), N, C, H, W, y.GpuView());
        Shape inShape = Shape;
        return Record(y, "global_avg_pool2d", [this], g =>
        {
            var dx = EmptyOn(g.Device, inShape);
            PoolKernels.GlobalAvgPool2dBackwardGpu(acc, g.GpuPacked().GpuView(), N, C, H, W, dx.GpuView());
            return [dx];
        });
    }

    private static Tensor BatchNorm2dGpu(Tensor x, Tensor? gamma, Tensor? beta, Tensor? runningMean, Tensor? runningVar,
        bool training, float momentum, float eps)
    {
        foreach (var t in new[] { gamma, beta, runningMean, runningVar })
            if (t is not null) OnGpu(x, t, "batch_norm2d");
        var acc = x.GpuAccelerator;
        int N = x.Shape[0], C = x.Shape[1], L = x.Shape[2] * x.Shape[3];
        var xp = x.GpuPacked();
        var g = gamma?.GpuPacked() ?? FullOn(x.Device, C, 1f);
        var b = beta?.GpuPacked() ?? FullOn(x.Device, C, 0f);
        var y = EmptyOn(x.Device, x.Shape);
        var mean = EmptyOn(x.Device, Shape.Of(C));
        var invStd = EmptyOn(x.Device, Shape.Of(C));
        bool batchStats = training || runningMean is null;
        if (batchStats)
        {
            bool update = training && runningMean is not null;
            BatchNorm2dKernels.ForwardTrainingGpu(acc, xp.GpuView(), g.GpuView(), b.GpuView(), N, C, L, eps, momentum, y.GpuView(), mean.GpuView(),
                invStd.GpuView(), update ? runningMean!.GpuView() : NoView(x), update ? runningVar!.GpuView() : NoView(x));
        }
        else
            BatchNorm2dKernels.ForwardEvalGpu(acc, xp.GpuView(), g.GpuView(), b.GpuView(), runningMean!.GpuView(), runningVar!.GpuView(),
                N, C, L, eps, y.GpuView(), mean.GpuView(), invStd.GpuView());

        Tensor[] inputs = [x, .. gamma is null ? Array.Empty<Tensor>() : [gamma], .. beta is null ? Array.Empty<Tensor>() : [beta]];
        return Record(y, "batch_norm2d", inputs, dy =>
        {
            Tensor? dx = x.RequiresGrad ? EmptyOn(x.Device, x.Shape) : null;
            var dGamma = EmptyOn(x.Device, Shape.Of(C));
            var dBeta = EmptyOn(x.Device, Shape.Of(C));
            BatchNorm2dKernels.BackwardGpu(acc, xp.GpuView(), dy.GpuPacked().GpuView(), mean.GpuView(), invStd.GpuView(), g.GpuView(), N, C, L, batchStats,
                dx is null ? NoView(dGamma) : dx.GpuView(), dGamma.GpuView(), dBeta.GpuView());
            var grads = new List<Tensor?> { dx };
            if (gamma is not null) grads.Add(dGamma);
            if (beta is not null) grads.Add(dBeta);
            return [.. grads];
        });
    }

    /// <summary>A (n) tensor of <paramref name="value"/> on a GPU.</summary>
    private static Tensor FullOn(Device device, int n, float value)
    {
        var t = EmptyOn(device, Shape.Of(n));
        Kernels.Elementwise.ElementwiseKernels.FillGpu(t.GpuAccelerator, value, t.GpuView(), n);
        return t;
    }
}
