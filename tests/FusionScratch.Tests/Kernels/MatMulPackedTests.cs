// MatMulKernels.Packed (variant 4) against Naive: all four transA/transB cases, several alpha/beta
// pairs (beta = 0 over a NaN-filled C), shapes that are not multiples of MR, NR, KC, MC or NC,
// empty dimensions; each case on both micro-kernels (Vector512 12×32 where the CPU has it, and the
// Vector256 6×16 forced through the internal switch), on 1 and 2 threads (an internal thread
// count, so the global Parallelism.Threads other tests read is never touched), with A packed and
// read in place. Blocked (variant 3) on the same cases. Then the entry point Gemm, and the
// promise of no allocation per call.

using FusionScratch.Kernels;
using FusionScratch.Tests.Support;
using System.Runtime.Intrinsics;

namespace FusionScratch.Tests.Kernels;

public class MatMulPackedTests
{
    // KC = 256, MC = 384, NC = 4096; MR×NR = 12×32 (Vector512) and 6×16 (Vector256).
    private static readonly (int M, int N, int K)[] RaggedShapes =
    {
        (1, 1, 1), (5, 17, 3), (13, 33, 300), (100, 70, 513),
        (25, 64, GemmBlocking.KC + 1),   // K one past a block: a 1-deep rank update
        (40, 300, 20),                   // N > 8 panels: A packed by default; 300 = 9·32 + 12
        (GemmBlocking.MC + 1, 33, 17),   // M one past an A block
        (10, 2000, 300),                 // one row panel: the threads split N, not M
    };

    private static readonly (float Alpha, float Beta)[] Scalars = { (1f, 0f), (0.5f, -1.5f), (-2f, 1f) };

    public static IEnumerable<object[]> Cases()
    {
        foreach (var (m, n, k) in RaggedShapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    foreach (var (alpha, beta) in Scalars)
                        yield return new object[] { m, n, k, ta, tb, alpha, beta };
    }

    /// <summary>Micro-kernel × threads × A packing: every way Packed can run on this machine.</summary>
    private static IEnumerable<(GemmMicroKernel Kernel, int Threads, GemmPacking APacking)> Configurations()
    {
        var kernels = Vector512.IsHardwareAccelerated
            ? new[] { GemmMicroKernel.Vector512, GemmMicroKernel.Vector256 }
            : new[] { GemmMicroKernel.Vector256 };
        foreach (var kernel in kernels)
            foreach (int threads in new[] { 1, 2 })
                foreach (var packing in new[] { GemmPacking.Auto, GemmPacking.Packed, GemmPacking.InPlace })
                    yield return (kernel, threads, packing);
    }

    /// <summary>Runs Naive once and every configuration of Packed on the same inputs; C starts as NaN when beta = 0.</summary>
    private static void CheckAllConfigurations(int M, int N, int K, bool transA, bool transB, float alpha, float beta, int seed)
    {
        var a = Check.Random(M * K, seed);
        var b = Check.Random(K * N, seed + 1);
        var c0 = beta == 0f ? Enumerable.Repeat(float.NaN, M * N).ToArray() : Check.Random(M * N, seed + 2);
        var expected = (float[])c0.Clone();
        MatMulKernels.Naive(a, transA, b, transB, M, N, K, alpha, beta, expected);
        foreach (var (kernel, threads, packing) in Configurations())
        {
            var actual = (float[])c0.Clone();
            MatMulKernels.PackedWith(a, transA, b, transB, M, N, K, alpha, beta, actual, kernel, threads, packing);
            Check.Close(expected, actual, abs: 1e-5f * (K + 1), rel: 1e-5f,
                what: $"Packed[{kernel}, {threads} threads, A {packing}] {M}×{N}×{K} transA={transA} transB={transB} alpha={alpha} beta={beta}");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void MatMul_Packed_MatchesNaive(int M, int N, int K, bool transA, bool transB, float alpha, float beta) =>
        CheckAllConfigurations(M, N, K, transA, transB, alpha, beta, seed: 11);

    [Theory, MemberData(nameof(Cases))]
    public void MatMul_Blocked_MatchesNaive(int M, int N, int K, bool transA, bool transB, float alpha, float beta)
    {
        var a = Check.Random(M * K, 71);
        var b = Check.Random(K * N, 72);
        var c0 = beta == 0f ? Enumerable.Repeat(float.NaN, M * N).ToArray() : Check.Random(M * N, 73);
        var expected = (float[])c0.Clone();
        var actual = (float[])c0.Clone();
        MatMulKernels.Naive(a, transA, b, transB, M, N, K, alpha, beta, expected);
        MatMulKernels.Blocked(a, transA, b, transB, M, N, K, alpha, beta, actual);
        Check.Close(expected, actual, abs: 1e-5f * (K + 1), rel: 1e-5f,
            what: $"Blocked {M}×{N}×{K} transA={transA} transB={transB} alpha={alpha} beta={beta}");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void MatMul_Packed_MatchesNaive_OnScaledDownConvolutionShape(bool transA, bool transB) =>
        // The convolution GEMM is M = 21632 (32 images of 26×26), N = 64, K = 288; one image here.
        CheckAllConfigurations(676, 64, 288, transA, transB, 1f, 0f, seed: 21);

    [Fact]
    public void MatMul_Packed_MatchesNaive_WhenNSpansSeveralNCBlocks() =>
        // N > NC runs loop 5 twice; the second block starts at column NC and is ragged.
        CheckAllConfigurations(13, GemmBlocking.NC + 40, 9, false, false, 0.5f, -1.5f, seed: 31);

    [Theory]
    [InlineData(0, 5, 3)]
    [InlineData(5, 0, 3)]
    [InlineData(5, 3, 0)]
    [InlineData(0, 0, 0)]
    public void MatMul_Packed_EmptyDimensions_FollowBlas(int M, int N, int K)
    {
        // M or N = 0: nothing to do. K = 0: C = beta·C, A and B not read.
        var c = Enumerable.Range(1, M * N).Select(v => (float)v).ToArray();
        var expected = c.Select(v => 0.5f * v).ToArray();
        foreach (var (kernel, threads, packing) in Configurations())
        {
            var actual = (float[])c.Clone();
            MatMulKernels.PackedWith(new float[M * K], false, new float[K * N], true, M, N, K, 1f, 0.5f, actual, kernel, threads, packing);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void MatMul_Packed_AlphaZero_LeavesBetaTimesC_WithoutReadingAOrB()
    {
        var a = Enumerable.Repeat(float.NaN, 6).ToArray();
        var c = new float[] { 1, 2, 3, 4 };
        MatMulKernels.Packed(a, false, a, false, 2, 2, 3, 0f, 2f, c);
        Assert.Equal(new float[] { 2, 4, 6, 8 }, c);
        MatMulKernels.Packed(a, false, a, false, 2, 2, 3, 0f, 0f, c);
        Assert.Equal(new float[] { 0, 0, 0, 0 }, c);
    }

    [Fact]
    public void MatMul_Packed_WrongLength_ThrowsNamingTheShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => MatMulKernels.Packed(new float[12], false, new float[20], false, 3, 4, 5, 1f, 0f, new float[12]));
        Assert.Contains("matmul: a has 12 elements, expected M×K = 3×5 = 15", ex.Message);
    }

    [Theory]
    [InlineData(3, 4, 5)]     // below the crossover: Simd
    [InlineData(30, 40, 50)]  // above: Packed
    public void MatMul_Gemm_MatchesNaive_OnBothSidesOfTheCrossover(int M, int N, int K)
    {
        var a = Check.Random(M * K, 41);
        var b = Check.Random(K * N, 42);
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
            {
                var expected = Check.Random(M * N, 43);
                var actual = (float[])expected.Clone();
                MatMulKernels.Naive(a, transA, b, transB, M, N, K, 0.75f, 0.25f, expected);
                MatMulKernels.Gemm(a, transA, b, transB, M, N, K, 0.75f, 0.25f, actual);
                Check.Close(expected, actual, abs: 1e-5f * (K + 1), rel: 1e-5f, what: $"Gemm {M}×{N}×{K} transA={transA} transB={transB}");
            }
    }

    [Fact]
    public void MatMul_Packed_AllocatesNothingPerCall_OnOneThread()
    {
        // A shape that takes every path on one thread: two K blocks, A in place and packed, ragged edges.
        const int M = 100, N = 70, K = 300;
        var a = Check.Random(M * K, 51);
        var b = Check.Random(K * N, 52);
        var c = new float[M * N];
        foreach (var packing in new[] { GemmPacking.InPlace, GemmPacking.Packed })
            foreach (bool transB in new[] { false, true })
            {
                MatMulKernels.PackedWith(a, false, b, transB, M, N, K, 1f, 0f, c, MatMulKernels.DefaultMicroKernel, 1, packing); // warm-up
                long before = GC.GetAllocatedBytesForCurrentThread();
                MatMulKernels.PackedWith(a, false, b, transB, M, N, K, 1f, 0f, c, MatMulKernels.DefaultMicroKernel, 1, packing);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated == 0, $"Packed (A {packing}, transB={transB}) allocated {allocated} bytes on a warm call");
            }
    }
}

/// <summary>Tests that measure the whole process (allocations on every thread): they run alone, after the parallel ones.</summary>
[Collection(nameof(SerialTests))]
public class MatMulPackedAllocationTests
{
    [Fact]
    public void MatMul_Packed_AllocatesNothingPerCall_OnTwoThreads()
    {
        // Big enough that Parallelism.For splits both the packing of B and the product.
        const int M = 300, N = 200, K = 300;
        var a = Check.Random(M * K, 61);
        var b = Check.Random(K * N, 62);
        var c = new float[M * N];
        for (int warm = 0; warm < 3; warm++) // the first calls create the workers and their workspaces
            MatMulKernels.PackedWith(a, false, b, false, M, N, K, 1f, 0f, c, MatMulKernels.DefaultMicroKernel, 2);
        // GetTotalAllocatedBytes counts every thread, the test runner's included, and the runner
        // allocates now and then on its own threads. So measure several windows of 5 calls: if a
        // call allocated, every window would show it; one clean window proves the calls do not.
        long allocated = long.MaxValue;
        for (int window = 0; window < 20 && allocated != 0; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < 5; i++)
                MatMulKernels.PackedWith(a, false, b, false, M, N, K, 1f, 0f, c, MatMulKernels.DefaultMicroKernel, 2);
            allocated = Math.Min(allocated, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        Assert.True(allocated == 0, $"every window of 5 warm two-thread calls allocated (at least {allocated} bytes, process-wide)");
    }
}
