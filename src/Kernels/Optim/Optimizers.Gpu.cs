// Optimizer update kernels, GPU variant: SgdGpu / AdamGpu do exactly what SgdNaive / AdamNaive do
// (see Optimizers.cs for the formulas), one thread per parameter element.
//
// Memory hierarchy: global memory and registers only. Each thread reads p, g and the state once
// and writes p and the state once — a pure streaming kernel, coalesced, bound by bandwidth, which
// on a GPU is 10–30× the CPU's. The point is less the speed than where the data stays: parameters,
// gradients and optimizer state never leave the device, so a training step transfers nothing.
// Adam's bias corrections 1 − β^t are computed once on the host (AdamStep) and passed by value.
//
//   dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~OptimizerGpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace FusionScratch.Kernels.Optim;

public static partial class OptimizerKernels
{
    /// <summary>SGD's scalars, passed to the kernel by value.</summary>
    public readonly struct GpuSgdArgs(float lr, float momentum, float weightDecay, bool nesterov)
    {
        public readonly float Lr = lr, Momentum = momentum, WeightDecay = weightDecay;
        public readonly int Nesterov = nesterov ? 1 : 0;
    }

    /// <summary>Adam's scalars with the bias corrections for step t, passed to the kernel by value.</summary>
    public readonly struct GpuAdamArgs(AdamStep s)
    {
        public readonly float Lr = s.Lr, Beta1 = s.Beta1, Beta2 = s.Beta2, Eps = s.Eps, L2 = s.L2, Decay = s.DecoupledDecay;
        public readonly float Correction1 = s.Correction1, Correction2 = s.Correction2;
    }

    /// <summary>SGD step on device views (asynchronous); same contract as <see cref="SgdNaive"/>.</summary>
    public static void SgdGpu(Accelerator acc, ArrayView<float> p, ArrayView<float> g, ArrayView<float> v, float lr, float momentum, float weightDecay, bool nesterov)
    {
        CheckLengths((int)p.Length, (int)g.Length, (int)v.Length, (int)v.Length);
        if (p.Length == 0) return;
        var kernel = GpuLaunch.Kernel(acc, SgdKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuSgdArgs>(SgdKernel));
        kernel((int)p.Length, p, g, v, new GpuSgdArgs(lr, momentum, weightDecay, nesterov));
    }

    /// <summary>Adam/AdamW step on device views (asynchronous); same contract as <see cref="AdamNaive"/>.</summary>
    public static void AdamGpu(Accelerator acc, ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, AdamStep s)
    {
        CheckLengths((int)p.Length, (int)g.Length, (int)m.Length, (int)v.Length);
        if (p.Length == 0) return;
        var kernel = GpuLaunch.Kernel(acc, AdamKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuAdamArgs>(AdamKernel));
        kernel((int)p.Length, p, g, m, v, new GpuAdamArgs(s));
    }

    private static void SgdKernel(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> v, GpuSgdArgs a)
    {
        float d = g[i] + a.WeightDecay * p[i];
        float vi = a.Momentum * v[i] + d;
        v[i] = vi;
        p[i] -= a.Lr * (a.Nesterov != 0 ? d + a.Momentum * vi : vi);
    }

    private static void AdamKernel(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, GpuAdamArgs a)
    {
        float gi = g[i] + a.L2 * p[i];
        float mi = a.Beta1 * m[i] + (1 - a.Beta1) * gi;
        float vi = a.Beta2 * v[i] + (1 - a.Beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float update = (mi / a.Correction1) / (XMath.Sqrt(vi / a.Correction2) + a.Eps);
        p[i] -= a.Lr * (update + a.Decay * p[i]);
    }
}
