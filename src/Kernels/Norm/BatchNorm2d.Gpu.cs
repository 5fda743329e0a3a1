// BatchNorm2d variant 3 — Gpu: batch normalisation on the device, the formulas of BatchNorm2d.cs.
//
// Shapes: x, y, dy, dx (N,C,L) with L = H·W; gamma, beta, mean, invStd, running stats, dgamma,
// dbeta (C); M = N·L.
// Launches:
//   statistics (training)  one group of 128 threads per channel. Each thread adds a strided share
//                          of the channel's M values in a register; the group sums them in shared
//                          memory (Gpu/GroupReduce.cs) to get the mean, then does the same for
//                          Σ(x − mean)², the two-pass variance of the CPU variants (no Σx² − M·mean²
//                          cancellation). Thread 0 writes mean, invStd and the running update.
//   statistics (eval)      one thread per channel: mean = running mean, invStd = 1/√(running var + eps).
//   normalise              one thread per element: y = (x − mean)·invStd·gamma + beta.
//   backward sums          one group per channel: Σdy and Σdy·x̂ in one sweep, shared-memory tree.
//   backward dx            one thread per element, the formula of BatchNorm2d.cs.
// Memory hierarchy: x is read from global memory twice by the statistics groups (once per pass,
// coalesced: consecutive threads take consecutive l) and once more by the normalisation; the
// per-channel numbers stay in registers and one shared-memory tree per group. Sums are float (the
// naive reference accumulates in double), so results agree within rounding.
//
//   dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~BatchNormGpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace FusionScratch.Kernels.Norm;

public static partial class BatchNorm2dKernels
{
    /// <summary>
    /// Per-launch scalars of the batch-norm GPU kernels. Mode: in the training forward, 1 = update
    /// the running statistics; in the backward, 1 = the batch statistics were used (training).
    /// </summary>
    public readonly struct GpuNormArgs(int n, int c, int l, float eps, float momentum, int mode)
    {
        public readonly int N = n, C = c, L = l, Mode = mode;
        public readonly float Eps = eps, Momentum = momentum;
    }

    /// <summary>
    /// Training forward on device views (asynchronous); same contract as <see cref="ForwardTrainingNaive"/>:
    /// the running views may be empty (no update).
    /// </summary>
    public static void ForwardTrainingGpu(Accelerator acc, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        int N, int C, int L, float eps, float momentum, ArrayView<float> y, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> runningMean, ArrayView<float> runningVar)
    {
        CheckForward((int)x.Length, (int)gamma.Length, (int)beta.Length, N, C, L, (int)y.Length, (int)mean.Length, (int)invStd.Length,
            (int)runningMean.Length, (int)runningVar.Length, true);
        var stats = GpuLaunch.Kernel(acc, StatisticsKernel,
            static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuNormArgs>(StatisticsKernel));
        stats(new KernelConfig(C, GroupReduce.Size), x, mean, invStd, runningMean, runningVar,
            new GpuNormArgs(N, C, L, eps, momentum, runningMean.Length > 0 ? 1 : 0));
        Normalize(acc, x, mean, invStd, gamma, beta, N, C, L, y);
    }

    /// <summary>
    /// Eval forward on device views (asynchronous), normalising with the running statistics; also
    /// writes the mean and invStd it used (for the backward). Same values as <see cref="ForwardEvalNaive"/>.
    /// </summary>
    public static void ForwardEvalGpu(Accelerator acc, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> runningMean, ArrayView<float> runningVar, int N, int C, int L, float eps, ArrayView<float> y,
        ArrayView<float> mean, ArrayView<float> invStd)
    {
        CheckForward((int)x.Length, (int)gamma.Length, (int)beta.Length, N, C, L, (int)y.Length, (int)mean.Length, (int)invStd.Length,
            (int)runningMean.Length, (int)runningVar.Length, false);
        var stats = GpuLaunch.Kernel(acc, EvalStatisticsKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>>(EvalStatisticsKernel));
        stats(C, runningMean, runningVar, eps, mean, invStd);
        Normalize(acc, x, mean, invStd, gamma, beta, N, C, L, y);
    }

    /// <summary>Backward on device views (asynchronous); same contract as <see cref="BackwardNaive"/> (dx may be empty).</summary>
    public static void BackwardGpu(Accelerator acc, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> gamma, int N, int C, int L, bool batchStats, ArrayView<float> dx, ArrayView<float> dGamma, ArrayView<float> dBeta)
    {
        CheckBackward((int)x.Length, (int)dy.Length, (int)mean.Length, (int)invStd.Length, (int)gamma.Length, N, C, L,
            (int)dx.Length, (int)dGamma.Length, (int)dBeta.Length);
        var args = new GpuNormArgs(N, C, L, 0f, 0f, batchStats ? 1 : 0);
        var sums = GpuLaunch.Kernel(acc, BackwardSumsKernel,
            static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuNormArgs>(BackwardSumsKernel));
        sums(new KernelConfig(C, GroupReduce.Size), x, dy, mean, invStd, dGamma, dBeta, args);
        if (dx.Length == 0 || N == 0) return;
        var input = GpuLaunch.Kernel(acc, BackwardInputKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
                ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuNormArgs>(BackwardInputKernel));
        input(N * C * L, x, dy, mean, invStd, gamma, dGamma, dBeta, dx, args);
    }

    private static void Normalize(Accelerator acc, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> gamma, ArrayView<float> beta, int N, int C, int L, ArrayView<float> y)
    {
        if (N == 0) return;
        var kernel = GpuLaunch.Kernel(acc, NormalizeKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
                ArrayView<float>, int, int>(NormalizeKernel));
        kernel(N * C * L, x, mean, invStd, gamma, beta, y, C, L);
    }

    // ------------------------------------------------------------------ kernels

    // Group c: mean, then Σ(x − mean)² (two passes over the channel, both coalesced along l).
    private static void StatisticsKernel(ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> runningMean, ArrayView<float> runningVar, GpuNormArgs a)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.Size);
        int c = Grid.IdxX, M = a.N * a.L;
        float acc = 0f;
        for (int j = Group.IdxX; j < M; j += GroupReduce.Size)
            acc += x[((j / a.L) * a.C + c) * a.L + j % a.L];
        float m = GroupReduce.Sum(scratch, acc) / M;
        acc = 0f;
        for (int j = Group.IdxX; j < M; j += GroupReduce.Size)
        {
            float d = x[((j / a.L) * a.C + c) * a.L + j % a.L] - m;
            acc += d * d;
        }
        float variance = GroupReduce.Sum(scratch, acc) / M;
        if (Group.IdxX != 0) return;
        mean[c] = m;
        invStd[c] = 1f / XMath.Sqrt(variance + a.Eps);
        if (a.Mode != 0)
        {
            runningMean[c] = (1 - a.Momentum) * runningMean[c] + a.Momentum * m;
            runningVar[c] = (1 - a.Momentum) * runningVar[c] + a.Momentum * variance * M / (M - 1);
        }
    }

    private static void EvalStatisticsKernel(Index1D c, ArrayView<float> runningMean, ArrayView<float> runningVar, float eps,
        ArrayView<float> mean, ArrayView<float> invStd)
    {
        mean[c] = runningMean[c];
        invStd[c] = 1f / XMath.Sqrt(runningVar[c] + eps);
    }

    private static void NormalizeKernel(Index1D i, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y, int C, int L)
    {
        int c = i / L % C;
        y[i] = (x[i] - mean[c]) * invStd[c] * gamma[c] + beta[c];
    }

    // Group c: dbeta = Σ dy, dgamma = Σ dy·x̂ in one sweep.
    private static void BackwardSumsKernel(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> dGamma, ArrayView<float> dBeta, GpuNormArgs a)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.Size);
        int c = Grid.IdxX, M = a.N * a.L;
        float m = mean[c], s = invStd[c], sdy = 0f, sdyx = 0f;
        for (int j = Group.IdxX; j < M; j += GroupReduce.Size)
        {
            int idx = ((j / a.L) * a.C + c) * a.L + j % a.L;
            sdy += dy[idx];
            sdyx += dy[idx] * (x[idx] - m) * s;
        }
        float totalDy = GroupReduce.Sum(scratch, sdy);
        float totalDyx = GroupReduce.Sum(scratch, sdyx);
        if (Group.IdxX != 0) return;
        dBeta[c] = totalDy;
        dGamma[c] = totalDyx;
    }

    private static void BackwardInputKernel(Index1D i, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> gamma, ArrayView<float> dGamma, ArrayView<float> dBeta, ArrayView<float> dx, GpuNormArgs a)
    {
        int c = i / a.L % a.C;
        float s = invStd[c], k = gamma[c] * s;
        if (a.Mode == 0) { dx[i] = k * dy[i]; return; } // eval: the statistics are constants
        float M = (float)a.N * a.L;
        float xhat = (x[i] - mean[c]) * s;
        dx[i] = k / M * (M * dy[i] - dBeta[c] - xhat * dGamma[c]);
    }
}
