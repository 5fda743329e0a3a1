// GPU GEMM variants (5 GpuNaive, 6 GpuTiled, 7 GpuRegisterBlocked) against MatMulKernels.Naive on
// the CPU: ragged shapes that are not multiples of the 16×16 tile, the 64×64 block or the K step
// of 16, all four transpose cases, alpha/beta pairs including beta = 0 over a NaN-filled C. Sizes
// stay about 64: the CPU simulator is slow. The register-blocked kernel also gets shapes past one
// 64×64 block (several groups, a ragged second block) in M and in N.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Gpu;
using FusionScratch.Tests.Support;
using ILGPU.Runtime;

namespace FusionScratch.Tests.Gpu;

[Collection(nameof(GpuTests))]
public class MatMulGpuTests
{
    // The simulator runs a tiled launch in about 0.1–0.3 s (every barrier is a real thread
    // rendezvous), so each shape × transpose case gets one (alpha, beta) pair, cycling through them.
    private static readonly (int M, int N, int K)[] Shapes = { (1, 1, 1), (7, 13, 5), (17, 33, 19), (40, 9, 64) };
    private static readonly (float Alpha, float Beta)[] Scalars = { (1f, 0f), (0.5f, -1.5f), (0f, 2f) };

    private delegate void HostGemm(Accelerator acc, ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, Span<float> c);

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void MatMul_GpuNaive_MatchesNaive(GpuKind device) => CheckAll(device, MatMulKernels.GpuNaive);

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void MatMul_GpuTiled_MatchesNaive(GpuKind device) => CheckAll(device, MatMulKernels.GpuTiled);

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void MatMul_GpuRegisterBlocked_MatchesNaive(GpuKind device) =>
        CheckAll(device, MatMulKernels.GpuRegisterBlocked, [.. Shapes, (65, 3, 17), (2, 70, 33)]);

    private static void CheckAll(GpuKind device, HostGemm gemm) => CheckAll(device, gemm, Shapes);

    private static void CheckAll(GpuKind device, HostGemm gemm, (int M, int N, int K)[] shapes)
    {
        var acc = Accelerators.Get(device);
        int seed = 0;
        foreach (var (M, N, K) in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    {
                        seed++;
                        var (alpha, beta) = Scalars[seed % Scalars.Length];
                        var a = Check.Random(M * K, seed);
                        var b = Check.Random(K * N, seed + 1000);
                        var c0 = beta == 0f ? Enumerable.Repeat(float.NaN, M * N).ToArray() : Check.Random(M * N, seed + 2000);
                        var expected = (float[])c0.Clone();
                        var actual = (float[])c0.Clone();
                        MatMulKernels.Naive(a, ta, b, tb, M, N, K, alpha, beta, expected);
                        gemm(acc, a, ta, b, tb, M, N, K, alpha, beta, actual);
                        Check.Close(expected, actual, abs: 1e-5f, rel: 1e-4f,
                            what: $"{device} {M}x{N}x{K} transA={ta} transB={tb} alpha={alpha} beta={beta}");
                    }
    }
}
