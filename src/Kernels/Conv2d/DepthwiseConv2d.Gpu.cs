// DepthwiseConv2d variant 3 — Gpu: the direct kernel on the device, one thread per output element
// (forward), per input element (input gradient, as a gather) and one group per filter tap (weight
// gradient). Shapes as in DepthwiseConv2d.cs (a Conv2dShape with K = C).
//
// Why no im2col here either: each output needs only R·S multiply-adds, so the GPU version, like
// the SIMD one, computes them directly; there is no reuse for shared memory to capture beyond what
// the L1/L2 caches already give neighbouring threads (they read overlapping windows of one plane).
//
// Memory hierarchy:
//   forward          one thread per y[n,c,p,q]; w[c] (R·S floats) and the window come from global
//                    memory through the caches; the sum lives in a register.
//   input gradient   one thread per dx[n,c,h,w], gathering over the taps that read its pixel (the
//                    same index arithmetic as Conv2d.4.Gpu.cs's col2im): no atomics, fixed order.
//   weight gradient  one group of 128 threads per tap (c, r, s): each thread adds dy·x over a
//                    strided share of the N·P·Q outputs in a register, then the group sums the
//                    128 partials in shared memory (Gpu/GroupReduce.cs). db = Conv2dKernels.ChannelSumGpu.
//
//   dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~DepthwiseGpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Kernels;

public static partial class DepthwiseConv2dKernels
{
    /// <summary>Depthwise forward on device views (asynchronous); bias may be an empty view. Same contract as <see cref="ForwardNaive"/>.</summary>
    public static void ForwardGpu(Accelerator acc, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, in Conv2dShape s, ArrayView<float> y)
    {
        CheckShape(s);
        s.CheckForward((int)x.Length, (int)w.Length, (int)bias.Length, (int)y.Length, Op, s.C * s.R * s.S);
        if (s.OutputLength == 0) return;
        var kernel = GpuLaunch.Kernel(acc, ForwardKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, GpuConvArgs>(ForwardKernel));
        kernel(s.OutputLength, x, w, bias, y, bias.Length > 0 ? 1 : 0, new GpuConvArgs(s));
    }

    /// <summary>Depthwise input gradient on device views (asynchronous). Same contract as <see cref="BackwardInputNaive"/>.</summary>
    public static void BackwardInputGpu(Accelerator acc, ArrayView<float> dy, ArrayView<float> w, in Conv2dShape s, ArrayView<float> dx)
    {
        CheckBackwardInput((int)dy.Length, (int)w.Length, s, (int)dx.Length);
        if (s.InputLength == 0) return;
        var kernel = GpuLaunch.Kernel(acc, BackwardInputKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuConvArgs>(BackwardInputKernel));
        kernel(s.InputLength, dy, w, dx, new GpuConvArgs(s));
    }

    /// <summary>Depthwise weight (and bias, when dBias is not empty) gradient on device views (asynchronous). Same contract as <see cref="BackwardWeightNaive"/>.</summary>
    public static void BackwardWeightGpu(Accelerator acc, ArrayView<float> x, ArrayView<float> dy, in Conv2dShape s, ArrayView<float> dw, ArrayView<float> dBias)
    {
        CheckShape(s);
        Conv2dKernels.CheckBackwardWeight((int)x.Length, (int)dy.Length, s, (int)dw.Length, (int)dBias.Length, Op, s.C * s.R * s.S);
        var kernel = GpuLaunch.Kernel(acc, BackwardWeightKernel,
            static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuConvArgs>(BackwardWeightKernel));
        kernel(new KernelConfig(s.C * s.R * s.S, GroupReduce.Size), x, dy, dw, new GpuConvArgs(s));
        if (dBias.Length > 0) Conv2dKernels.ChannelSumGpu(acc, dy, s.N, s.C, s.P * s.Q, dBias);
    }

    /// <summary>ForwardGpu on host spans: upload, run, download (<see cref="GpuLaunch.RoundTrip"/>).</summary>
    public static void ForwardGpu(Accelerator acc, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y)
    {
        var shape = s;
        GpuLaunch.RoundTrip(acc, x, w, bias, y, default, (dx, dw, db, dy, _) => ForwardGpu(acc, dx, dw, db, shape, dy));
    }

    /// <summary>BackwardInputGpu on host spans: upload, run, download.</summary>
    public static void BackwardInputGpu(Accelerator acc, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx)
    {
        var shape = s;
        GpuLaunch.RoundTrip(acc, dy, w, default, dx, default, (ddy, dw, _, ddx, _) => BackwardInputGpu(acc, ddy, dw, shape, ddx));
    }

    /// <summary>BackwardWeightGpu on host spans: upload, run, download (dBias may be empty).</summary>
    public static void BackwardWeightGpu(Accelerator acc, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias)
    {
        var shape = s;
        GpuLaunch.RoundTrip(acc, x, dy, default, dw, dBias, (dx, ddy, _, ddw, ddb) => BackwardWeightGpu(acc, dx, ddy, shape, ddw, ddb));
    }

    // i = ((n·C + c)·P + p)·Q + q.
    private static void ForwardKernel(Index1D i, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, int hasBias, GpuConvArgs a)
    {
        int q = i % a.Q, p = i / a.Q % a.P, nc = i / (a.Q * a.P), c = nc % a.C;
        float acc = hasBias != 0 ? bias[c] : 0f;
        for (int r = 0; r < a.R; r++)
        {
            int h = p * a.Stride + r - a.Pad;
            if ((uint)h >= (uint)a.H) continue;
            for (int t = 0; t < a.S; t++)
            {
                int w0 = q * a.Stride + t - a.Pad;
                if ((uint)w0 >= (uint)a.W) continue;
                acc += w[(c * a.R + r) * a.S + t] * x[(nc * a.H + h) * a.W + w0];
            }
        }
        y[i] = acc;
    }

    // i = ((n·C + c)·H + h)·W + w: gather the outputs whose window held this pixel.
    private static void BackwardInputKernel(Index1D i, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, GpuConvArgs a)
    {
        int wi = i % a.W, h = i / a.W % a.H, nc = i / (a.W * a.H), c = nc % a.C;
        float acc = 0f;
        for (int r = 0; r < a.R; r++)
        {
            int ph = h + a.Pad - r;
            if (ph < 0 || ph % a.Stride != 0 || ph / a.Stride >= a.P) continue;
            int p = ph / a.Stride;
            for (int t = 0; t < a.S; t++)
            {
                int qw = wi + a.Pad - t;
                if (qw < 0 || qw % a.Stride != 0 || qw / a.Stride >= a.Q) continue;
                acc += dy[(nc * a.P + p) * a.Q + qw / a.Stride] * w[(c * a.R + r) * a.S + t];
            }
        }
        dx[i] = acc;
    }

    // Group g = (c·R + r)·S + t owns dw[c,r,t]; its threads share the N·P·Q outputs of channel c.
    private static void BackwardWeightKernel(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, GpuConvArgs a)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.Size);
        int g = Grid.IdxX;
        int t = g % a.S, r = g / a.S % a.R, c = g / (a.S * a.R);
        int PQ = a.P * a.Q;
        float acc = 0f;
        for (int j = Group.IdxX; j < a.N * PQ; j += GroupReduce.Size)
        {
            int n = j / PQ, pq = j - n * PQ, p = pq / a.Q, q = pq - p * a.Q;
            int h = p * a.Stride + r - a.Pad, w0 = q * a.Stride + t - a.Pad;
            if ((uint)h < (uint)a.H && (uint)w0 < (uint)a.W)
                acc += dy[((n * a.C + c) * a.P + p) * a.Q + q] * x[((n * a.C + c) * a.H + h) * a.W + w0];
        }
        float total = GroupReduce.Sum(scratch, acc);
        if (Group.IdxX == 0) dw[g] = total;
    }
}
