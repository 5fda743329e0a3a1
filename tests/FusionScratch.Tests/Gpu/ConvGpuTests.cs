// GPU convolution-family kernels against their naive CPU references on ragged small shapes (odd
// channel counts, stride 1 and 2, padding 0–2, batch 1–3): conv2d forward / input / weight
// gradients (im2col + tiled GEMM), im2col and col2im alone, depthwise conv, max / average / global
// pooling forward and backward, batch norm (training with the running update, eval, backward),
// the LMF layer, the optimizer updates and the strided gather. Sizes stay small: the CPU
// simulator runs every thread of a group as a real rendezvous.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Gpu;
using FusionScratch.Kernels.Layout;
using FusionScratch.Kernels.Norm;
using FusionScratch.Kernels.Optim;
using FusionScratch.Kernels.Pool;
using FusionScratch.Tests.Support;
using ILGPU.Runtime;

namespace FusionScratch.Tests.Gpu;

[Collection(nameof(GpuTests))]
public class ConvGpuTests
{
    // (N, C, H, W, K, R, stride, pad): ragged planes, odd channel counts, 1×1 and 3×3 and 5×5 filters.
    public static readonly (int N, int C, int H, int W, int K, int R, int Stride, int Pad)[] ConvCases =
    {
        (1, 1, 1, 1, 1, 1, 1, 0),
        (2, 3, 7, 5, 5, 3, 1, 1),
        (1, 5, 9, 8, 3, 3, 2, 0),
        (3, 2, 6, 7, 7, 5, 2, 2),
        (2, 7, 5, 5, 4, 1, 1, 0),
    };

    private static Conv2dShape Shape((int N, int C, int H, int W, int K, int R, int Stride, int Pad) c, bool depthwise = false) =>
        new(c.N, c.C, c.H, c.W, depthwise ? c.C : c.K, c.R, c.R, c.Stride, c.Pad);

    private delegate void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, in Conv2dShape s, Span<float> y);
    private delegate void GpuForward(Accelerator acc, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, in Conv2dShape s, Span<float> y);
    private delegate void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx);
    private delegate void GpuBackwardInput(Accelerator acc, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx);
    private delegate void BackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> db);
    private delegate void GpuBackwardWeight(Accelerator acc, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> db);

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void Conv2dGpu_ForwardAndBackward_MatchNaive(GpuKind device) => CheckConvFamily(device, depthwise: false,
        Conv2dKernels.ForwardNaive, Conv2dKernels.ForwardGpu, Conv2dKernels.BackwardInputNaive, Conv2dKernels.BackwardInputGpu,
        Conv2dKernels.BackwardWeightNaive, Conv2dKernels.BackwardWeightGpu);

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void DepthwiseGpu_ForwardAndBackward_MatchNaive(GpuKind device) => CheckConvFamily(device, depthwise: true,
        DepthwiseConv2dKernels.ForwardNaive, DepthwiseConv2dKernels.ForwardGpu, DepthwiseConv2dKernels.BackwardInputNaive,
        DepthwiseConv2dKernels.BackwardInputGpu, DepthwiseConv2dKernels.BackwardWeightNaive, DepthwiseConv2dKernels.BackwardWeightGpu);

    // Forward (with and without bias), input gradient (over a NaN-filled dx: every element must be
    // written) and weight + bias gradients, each GPU direction against the naive one.
    private static void CheckConvFamily(GpuKind device, bool depthwise, Forward forward, GpuForward forwardGpu, BackwardInput input,
        GpuBackwardInput inputGpu, BackwardWeight weight, GpuBackwardWeight weightGpu)
    {
        var acc = Accelerators.Get(device);
        int seed = depthwise ? 50 : 0;
        foreach (var c in ConvCases)
        {
            var s = Shape(c, depthwise);
            seed++;
            int wl = depthwise ? s.C * s.R * s.S : s.WeightLength;
            string what = $"{device} {(depthwise ? "depthwise" : "conv")} {s}";
            var x = Check.Random(s.InputLength, seed);
            var w = Check.Random(wl, seed + 100);
            var b = seed % 2 == 0 ? Array.Empty<float>() : Check.Random(s.K, seed + 200);
            var dy = Check.Random(s.OutputLength, seed + 300);

            var y0 = new float[s.OutputLength];
            var y1 = new float[s.OutputLength];
            forward(x, w, b, s, y0);
            forwardGpu(acc, x, w, b, s, y1);
            Check.Close(y0, y1, 1e-5f, 1e-4f, what + " forward");

            var dx0 = new float[s.InputLength];
            var dx1 = Enumerable.Repeat(float.NaN, s.InputLength).ToArray();
            input(dy, w, s, dx0);
            inputGpu(acc, dy, w, s, dx1);
            Check.Close(dx0, dx1, 1e-5f, 1e-4f, what + " backward input");

            var (dw0, dw1, db0, db1) = (new float[wl], new float[wl], new float[s.K], new float[s.K]);
            weight(x, dy, s, dw0, db0);
            weightGpu(acc, x, dy, s, dw1, db1);
            Check.Close(dw0, dw1, 1e-5f, 1e-4f, what + " backward weight");
            Check.Close(db0, db1, 1e-5f, 1e-4f, what + " backward bias");
        }
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void Im2ColGpu_AndCol2ImGpu_MatchCpu(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        foreach (var c in ConvCases)
        {
            var s = Shape(c);
            var image = new Conv2dShape(1, s.C, s.H, s.W, s.K, s.R, s.S, s.Stride, s.Pad);
            int CRS = s.C * s.R * s.S, PQ = s.P * s.Q, CHW = s.C * s.H * s.W;
            var x = Check.Random(CHW, CRS);
            var col0 = new float[CRS * PQ];
            Conv2dKernels.Im2Col(x, image, 1, col0);
            using var dx = GpuLaunch.Upload(acc, x);
            using var dcol = GpuLaunch.Zeros(acc, CRS * PQ);
            Conv2dKernels.Im2ColGpu(acc, dx.View, image, dcol.View);
            var col1 = new float[CRS * PQ];
            GpuLaunch.Download(dcol.View, col1);
            Check.Close(col0, col1, 0f, 0f, $"{device} im2col {s}");

            var back0 = new float[CHW];
            Conv2dKernels.Col2Im(col0, image, 1, back0);
            Conv2dKernels.Col2ImGpu(acc, dcol.View, image, dx.View);
            var back1 = new float[CHW];
            GpuLaunch.Download(dx.View, back1);
            Check.Close(back0, back1, 1e-6f, 1e-5f, $"{device} col2im {s}");
        }
    }

    // (N, C, H, W, kernel, stride, pad): overlapping windows (stride < kernel), padding, ragged planes.
    public static readonly (int N, int C, int H, int W, int K, int Stride, int Pad)[] PoolCases =
    {
        (1, 1, 1, 1, 1, 1, 0),
        (2, 3, 7, 5, 2, 2, 0),
        (1, 5, 9, 8, 3, 2, 1),
        (3, 2, 6, 7, 3, 1, 1),
    };

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void PoolGpu_ForwardAndBackward_MatchNaive(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        int seed = 70;
        foreach (var c in PoolCases)
        {
            var s = new PoolShape(c.N, c.C, c.H, c.W, c.K, c.Stride, c.Pad);
            seed++;
            // Rounded values make ties, so the first-maximum rule is exercised.
            var x = Check.Random(s.InputLength, seed).Select(v => MathF.Round(v * 4) / 4).ToArray();
            var dy = Check.Random(s.OutputLength, seed + 1);
            using var dxv = GpuLaunch.Upload(acc, x);
            using var ddy = GpuLaunch.Upload(acc, dy);
            using var dout = GpuLaunch.Zeros(acc, s.OutputLength);
            using var din = GpuLaunch.Zeros(acc, s.InputLength);
            using var darg = acc.Allocate1D<int>(Math.Max(s.OutputLength, 1));
            var xv = dxv.View.SubView(0, s.InputLength);
            var dyv = ddy.View.SubView(0, s.OutputLength);
            var outv = dout.View.SubView(0, s.OutputLength);
            var inv = din.View.SubView(0, s.InputLength);
            var argv = darg.View.SubView(0, s.OutputLength);

            var y0 = new float[s.OutputLength];
            var arg0 = new int[s.OutputLength];
            PoolKernels.MaxPool2dNaive(x, s, y0, arg0);
            PoolKernels.MaxPool2dGpu(acc, xv, s, outv, argv);
            Check.Close(y0, Download(outv), 0f, 0f, $"{device} max pool {s}");
            var arg1 = new int[s.OutputLength];
            argv.CopyToCPU(arg1);
            Assert.Equal(arg0, arg1);

            var dx0 = new float[s.InputLength];
            PoolKernels.MaxPool2dBackwardNaive(dy, arg0, s, dx0);
            PoolKernels.MaxPool2dBackwardGpu(acc, dyv, argv, s, inv);
            Check.Close(dx0, Download(inv), 1e-6f, 1e-6f, $"{device} max pool backward {s}");

            PoolKernels.AvgPool2dNaive(x, s, y0);
            PoolKernels.AvgPool2dGpu(acc, xv, s, outv);
            Check.Close(y0, Download(outv), 1e-6f, 1e-5f, $"{device} avg pool {s}");

            PoolKernels.AvgPool2dBackwardNaive(dy, s, dx0);
            PoolKernels.AvgPool2dBackwardGpu(acc, dyv, s, inv);
            Check.Close(dx0, Download(inv), 1e-6f, 1e-5f, $"{device} avg pool backward {s}");

            int planes = c.N * c.C;
            var g0 = new float[planes];
            PoolKernels.GlobalAvgPool2dNaive(x, c.N, c.C, c.H, c.W, g0);
            PoolKernels.GlobalAvgPool2dGpu(acc, xv, c.N, c.C, c.H, c.W, outv);
            Check.Close(g0, Download(outv.SubView(0, planes)), 1e-6f, 1e-5f, $"{device} global avg pool {s}");

            var gdy = dy.AsSpan(0, planes).ToArray();
            PoolKernels.GlobalAvgPool2dBackwardNaive(gdy, c.N, c.C, c.H, c.W, dx0);
            PoolKernels.GlobalAvgPool2dBackwardGpu(acc, dyv.SubView(0, planes), c.N, c.C, c.H, c.W, inv);
            Check.Close(dx0, Download(inv), 1e-6f, 1e-5f, $"{device} global avg pool backward {s}");
        }
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void BatchNormGpu_TrainingEvalAndBackward_MatchNaive(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        foreach (var (N, C, L) in new[] { (2, 1, 1), (3, 5, 7), (1, 3, 33), (4, 7, 9) })
        {
            int n = N * C * L;
            var x = Check.Random(n, n, -2f, 3f);
            var gamma = Check.Random(C, C + 1, 0.5f, 1.5f);
            var beta = Check.Random(C, C + 2);
            var dy = Check.Random(n, n + 3);
            var rm0 = Check.Random(C, C + 4);
            var rv0 = Check.Random(C, C + 5, 0.5f, 2f);
            var (rm1, rv1) = ((float[])rm0.Clone(), (float[])rv0.Clone());

            var y0 = new float[n];
            var mean0 = new float[C];
            var inv0 = new float[C];
            BatchNorm2dKernels.ForwardTrainingNaive(x, gamma, beta, N, C, L, 1e-5f, 0.1f, y0, mean0, inv0, rm0, rv0);

            using var dx = GpuLaunch.Upload(acc, x);
            using var dg = GpuLaunch.Upload(acc, gamma);
            using var db = GpuLaunch.Upload(acc, beta);
            using var ddy = GpuLaunch.Upload(acc, dy);
            using var drm = GpuLaunch.Upload(acc, rm1);
            using var drv = GpuLaunch.Upload(acc, rv1);
            using var dout = GpuLaunch.Zeros(acc, n);
            using var dmean = GpuLaunch.Zeros(acc, C);
            using var dinv = GpuLaunch.Zeros(acc, C);
            using var ddgamma = GpuLaunch.Zeros(acc, C);
            using var ddbeta = GpuLaunch.Zeros(acc, C);
            BatchNorm2dKernels.ForwardTrainingGpu(acc, dx.View, dg.View, db.View, N, C, L, 1e-5f, 0.1f, dout.View, dmean.View, dinv.View, drm.View, drv.View);
            string what = $"{device} batch norm ({N},{C},{L})";
            Check.Close(y0, Download(dout.View), 1e-4f, 1e-4f, what + " training y");
            Check.Close(mean0, Download(dmean.View), 1e-5f, 1e-5f, what + " mean");
            Check.Close(inv0, Download(dinv.View), 1e-4f, 1e-4f, what + " invStd");
            Check.Close(rm0, Download(drm.View), 1e-5f, 1e-5f, what + " running mean");
            Check.Close(rv0, Download(drv.View), 1e-4f, 1e-4f, what + " running var");

            foreach (bool batchStats in new[] { true, false })
            {
                var dx0 = new float[n];
                var dgamma0 = new float[C];
                var dbeta0 = new float[C];
                BatchNorm2dKernels.BackwardNaive(x, dy, mean0, inv0, gamma, N, C, L, batchStats, dx0, dgamma0, dbeta0);
                BatchNorm2dKernels.BackwardGpu(acc, dx.View, ddy.View, dmean.View, dinv.View, dg.View, N, C, L, batchStats, dout.View, ddgamma.View, ddbeta.View);
                Check.Close(dx0, Download(dout.View), 1e-4f, 1e-3f, $"{what} dx (batch stats {batchStats})");
                Check.Close(dgamma0, Download(ddgamma.View), 1e-4f, 1e-4f, $"{what} dgamma");
                Check.Close(dbeta0, Download(ddbeta.View), 1e-4f, 1e-4f, $"{what} dbeta");
            }

            BatchNorm2dKernels.ForwardEvalNaive(x, gamma, beta, rm0, rv0, N, C, L, 1e-5f, y0);
            BatchNorm2dKernels.ForwardEvalGpu(acc, dx.View, dg.View, db.View, drm.View, drv.View, N, C, L, 1e-5f, dout.View, dmean.View, dinv.View);
            Check.Close(y0, Download(dout.View), 1e-4f, 1e-4f, what + " eval y");
        }
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void LowRankFusionGpu_ForwardAndBackward_MatchNaive(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        foreach (var (B, dims, R, H) in new[] { (1, new[] { 3 }, 1, 1), (5, new[] { 3, 2, 4 }, 3, 5), (17, new[] { 7, 1 }, 2, 9), (9, new[] { 4, 6 }, 4, 16) })
        {
            var s = new LowRankFusionShape(B, dims, R, H);
            int seed = B * 7 + R;
            float[][] z = [.. dims.Select((d, m) => Check.Random(B * d, seed + m))];
            float[][] w = [.. dims.Select((_, m) => Check.Random(s.FactorLength(m), seed + 10 + m, -0.5f, 0.5f))];
            var weights = Check.Random(R, seed + 20);
            var bias = Check.Random(H, seed + 21);
            var dy = Check.Random(B * H, seed + 22);

            var p0 = dims.Select(_ => new float[B * s.RH]).ToArray();
            var y0 = new float[B * H];
            LowRankFusionKernels.ForwardNaive([.. z.Select(a => (ReadOnlyMemory<float>)a)], [.. w.Select(a => (ReadOnlyMemory<float>)a)],
                weights, bias, s, [.. p0.Select(a => (Memory<float>)a)], y0);
            var dz0 = dims.Select(d => new float[B * d]).ToArray();
            var dw0 = dims.Select((_, m) => new float[s.FactorLength(m)]).ToArray();
            var (dWeights0, dBias0) = (new float[R], new float[H]);
            LowRankFusionKernels.BackwardNaive(dy, [.. z.Select(a => (ReadOnlyMemory<float>)a)], [.. w.Select(a => (ReadOnlyMemory<float>)a)], weights,
                [.. p0.Select(a => (ReadOnlyMemory<float>)a)], s, [.. dz0.Select(a => (Memory<float>)a)], [.. dw0.Select(a => (Memory<float>)a)], dWeights0, dBias0);

            var buffers = new List<MemoryBuffer1D<float, ILGPU.Stride1D.Dense>>();
            ILGPU.ArrayView<float> Up(float[] a) { var b = GpuLaunch.Upload(acc, a); buffers.Add(b); return b.View.SubView(0, a.Length); }
            ILGPU.ArrayView<float> Zero(int n) { var b = GpuLaunch.Zeros(acc, n); buffers.Add(b); return b.View.SubView(0, n); }
            try
            {
                var zv = z.Select(Up).ToArray();
                var wv = w.Select(Up).ToArray();
                var proj = Zero(dims.Length * B * s.RH);
                var y1 = Zero(B * H);
                LowRankFusionKernels.ForwardGpu(acc, zv, wv, Up(weights), Up(bias), s, proj, y1);
                string what = $"{device} LMF {s}";
                Check.Close(y0, Download(y1), 1e-4f, 1e-3f, what + " y");
                var dzv = dims.Select(d => Zero(B * d)).ToArray();
                var dwv = dims.Select((_, m) => Zero(s.FactorLength(m))).ToArray();
                var (dWeights1, dBias1) = (Zero(R), Zero(H));
                LowRankFusionKernels.BackwardGpu(acc, Up(dy), zv, wv, Up(weights), proj, s, dzv, dwv, dWeights1, dBias1);
                for (int m = 0; m < dims.Length; m++)
                {
                    Check.Close(p0[m], Download(proj.SubView((long)m * B * s.RH, B * s.RH)), 1e-4f, 1e-3f, $"{what} P_{m}");
                    Check.Close(dz0[m], Download(dzv[m]), 1e-4f, 1e-3f, $"{what} dz_{m}");
                    Check.Close(dw0[m], Download(dwv[m]), 1e-4f, 1e-3f, $"{what} dW_{m}");
                }
                Check.Close(dWeights0, Download(dWeights1), 1e-4f, 1e-3f, what + " dw");
                Check.Close(dBias0, Download(dBias1), 1e-4f, 1e-3f, what + " dbias");
            }
            finally
            {
                foreach (var b in buffers) b.Dispose();
            }
        }
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void OptimizerGpu_SgdAndAdam_MatchNaive(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        foreach (int n in new[] { 1, 7, 33 })
            foreach (bool nesterov in new[] { false, true })
            {
                var p = Check.Random(n, n);
                var g = Check.Random(n, n + 1);
                var v = Check.Random(n, n + 2);
                var (p0, v0) = ((float[])p.Clone(), (float[])v.Clone());
                OptimizerKernels.SgdNaive(p0, g, v0, 0.1f, 0.9f, 0.01f, nesterov);
                using var dp = GpuLaunch.Upload(acc, p);
                using var dg = GpuLaunch.Upload(acc, g);
                using var dv = GpuLaunch.Upload(acc, v);
                OptimizerKernels.SgdGpu(acc, dp.View.SubView(0, n), dg.View.SubView(0, n), dv.View.SubView(0, n), 0.1f, 0.9f, 0.01f, nesterov);
                Check.Close(p0, Download(dp.View.SubView(0, n)), 1e-6f, 1e-5f, $"{device} sgd p n={n}");
                Check.Close(v0, Download(dv.View.SubView(0, n)), 1e-6f, 1e-5f, $"{device} sgd v n={n}");

                var m = Check.Random(n, n + 3);
                var (p1, m1, v1) = ((float[])p.Clone(), (float[])m.Clone(), v.Select(Math.Abs).ToArray());
                var step = new AdamStep(1e-2f, 0.9f, 0.999f, 1e-8f, nesterov ? 0.01f : 0f, nesterov ? 0f : 0.01f, 3);
                using var dp2 = GpuLaunch.Upload(acc, p1);
                using var dm2 = GpuLaunch.Upload(acc, m1);
                using var dv2 = GpuLaunch.Upload(acc, v1);
                OptimizerKernels.AdamNaive(p1, g, m1, v1, step);
                OptimizerKernels.AdamGpu(acc, dp2.View.SubView(0, n), dg.View.SubView(0, n), dm2.View.SubView(0, n), dv2.View.SubView(0, n), step);
                Check.Close(p1, Download(dp2.View.SubView(0, n)), 1e-6f, 1e-5f, $"{device} adam p n={n}");
                Check.Close(m1, Download(dm2.View.SubView(0, n)), 1e-6f, 1e-5f, $"{device} adam m n={n}");
                Check.Close(v1, Download(dv2.View.SubView(0, n)), 1e-6f, 1e-5f, $"{device} adam v n={n}");
            }
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void StridedGpu_MatchesStridedNaive(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        // (dims, strides) over a 7×5×3 source: a transpose, a slice-like view, a broadcast (stride 0).
        foreach (var (dims, strides) in new (int[], int[])[] { ([3, 5, 7], [1, 3, 15]), ([7, 2, 3], [15, 6, 1]), ([4, 7, 5], [0, 15, 3]), ([1], [0]) })
        {
            var x = Check.Random(105, dims.Length);
            int n = dims.Aggregate(1, (a, b) => a * b);
            var y0 = new float[n];
            CopyKernels.StridedNaive(x, strides, dims, y0);
            using var dx = GpuLaunch.Upload(acc, x);
            using var dy = GpuLaunch.Zeros(acc, n);
            CopyKernels.StridedGpu(acc, dx.View, strides, dims, dy.View);
            Check.Close(y0, Download(dy.View.SubView(0, n)), 0f, 0f, $"{device} strided gather dims [{string.Join(",", dims)}]");
        }
    }

    private static float[] Download(ILGPU.ArrayView<float> view)
    {
        var host = new float[view.Length];
        GpuLaunch.Download(view, host);
        return host;
    }
}
