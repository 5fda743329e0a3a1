// Low-rank multimodal fusion, variant 3 — Gpu: variant 2's plan (every multiply-add in a GEMM,
// the rest in elementwise passes) on the device, with MatMulKernels.GpuGemm (MatMul.7.GpuRegisterBlocked.cs) for the GEMMs.
// Formulas and letters as in LowRankFusion.cs (B, M modalities, D_m, R, H; RH = R·H).
//
// The M projections live in ONE device buffer, proj (M, B, RH), so the elementwise kernels take a
// single view and index modality m at m·B·RH (a kernel cannot take an array of views).
// Forward:
//   proj_m ← the 1's row W_m[D_m] repeated on every row      (one thread per element)
//   proj_m += z_m · W_m[:D_m]                                 (GEMM, beta = 1)            
//   y[b,h] = bias[h] + Σ_r w[r]·Π_m proj_m[b, r·H + h]        (one thread per (b, h): R·M
//                                                              products in registers)
// Backward, from dy (B, H):
//   dbias = Σ_b dy                                            (ReduceKernels.SumGpu over axis b)
//   dw[r] = Σ_{b,h} dy·Π_m proj_m                             (one group per r, shared-memory tree)
//   dP_m[b,r,h] = w[r]·dy[b,h]·Π_{m'≠m} proj_m'               (one thread per element; a scratch
//                                                              (B, RH) reused for every m)
//   dW_m[:D_m] = z_mᵀ·dP_m (GEMM, transA);  dW_m[D_m] = Σ_b dP_m (SumGpu);  dz_m = dP_m·W_m[:D_m]ᵀ (GEMM, transB)
// Memory hierarchy: the GEMMs use shared-memory tiles and register blocks; the elementwise passes read proj from
// global memory once per modality and keep products in registers; dw's reduction uses shared
// memory. The exclusive product Π_{m'≠m} is recomputed per m (M is 2–3 here), not divided out, so
// a zero projection is harmless, as on the CPU.
//
//   dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~LowRankFusionGpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Kernels;

public static partial class LowRankFusionKernels
{
    /// <summary>
    /// Forward on device views (asynchronous). <paramref name="projections"/> is one (M, B, R·H)
    /// buffer, kept for the backward. Same results as <see cref="ForwardNaive"/> within rounding.
    /// </summary>
    public static void ForwardGpu(Accelerator acc, ArrayView<float>[] z, ArrayView<float>[] factors, ArrayView<float> weights, ArrayView<float> bias,
        LowRankFusionShape s, ArrayView<float> projections, ArrayView<float> y)
    {
        CheckGpu(s, z, factors, weights.Length, bias.Length, projections.Length);
        if (y.Length < (long)s.B * s.H) throw new ArgumentException($"low-rank fusion ({s}): output view of {y.Length} elements, expected {s.B * s.H}");
        if (s.B == 0) return;
        int B = s.B, RH = s.RH;
        var repeat = GpuLaunch.Kernel(acc, RepeatRowKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(RepeatRowKernel));
        for (int m = 0; m < s.M; m++)
        {
            int D = s.D[m];
            var pm = projections.SubView((long)m * B * RH, (long)B * RH);
            repeat(B * RH, factors[m].SubView((long)D * RH, RH), pm, RH);
            if (D > 0)
                MatMulKernels.GpuGemm(acc, z[m], false, factors[m], false, B, RH, D, 1f, 1f, pm);
        }
        var combine = GpuLaunch.Kernel(acc, CombineKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuLmfArgs>(CombineKernel));
        combine(B * s.H, projections, weights, bias, y, new GpuLmfArgs(s, -1));
    }

    /// <summary>
    /// Backward on device views. A gradient whose view is empty (Length 0) is not computed;
    /// <paramref name="projections"/> is the buffer the forward filled. Same results as <see cref="BackwardNaive"/> within rounding.
    /// </summary>
    public static void BackwardGpu(Accelerator acc, ArrayView<float> dy, ArrayView<float>[] z, ArrayView<float>[] factors, ArrayView<float> weights,
        ArrayView<float> projections, LowRankFusionShape s, ArrayView<float>[] dz, ArrayView<float>[] dFactors, ArrayView<float> dWeights, ArrayView<float> dBias)
    {
        CheckGpu(s, z, factors, weights.Length, s.H, projections.Length); // no bias in the backward
        if (dy.Length < (long)s.B * s.H || dz.Length != s.M || dFactors.Length != s.M)
            throw new ArgumentException($"low-rank fusion backward ({s}): dy of {dy.Length} elements, {dz.Length} input and {dFactors.Length} factor gradients");
        int B = s.B, RH = s.RH, H = s.H;
        if (dBias.Length > 0) ReduceKernels.SumGpu(acc, dy, 1, B, H, dBias);
        if (dWeights.Length > 0)
        {
            var rankSum = GpuLaunch.Kernel(acc, WeightGradientKernel,
                static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuLmfArgs>(WeightGradientKernel));
            rankSum(new KernelConfig(s.R, GroupReduce.Size), dy, projections, dWeights, new GpuLmfArgs(s, -1));
        }
        using var dp = acc.Allocate1D<float>(Math.Max((long)B * RH, 1));
        var dpView = dp.View.SubView(0, Math.Max((long)B * RH, 1));
        var exclusive = GpuLaunch.Kernel(acc, ExclusiveProductKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuLmfArgs>(ExclusiveProductKernel));
        for (int m = 0; m < s.M; m++)
        {
            if ((dz[m].Length == 0 && dFactors[m].Length == 0) || B == 0) continue;
            int D = s.D[m];
            exclusive(B * RH, dy, projections, weights, dpView, new GpuLmfArgs(s, m));
            if (dFactors[m].Length > 0)
            {
                if (D > 0) MatMulKernels.GpuGemm(acc, z[m], true, dpView, false, D, RH, B, 1f, 0f, dFactors[m]);
                ReduceKernels.SumGpu(acc, dpView, 1, B, RH, dFactors[m].SubView((long)D * RH, RH));
            }
            if (dz[m].Length > 0 && D > 0)
                MatMulKernels.GpuGemm(acc, dpView, false, factors[m], true, B, D, RH, 1f, 0f, dz[m]);
        }
        if (B == 0)
            for (int m = 0; m < s.M; m++)
                if (dFactors[m].Length > 0) dFactors[m].MemSetToZero();
        acc.DefaultStream.Synchronize(); // dp is freed on return
    }

    /// <summary>LMF sizes passed to the GPU kernels by value; Modality is the m of dP_m (−1 when unused).</summary>
    public readonly struct GpuLmfArgs(LowRankFusionShape s, int modality)
    {
        public readonly int B = s.B, M = s.M, R = s.R, H = s.H, Modality = modality;
    }

    private static void CheckGpu(LowRankFusionShape s, ArrayView<float>[] z, ArrayView<float>[] factors, long weights, long bias, long projections)
    {
        if (z.Length != s.M || factors.Length != s.M)
            throw new ArgumentException($"low-rank fusion (gpu, {s}): {z.Length} inputs and {factors.Length} factors for {s.M} modalities");
        for (int m = 0; m < s.M; m++)
            if (z[m].Length < (long)s.B * s.D[m] || factors[m].Length < s.FactorLength(m))
                throw new ArgumentException($"low-rank fusion (gpu, {s}): input {m} ({z[m].Length} elements) or factor {m} ({factors[m].Length}) is too short");
        if (weights < s.R || bias < s.H || projections < (long)s.M * s.B * s.RH)
            throw new ArgumentException($"low-rank fusion (gpu, {s}): weights ({weights}), bias ({bias}) or projections ({projections}) too short");
    }

    // p[b, j] = row[j]: the 1's row of W_m on every row of P_m (the GEMM then adds z·W[:D]).
    private static void RepeatRowKernel(Index1D i, ArrayView<float> row, ArrayView<float> p, int RH) => p[i] = row[i % RH];

    // i = b·H + h.
    private static void CombineKernel(Index1D i, ArrayView<float> proj, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, GpuLmfArgs a)
    {
        int h = i % a.H, b = i / a.H, RH = a.R * a.H, plane = a.B * RH;
        float acc = bias[h];
        for (int r = 0; r < a.R; r++)
        {
            float q = 1f;
            for (int m = 0; m < a.M; m++) q *= proj[m * plane + b * RH + r * a.H + h];
            acc += w[r] * q;
        }
        y[i] = acc;
    }

    // Group r: Σ over the B·H (b, h) of dy[b,h]·Π_m proj_m[b, r·H + h].
    private static void WeightGradientKernel(ArrayView<float> dy, ArrayView<float> proj, ArrayView<float> dw, GpuLmfArgs a)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReduce.Size);
        int r = Grid.IdxX, RH = a.R * a.H, plane = a.B * RH;
        float acc = 0f;
        for (int j = Group.IdxX; j < a.B * a.H; j += GroupReduce.Size)
        {
            int b = j / a.H, h = j - b * a.H;
            float q = dy[j];
            for (int m = 0; m < a.M; m++) q *= proj[m * plane + b * RH + r * a.H + h];
            acc += q;
        }
        float total = GroupReduce.Sum(scratch, acc);
        if (Group.IdxX == 0) dw[r] = total;
    }

    // i = b·RH + r·H + h: dP_m = w[r]·dy[b,h]·Π_{m'≠m} proj_m'.
    private static void ExclusiveProductKernel(Index1D i, ArrayView<float> dy, ArrayView<float> proj, ArrayView<float> w, ArrayView<float> dp, GpuLmfArgs a)
    {
        int RH = a.R * a.H, plane = a.B * RH;
        int b = i / RH, j = i - b * RH, r = j / a.H, h = j - r * a.H;
        float v = w[r] * dy[b * a.H + h];
        for (int m = 0; m < a.M; m++)
            if (m != a.Modality) v *= proj[m * plane + i];
        dp[i] = v;
    }
}
