// Convolution-family ops on NCHW tensors: 2-D convolution, depthwise convolution, max / average /
// global average pooling and batch normalisation, each forward dispatch with its backward rule.
//
// Kernels: Conv2d → Conv2dKernels.*Im2Col (every FLOP in the GEMM), DepthwiseConv2d →
// DepthwiseConv2dKernels.Forward/Backward* (variant 3 Flat at stride 1, else 2 Simd), pooling → PoolKernels.*Simd, BatchNorm2d → BatchNorm2dKernels.*Simd.
//
// Backward rules compute only what is asked for: a convolution whose input does not require
// grad (the first layer of a network, fed with data) skips the input gradient — a whole GEMM +
// col2im per image — and a weight that does not require grad skips the weight GEMMs. The data an
// op needs in backward (its contiguous input and weight, max pool's argmax, batch norm's mean
// and inverse std) is kept from the forward; nothing is recomputed from scratch but im2col.
// Outputs and gradients are allocated uninitialised (Empty, from the open TensorArena if any):
// every kernel here writes each element. Each kernel call goes through Tensor.Kernel with the
// tensors it reads (packed first when strided) so that a captured step can replay it.
//
// Shape errors are ArgumentExceptions that name the shapes involved.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Layout;
using FusionScratch.Kernels.Norm;
using FusionScratch.Kernels.Pool;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    private static Tensor Uninitialized(params ReadOnlySpan<int> shape) => Empty(Shape.Of(shape));

    private static Tensor Uninitialized(Shape shape) => Empty(shape);

    /// <summary>The span of an optional contiguous tensor; empty for null (no bias, no bias gradient).</summary>
    private static Span<float> SpanOrEmpty(Tensor? t) => t is null ? default : t.Span;

    private static void CheckImage(Tensor x, string op)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"{op}: input must be (N,C,H,W), got shape {x.Shape}");
    }

    private static void CheckBias(Tensor? bias, int channels, Tensor w, string op)
    {
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != channels))
            throw new ArgumentException($"{op}: bias of shape {bias.Shape} does not match weight {w.Shape}: expected ({channels})");
    }

    // ---- convolution -----------------------------------------------------------------------

    /// <summary>
    /// 2-D convolution (cross-correlation) of x (N,C,H,W) with w (K,C,R,S) and an optional bias
    /// (K): y[n,k,p,q] = b[k] + Σ_{c,r,s} w[k,c,r,s]·x[n,c,p·stride+r−pad,q·stride+s−pad], zero
    /// padding. Returns (N,K,P,Q) with P = (H + 2·pad − R)/stride + 1.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? bias = null, int stride = 1, int padding = 0)
    {
        const string op = "conv2d";
        CheckImage(x, op);
        if (w.Rank != 4)
            throw new ArgumentException($"{op}: weight must be (K,C,R,S), got shape {w.Shape}");
        if (w.Shape[1] != x.Shape[1])
            throw new ArgumentException($"{op}: input {x.Shape} has {x.Shape[1]} channels but weight {w.Shape} expects {w.Shape[1]}");
        CheckBias(bias, w.Shape[0], w, op);
        var s = new Conv2dShape(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], w.Shape[0], w.Shape[2], w.Shape[3], stride, padding);
        if (x.IsOnGpu || w.IsOnGpu) return Conv2dGpu(x, w, bias, s, depthwise: false);

        Tensor xc = x.Packed(), wc = w.Packed();
        Tensor? bc = bias?.Packed();
        var y = Uninitialized(s.N, s.K, s.P, s.Q);
        Kernel((x: xc, w: wc, b: bc, s, y), static k =>
            Conv2dKernels.ForwardImageParallel(k.x.Span, k.w.Span, SpanOrEmpty(k.b), k.s, k.y.Span));

        return Record(y, "conv2d", bias is null ? [x, w] : [x, w, bias], g =>
        {
            Tensor gc = g.Packed();
            Tensor? dx = null, dw = null, db = null;
            if (x.RequiresGrad)
            {
                dx = Uninitialized(x.Shape);
                Kernel((g: gc, w: wc, s, dx), static k => Conv2dKernels.BackwardInputImageParallel(k.g.Span, k.w.Span, k.s, k.dx.Span));
            }
            if (bias is not null && bias.RequiresGrad) db = Uninitialized(s.K);
            if (w.RequiresGrad)
            {
                dw = Uninitialized(w.Shape);
                Kernel((x: xc, g: gc, s, dw, db), static k =>
                    Conv2dKernels.BackwardWeightImageParallel(k.x.Span, k.g.Span, k.s, k.dw.Span, SpanOrEmpty(k.db)));
            }
            else if (db is not null)
                Kernel((g: gc, s, db), static k => Conv2dKernels.BiasGradient(k.g.Span, k.s.N, k.s.K, k.s.P * k.s.Q, k.db.Span));
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }

    /// <summary>
    /// Depthwise 2-D convolution (groups = C) of x (N,C,H,W) with w (C,1,R,S) and an optional
    /// bias (C): y[n,c,p,q] = b[c] + Σ_{r,s} w[c,0,r,s]·x[n,c,p·stride+r−pad,q·stride+s−pad].
    /// Returns (N,C,P,Q).
    /// </summary>
    public static Tensor DepthwiseConv2d(Tensor x, Tensor w, Tensor? bias = null, int stride = 1, int padding = 0)
    {
        const string op = "depthwise_conv2d";
        CheckImage(x, op);
        if (w.Rank != 4 || w.Shape[1] != 1 || w.Shape[0] != x.Shape[1])
            throw new ArgumentException($"{op}: weight must be (C,1,R,S) with C = {x.Shape[1]} for input {x.Shape}, got shape {w.Shape}");
        CheckBias(bias, x.Shape[1], w, op);
        int C = x.Shape[1];
        var s = new Conv2dShape(x.Shape[0], C, x.Shape[2], x.Shape[3], C, w.Shape[2], w.Shape[3], stride, padding);
        if (x.IsOnGpu || w.IsOnGpu) return Conv2dGpu(x, w, bias, s, depthwise: true);

        Tensor xc = x.Packed(), wc = w.Packed();
        Tensor? bc = bias?.Packed();
        var y = Uninitialized(s.N, C, s.P, s.Q);
        Kernel((x: xc, w: wc, b: bc, s, y), static k =>
            DepthwiseConv2dKernels.Forward(k.x.Span, k.w.Span, SpanOrEmpty(k.b), k.s, k.y.Span));

        return Record(y, "depthwise_conv2d", bias is null ? [x, w] : [x, w, bias], g =>
        {
            Tensor gc = g.Packed();
            Tensor? dx = null, dw = null, db = null;
            if (x.RequiresGrad)
            {
                dx = Uninitialized(x.Shape);
                Kernel((g: gc, w: wc, s, dx), static k => DepthwiseConv2dKernels.BackwardInput(k.g.Span, k.w.Span, k.s, k.dx.Span));
            }
            if (bias is not null && bias.RequiresGrad) db = Uninitialized(C);
            if (w.RequiresGrad)
            {
                dw = Uninitialized(w.Shape);
                Kernel((x: xc, g: gc, s, dw, db), static k =>
                    DepthwiseConv2dKernels.BackwardWeight(k.x.Span, k.g.Span, k.s, k.dw.Span, SpanOrEmpty(k.db)));
            }
            else if (db is not null)
                Kernel((g: gc, s, db), static k => Conv2dKernels.BiasGradient(k.g.Span, k.s.N, k.s.C, k.s.P * k.s.Q, k.db.Span));
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }

    // ---- pooling ---------------------------------------------------------------------------

    private PoolShape PoolShapeFor(int kernel, int? stride, int padding, string op)
    {
        CheckImage(this, op);
        try
        {
            return new PoolShape(Shape[0], Shape[1], Shape[2], Shape[3], kernel, stride ?? kernel, padding);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{op} on input {Shape}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Max pooling over kernel×kernel windows (stride defaults to kernel, padding ≤ kernel/2 never
    /// wins): (N,C,H,W) → (N,C,P,Q). The gradient goes to the first maximum of each window.
    /// </summary>
    public Tensor MaxPool2d(int kernel, int? stride = null, int padding = 0)
    {
        const string op = "max_pool2d";
        var s = PoolShapeFor(kernel, stride, padding, op);
        if (IsOnGpu) return MaxPool2dGpu(s);
        var y = Uninitialized(s.N, s.C, s.P, s.Q);
        var argmax = TensorArena.AllocateInts(s.OutputLength); // every entry is written; back to the arena with the step
        Kernel((x: Packed(), s, y, argmax), static k => PoolKernels.MaxPool2dSimd(k.x.Span, k.s, k.y.Span, k.argmax));
        Shape inShape = Shape;
        return Record(y, "max_pool2d", [this], g =>
        {
            var dx = Uninitialized(inShape);
            Kernel((g: g.Packed(), argmax, s, dx), static k => PoolKernels.MaxPool2dBackwardParallel(k.g.Span, k.argmax, k.s, k.dx.Span));
            return [dx];
        });
    }

    /// <summary>
    /// Average pooling over kernel×kernel windows (stride defaults to kernel), dividing by the
    /// number of real pixels in each window (count_include_pad = false): (N,C,H,W) → (N,C,P,Q).
    /// </summary>
    public Tensor AvgPool2d(int kernel, int? stride = null, int padding = 0)
    {
        const string op = "avg_pool2d";
        var s = PoolShapeFor(kernel, stride, padding, op);
        if (IsOnGpu) return AvgPool2dGpu(s);
        var y = Uninitialized(s.N, s.C, s.P, s.Q);
        Kernel((x: Packed(), s, y), static k => PoolKernels.AvgPool2dSimd(k.x.Span, k.s, k.y.Span));
        Shape inShape = Shape;
        return Record(y, "avg_pool2d", [this], g =>
        {
            var dx = Uninitialized(inShape);
            Kernel((g: g.Packed(), s, dx), static k => PoolKernels.AvgPool2dBackwardSimd(k.g.Span, k.s, k.dx.Span));
            return [dx];
        });
    }

    /// <summary>Mean over each H×W plane: (N,C,H,W) → (N,C).</summary>
    public Tensor GlobalAvgPool2d()
    {
        const string op = "global_avg_pool2d";
        CheckImage(this, op);
        if (IsOnGpu) return GlobalAvgPool2dGpu();
        int N = Shape[0], C = Shape[1], H = Shape[2], W = Shape[3];
        var y = Uninitialized(N, C);
        Kernel((x: Packed(), y), static k =>
        {
            var d = k.x.Shape;
            PoolKernels.GlobalAvgPool2dSimd(k.x.Span, d[0], d[1], d[2], d[3], k.y.Span);
        });
        Shape inShape = Shape;
        return Record(y, "global_avg_pool2d", [this], g =>
        {
            var dx = Uninitialized(inShape);
            Kernel((g: g.Packed(), dx), static k =>
            {
                var d = k.dx.Shape;
                PoolKernels.GlobalAvgPool2dBackwardSimd(k.g.Span, d[0], d[1], d[2], d[3], k.dx.Span);
            });
            return [dx];
        });
    }

    // ---- batch normalisation ---------------------------------------------------------------

    /// <summary>
    /// Batch normalisation of x (N,C,H,W) per channel over (N,H,W):
    /// y = (x − mean)/√(var + eps)·gamma + beta. With <paramref name="training"/> the batch's
    /// mean and biased variance normalise, and <paramref name="runningMean"/> /
    /// <paramref name="runningVar"/> (when given) are updated in place:
    /// running ← (1 − momentum)·running + momentum·batch, with the unbiased variance (PyTorch).
    /// In eval mode the running statistics normalise; without them the batch statistics do.
    /// gamma and beta (C) may be null (1 and 0); the running buffers are (C) tensors that do not
    /// require grad, both given or both null.
    /// </summary>
    public static Tensor BatchNorm2d(Tensor x, Tensor? gamma, Tensor? beta, Tensor? runningMean, Tensor? runningVar,
        bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        const string op = "batch_norm2d";
        CheckImage(x, op);
        int N = x.Shape[0], C = x.Shape[1], L = x.Shape[2] * x.Shape[3];
        foreach (var (t, name) in new[] { (gamma, "gamma"), (beta, "beta"), (runningMean, "running mean"), (runningVar, "running var") })
            if (t is not null && (t.Rank != 1 || t.Shape[0] != C))
                throw new ArgumentException($"{op}: {name} of shape {t.Shape} does not match input {x.Shape}: expected ({C})");
        if ((runningMean is null) != (runningVar is null))
            throw new ArgumentException($"{op}: give both running mean and running var, or neither");
        if (runningMean is not null && (runningMean.RequiresGrad || runningVar!.RequiresGrad || !runningMean.IsContiguous || !runningVar.IsContiguous))
            throw new ArgumentException($"{op}: running statistics must be contiguous tensors that do not require grad");
        if (!(momentum >= 0f && momentum <= 1f) || !(eps >= 0f))
            throw new ArgumentException($"{op}: momentum must be in [0, 1] and eps ≥ 0, got momentum {momentum}, eps {eps}");
        if (x.IsOnGpu) return BatchNorm2dGpu(x, gamma, beta, runningMean, runningVar, training, momentum, eps);

        // Absent gamma/beta are constants 1 and 0; the statistics this output used are kept for the backward.
        Tensor gammaT = gamma?.Packed() ?? Full(Shape.Of(C), 1f), betaT = beta?.Packed() ?? Zeros(Shape.Of(C));
        Tensor xc = x.Packed();
        var y = Uninitialized(x.Shape);
        bool batchStats = training || runningMean is null;
        Tensor mean = Uninitialized(C), invStd = Uninitialized(C);
        var stats = new BatchNormStats(runningMean, runningVar, N, C, L, eps, momentum, training);
        if (batchStats)
            Kernel((x: xc, gamma: gammaT, beta: betaT, stats, y, mean, invStd), static k =>
            {
                var st = k.stats;
                bool update = st.Training && st.RunningMean is not null;
                BatchNorm2dKernels.ForwardTrainingSimd(k.x.Span, k.gamma.Span, k.beta.Span, st.N, st.C, st.L, st.Eps, st.Momentum,
                    k.y.Span, k.mean.Span, k.invStd.Span, update ? st.RunningMean!.Span : default, update ? st.RunningVar!.Span : default);
            });
        else
            Kernel((x: xc, gamma: gammaT, beta: betaT, stats, y, mean, invStd), static k =>
            {
                var st = k.stats;
                ReadOnlySpan<float> rv = st.RunningVar!.Span;
                BatchNorm2dKernels.ForwardEvalSimd(k.x.Span, k.gamma.Span, k.beta.Span, st.RunningMean!.Span, rv, st.N, st.C, st.L, st.Eps, k.y.Span);
                st.RunningMean.Span.CopyTo(k.mean.Span);
                Span<float> inv = k.invStd.Span;
                for (int c = 0; c < st.C; c++) inv[c] = 1f / MathF.Sqrt(rv[c] + st.Eps);
            });

        Tensor[] inputs = [x, .. gamma is null ? Array.Empty<Tensor>() : [gamma], .. beta is null ? Array.Empty<Tensor>() : [beta]];
        return Record(y, "batch_norm2d", inputs, dy =>
        {
            Tensor? dx = x.RequiresGrad ? Uninitialized(x.Shape) : null;
            var dGamma = Uninitialized(C);
            var dBeta = Uninitialized(C);
            Kernel((x: xc, dy: dy.Packed(), mean, invStd, gamma: gammaT, stats, batchStats, dx, dGamma, dBeta), static k =>
                BatchNorm2dKernels.BackwardSimd(k.x.Span, k.dy.Span, k.mean.Span, k.invStd.Span, k.gamma.Span, k.stats.N, k.stats.C, k.stats.L,
                    k.batchStats, SpanOrEmpty(k.dx), k.dGamma.Span, k.dBeta.Span));
            var grads = new List<Tensor?> { dx };
            if (gamma is not null) grads.Add(dGamma);
            if (beta is not null) grads.Add(dBeta);
            return [.. grads];
        });
    }

    /// <summary>Batch norm's sizes, hyper-parameters and running buffers, as one kernel-call argument.</summary>
    private readonly record struct BatchNormStats(Tensor? RunningMean, Tensor? RunningVar, int N, int C, int L, float Eps, float Momentum, bool Training);
}
