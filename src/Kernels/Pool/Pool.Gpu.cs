// Pool variant 3 — Gpu: max, average and global average pooling, forward and backward, on the
// device. Shapes and conventions as in Pool.cs (argmax is h·W + w inside the (n, c) plane; average
// divides by the count of real pixels; backward kernels overwrite dx).
//
// Forward: one thread per output element, looping over its window (max keeps the first maximum
// in row-major window order, exactly as MaxPool2dNaive, so the argmax agrees bit for bit).
// Backward: one thread per *input* element, gathering from the outputs whose window holds it
// (p in [⌈(h + pad − k + 1)/stride⌉, ⌊(h + pad)/stride⌋], likewise q). The CPU scatters
// (dx[argmax] += dy); a scatter on the GPU needs atomic adds, whose order varies run to run. The
// gather writes every dx element once, from one thread, adding in the same (p, q) order as the
// naive loop — deterministic and equal to the reference.
// Global average: one group of 128 threads per (n, c) plane, register partials and a
// shared-memory tree (Gpu/GroupReduce.cs); its backward is one thread per element.
//
// Memory hierarchy: global memory and registers (windows overlap only when stride < kernel, and
// then neighbouring threads hit the same cache lines); shared memory only in the global mean.
//
//   dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~PoolGpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Kernels.Pool;

/// <summary>A pooling's dimensions as plain fields, for passing to GPU kernels by value.</summary>
public readonly struct GpuPoolArgs
{
    public readonly int H, W, K, Stride, Pad, P, Q;

    public GpuPoolArgs(in PoolShape s) => (H, W, K, Stride, Pad, P, Q) = (s.H, s.W, s.Kernel, s.Stride, s.Pad, s.P, s.Q);

    /// <summary>First output index (p or q) whose window covers input index i along an axis.</summary>
    public int First(int i) => XMax(0, CeilDiv(i + Pad - K + 1, Stride));

    /// <summary>One past the last output index whose window covers input index i, clipped to n outputs.</summary>
    public int End(int i, int n) => XMin(n, (i + Pad) / Stride + 1);

    /// <summary>Number of real pixels of a window starting at a0 along an axis of length size.</summary>
    public static int Count(int a0, int k, int size) => XMin(a0 + k, size) - XMax(a0, 0);

    private static int CeilDiv(int a, int b) => a <= 0 ? -((-a) / b) : (a + b - 1) / b;
    private static int XMax(int a, int b) => a > b ? a : b;
    private static int XMin(int a, int b) => a < b ? a : b;
}

public static partial class PoolKernels
{
    /// <summary>Max pooling on device views (asynchronous); argmax as in <see cref="MaxPool2dNaive"/>.</summary>
    public static void MaxPool2dGpu(Accelerator acc, ArrayView<float> x, in PoolShape s, ArrayView<float> y, ArrayView<int> argmax)
    {
        s.CheckIn((int)x.Length, "x", "max_pool2d (gpu)");
        s.CheckOut((int)y.Length, "y", "max_pool2d (gpu)");
        s.CheckOut((int)argmax.Length, "argmax", "max_pool2d (gpu)");
        if (s.OutputLength == 0) return;
        var kernel = GpuLaunch.Kernel(acc, MaxForwardKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, GpuPoolArgs>(MaxForwardKernel));
        kernel(s.OutputLength, x, y, argmax, new GpuPoolArgs(s));
    }

    /// <summary>Max-pool backward on device views (asynchronous), as a gather; overwrites dx.</summary>
    public static void MaxPool2dBackwardGpu(Accelerator acc, ArrayView<float> dy, ArrayView<int> argmax, in PoolShape s, ArrayView<float> dx)
    {
        CheckMaxBackward((int)dy.Length, (int)argmax.Length, s, (int)dx.Length);
        if (s.InputLength == 0) return;
        var kernel = GpuLaunch.Kernel(acc, MaxBackwardKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, GpuPoolArgs>(MaxBackwardKernel));
        kernel(s.InputLength, dy, argmax, dx, new GpuPoolArgs(s));
    }

    /// <summary>Average pooling (count_include_pad = false) on device views (asynchronous).</summary>
    public static void AvgPool2dGpu(Accelerator acc, ArrayView<float> x, in PoolShape s, ArrayView<float> y)
    {
        s.CheckIn((int)x.Length, "x", "avg_pool2d (gpu)");
        s.CheckOut((int)y.Length, "y", "avg_pool2d (gpu)");
        if (s.OutputLength == 0) return;
        var kernel = GpuLaunch.Kernel(acc, AvgForwardKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, GpuPoolArgs>(AvgForwardKernel));
        kernel(s.OutputLength, x, y, new GpuPoolArgs(s));
    }

    /// <summary>Average-pool backward on device views (asynchronous), as a gather; overwrites dx.</summary>
    public static void AvgPool2dBackwardGpu(Accelerator acc, ArrayView<float> dy, in PoolShape s, ArrayView<float> dx)
    {
        s.CheckOut((int)dy.Length, "dy", "avg_pool2d backward (gpu)");
        s.CheckIn((int)dx.Length, "dx", "avg_pool2d backward (gpu)");
        if (s.InputLength == 0) return;
        var kernel = GpuLaunch.Kernel(acc, AvgBackwardKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, GpuPoolArgs>(AvgBackwardKernel));
        kernel(s.InputLength, dy, dx, new GpuPoolArgs(s));
    }

    /// <summary>Mean over each H×W plane on device views (asynchronous): y[n,c] = Σ x[n,c,:,:] / (H·W).</summary>
    public static void GlobalAvgPool2dGpu(Accelerator acc, ArrayView<float> x, int N, int C, int H, int W, ArrayView<float> y)
    {
        if (x.Length < (long)N * C * H * W || y.Length < (long)N * C)
            throw new ArgumentException($"global_avg_pool2d (gpu): views of {x.Length} and {y.Length} elements are too short for ({N},{C},{H},{W})");
        if (N * C == 0) return;
        var kernel = GpuLaunch.Kernel(acc, GlobalForwardKernel,
            static a => a.LoadStreamKernel<ArrayView<float>, int, ArrayView<float>>(GlobalForwardKernel));
        kernel(new KernelConfig(N * C, GroupReduce.Size), x, H * W, y);
    }

    /// <summary>Global-average backward on device views (asynchronous): dx[n,c,h,w] = dy[n,c] / (H·W).</summary>
    public static void GlobalAvgPool2dBackwardGpu(Accelerator acc, ArrayView<float> dy, int N, int C, int H, int W, ArrayView<float> dx)
    {
        if (dx.Length < (long)N * C * H * W || dy.Length < (long)N * C)
            throw new ArgumentException($"global_avg_pool2d backward (gpu): views of {dy.Length} and {dx.Length} elements are too short for ({N},{C},{H},{W})");
        if (N * C == 0) return;
        var kernel = GpuLaunch.Kernel(acc, GlobalBackwardKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(GlobalBackwardKernel));
        kernel(N * C * H * W, dy, dx, H * W);
    }

    // ------------------------------------------------------------------ kernels

    // i = (plane·P + p)·Q + q.
    private static void MaxForwardKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax, GpuPoolArgs a)
    {
        int q = i % a.Q, p = i / a.Q % a.P, plane = i / (a.Q * a.P);
        int h0 = p * a.Stride - a.Pad, w0 = q * a.Stride - a.Pad;
        int baseIndex = plane * a.H * a.W;
        float best = float.NegativeInfinity;
        int arg = (h0 > 0 ? h0 : 0) * a.W + (w0 > 0 ? w0 : 0); // as the reference: a real pixel even if all are −∞
        for (int r = 0; r < a.K; r++)
        {
            int h = h0 + r;
            if ((uint)h >= (uint)a.H) continue;
            for (int t = 0; t < a.K; t++)
            {
                int w = w0 + t;
                if ((uint)w >= (uint)a.W) continue;
                float v = x[baseIndex + h * a.W + w];
                if (v > best) { best = v; arg = h * a.W + w; }
            }
        }
        y[i] = best;
        argmax[i] = arg;
    }

    // i = (plane·H + h)·W + w: add dy of every covering output whose argmax is this pixel.
    private static void MaxBackwardKernel(Index1D i, ArrayView<float> dy, ArrayView<int> argmax, ArrayView<float> dx, GpuPoolArgs a)
    {
        int w = i % a.W, h = i / a.W % a.H, plane = i / (a.W * a.H);
        int me = h * a.W + w;
        float acc = 0f;
        for (int p = a.First(h); p < a.End(h, a.P); p++)
            for (int q = a.First(w); q < a.End(w, a.Q); q++)
            {
                int o = (plane * a.P + p) * a.Q + q;
                if (argmax[o] == me) acc += dy[o];
            }
        dx[i] = acc;
    }

    private static void AvgForwardKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, GpuPoolArgs a)
    {
        int q = i % a.Q, p = i / a.Q % a.P, plane = i / (a.Q * a.P);
        int h0 = p * a.Stride - a.Pad, w0 = q * a.Stride - a.Pad;
        float sum = 0f;
        for (int h = h0 > 0 ? h0 : 0; h < h0 + a.K && h < a.H; h++)
            for (int w = w0 > 0 ? w0 : 0; w < w0 + a.K && w < a.W; w++)
                sum += x[(plane * a.H + h) * a.W + w];
        y[i] = sum / (GpuPoolArgs.Count(h0, a.K, a.H) * GpuPoolArgs.Count(w0, a.K, a.W));
    }

    private static void AvgBackwardKernel(Index1D i, ArrayView<float> dy, ArrayView<float> dx, GpuPoolArgs a)
    {
        int w = i % a.W, h = i / a.W % a.H, plane = i / (a.W * a.H);
        float acc = 0f;
        for (int p = a.First(h); p < a.End(h, a.P); p++)
            for (int q = a.First(w); q < a.End(w, a.Q); q++)
            {
                int h0 = p * a.Stride - a.Pad, w0 = q * a.Stride - a.Pad;
                acc += dy[(plane * a.P + p) * a.Q + q] / (GpuPoolArgs.Count(h0, a.K, a.H) * GpuPoolArgs.Count(w0, a.K, a.W));
            }
        dx[i] = acc;
    }

    // Group g sums plane g (HW floats): consecutive threads read consecutive floats (coalesced).
    private static void GlobalForwardKernel(ArrayView<float> x, int HW, ArrayView<float> y)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.Size);
        int plane = Grid.IdxX;
        float acc = 0f;
        for (int j = Group.IdxX; j < HW; j += GroupReduce.Size) acc += x[plane * HW + j];
        float total = GroupReduce.Sum(scratch, acc);
        if (Group.IdxX == 0) y[plane] = total / HW;
    }

    private static void GlobalBackwardKernel(Index1D i, ArrayView<float> dy, ArrayView<float> dx, int HW) => dx[i] = dy[i / HW] / HW;
}
