// MatMulKernels: Naive against a double-precision loop; every faster variant against Naive for
// all four transA/transB cases, several alpha/beta pairs (beta = 0 over a NaN-filled C), and
// shapes that are not multiples of the vector width; the BLAS conventions and shape checks.

using FusionScratch.Kernels;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class MatMulTests
{
    private static readonly (int M, int N, int K)[] RaggedShapes = { (1, 1, 1), (7, 13, 5), (33, 65, 17), (127, 3, 129), (16, 32, 64) };
    private static readonly (float Alpha, float Beta)[] Scalars = { (1f, 0f), (0.5f, -1.5f), (-2f, 1f) };

    /// <summary>Every ragged shape × transA × transB × (alpha, beta).</summary>
    public static IEnumerable<object[]> Cases()
    {
        foreach (var (m, n, k) in RaggedShapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    foreach (var (alpha, beta) in Scalars)
                        yield return new object[] { m, n, k, ta, tb, alpha, beta };
    }

    /// <summary>The larger shape, once per transpose case (it also crosses the threading threshold).</summary>
    public static IEnumerable<object[]> LargeCases()
    {
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                yield return new object[] { 256, 300, 200, ta, tb };
    }

    /// <summary>The variants checked against Naive; the next ones (packed, GPU) join this list.</summary>
    private static readonly (string Name, GemmKernel Kernel)[] Variants = { ("Simd", MatMulKernels.Simd) };

    [Theory, MemberData(nameof(Cases))]
    public void MatMul_Simd_MatchesNaive(int M, int N, int K, bool transA, bool transB, float alpha, float beta)
    {
        var a = Check.Random(M * K, 1);
        var b = Check.Random(K * N, 2);
        var c0 = Check.Random(M * N, 3);
        var expected = (float[])c0.Clone();
        MatMulKernels.Naive(a, transA, b, transB, M, N, K, alpha, beta, expected);
        foreach (var (name, kernel) in Variants)
        {
            var actual = (float[])c0.Clone();
            kernel(a, transA, b, transB, M, N, K, alpha, beta, actual);
            Check.Close(expected, actual, abs: 1e-5f * (K + 1), rel: 1e-5f,
                what: $"{name} {M}×{N}×{K} transA={transA} transB={transB} alpha={alpha} beta={beta}");
        }
    }

    [Theory, MemberData(nameof(LargeCases))]
    public void MatMul_Simd_MatchesNaive_OnLargerShapeWithNaNFilledC(int M, int N, int K, bool transA, bool transB)
    {
        var a = Check.Random(M * K, 4);
        var b = Check.Random(K * N, 5);
        var expected = new float[M * N];
        Array.Fill(expected, float.NaN);
        MatMulKernels.Naive(a, transA, b, transB, M, N, K, 1f, 0f, expected);
        Assert.All(expected, v => Assert.False(float.IsNaN(v)));
        foreach (var (name, kernel) in Variants)
        {
            var actual = new float[M * N];
            Array.Fill(actual, float.NaN);
            kernel(a, transA, b, transB, M, N, K, 1f, 0f, actual);
            Check.Close(expected, actual, abs: 1e-5f * K, rel: 1e-5f, what: $"{name} {M}×{N}×{K} transA={transA} transB={transB}");
        }
    }

    [Theory]
    [InlineData(7, 13, 5)]
    [InlineData(33, 65, 17)]
    public void MatMul_Naive_MatchesDoublePrecisionLoop(int M, int N, int K)
    {
        var a = Check.Random(M * K, 6);
        var b = Check.Random(K * N, 7);
        var c0 = Check.Random(M * N, 8);
        const float alpha = 0.75f, beta = -0.5f;
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
            {
                var expected = new float[M * N];
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++)
                    {
                        double acc = 0;
                        for (int k = 0; k < K; k++)
                        {
                            double aik = transA ? a[k * M + i] : a[i * K + k];
                            double bkj = transB ? b[j * K + k] : b[k * N + j];
                            acc += aik * bkj;
                        }
                        expected[i * N + j] = (float)(alpha * acc + beta * (double)c0[i * N + j]);
                    }
                var actual = (float[])c0.Clone();
                MatMulKernels.Naive(a, transA, b, transB, M, N, K, alpha, beta, actual);
                Check.Close(expected, actual, abs: 1e-6f * K, rel: 1e-5f, what: $"naive vs double, transA={transA} transB={transB}");
            }
    }

    [Fact]
    public void MatMul_BetaZero_OverwritesNaNInC()
    {
        foreach (var kernel in new GemmKernel[] { MatMulKernels.Naive, MatMulKernels.Simd, MatMulKernels.Blocked, MatMulKernels.Packed, MatMulKernels.Gemm })
        {
            var c = new[] { float.NaN, float.PositiveInfinity, float.NaN, float.NaN };
            // [1 2; 3 4] · [1 0; 0 1] = [1 2; 3 4]
            kernel(new float[] { 1, 2, 3, 4 }, false, new float[] { 1, 0, 0, 1 }, false, 2, 2, 2, 1f, 0f, c);
            Assert.Equal(new float[] { 1, 2, 3, 4 }, c);
        }
    }

    [Fact]
    public void MatMul_AlphaZeroOrEmptyK_LeavesBetaTimesC_WithoutReadingAOrB()
    {
        foreach (var kernel in new GemmKernel[] { MatMulKernels.Naive, MatMulKernels.Simd, MatMulKernels.Blocked, MatMulKernels.Packed, MatMulKernels.Gemm })
        {
            var a = new[] { float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN };
            var c = new float[] { 1, 2, 3, 4 };
            kernel(a, false, a, false, 2, 2, 3, 0f, 2f, c); // alpha = 0: A and B are not read
            Assert.Equal(new float[] { 2, 4, 6, 8 }, c);
            kernel(Array.Empty<float>(), false, Array.Empty<float>(), true, 2, 2, 0, 1f, 0.5f, c); // K = 0
            Assert.Equal(new float[] { 1, 2, 3, 4 }, c);
        }
    }

    [Fact]
    public void MatMul_WrongLength_ThrowsNamingTheShapes()
    {
        foreach (var kernel in new GemmKernel[] { MatMulKernels.Naive, MatMulKernels.Simd, MatMulKernels.Blocked, MatMulKernels.Packed, MatMulKernels.Gemm })
        {
            var ex = Assert.Throws<ArgumentException>(() => kernel(new float[12], false, new float[20], false, 3, 4, 5, 1f, 0f, new float[12]));
            Assert.Contains("matmul: a has 12 elements, expected M×K = 3×5 = 15", ex.Message);
            ex = Assert.Throws<ArgumentException>(() => kernel(new float[15], true, new float[21], true, 3, 4, 5, 1f, 0f, new float[12]));
            Assert.Contains("matmul: b has 21 elements, expected N×K = 4×5 = 20 (transB)", ex.Message);
            ex = Assert.Throws<ArgumentException>(() => kernel(new float[15], false, new float[20], false, 3, 4, 5, 1f, 0f, new float[11]));
            Assert.Contains("matmul: c has 11 elements, expected M×N = 3×4 = 12", ex.Message);
        }
    }
}
