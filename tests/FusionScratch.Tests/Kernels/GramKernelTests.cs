// Gram compute kernels: the SIMD/GEMM variant against the naive loops, over ragged sizes and
// every kernel function.

using FusionScratch.Kernels.Gram;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class GramKernelTests
{
    public static IEnumerable<object[]> Shapes()
    {
        foreach (var (m, n, d) in new[] { (0, 3, 4), (1, 1, 1), (3, 5, 7), (17, 13, 33), (40, 1, 784), (65, 47, 9), (130, 70, 144) })
            foreach (var kind in new[] { GramKind.Linear, GramKind.Polynomial, GramKind.Rbf })
                yield return [m, n, d, kind];
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gram_Simd_MatchesNaive(int m, int n, int d, GramKind kind)
    {
        var x = Check.Random(m * d, 1, 0f, 1f);
        var y = Check.Random(n * d, 2, 0f, 1f);
        var spec = kind switch
        {
            GramKind.Linear => GramSpec.Linear(),
            GramKind.Polynomial => GramSpec.Polynomial(3, 1f / d, 1f),
            _ => GramSpec.Rbf(2f / d),
        };
        var expected = new float[m * n];
        var actual = new float[m * n];
        GramKernels.Naive(x, y, m, n, d, spec, expected);
        GramKernels.Simd(x, y, m, n, d, spec, actual);
        // RBF through ‖x‖² + ‖y‖² − 2⟨x,y⟩ in float: a few 1e-6 absolute on values ≤ 1.
        Check.Close(expected, actual, abs: 2e-5f, rel: 2e-5f, what: $"{kind} {m}×{n}×{d}");
    }

    [Fact]
    public void Gram_Rbf_OfAPointWithItself_StaysAtMostOne_EvenWithLargeNorms()
    {
        int d = 50;
        var x = Check.Random(3 * d, 5, 100f, 101f);     // ‖x‖² ≈ 5·10⁵: cancellation in the expanded form
        var g = new float[9];
        GramKernels.Simd(x, x, 3, 3, d, GramSpec.Rbf(0.5f), g);
        // The expanded distance can round below 0; the clamp keeps exp(−γ·d²) ≤ 1 and finite.
        for (int i = 0; i < 3; i++) Assert.InRange(g[i * 3 + i], 0.9f, 1f);
    }

    [Fact]
    public void Gram_RejectsWrongShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => GramKernels.Simd(new float[10], new float[12], 3, 3, 4, GramSpec.Linear(), new float[9]));
        Assert.Contains("M×D = 3×4", ex.Message);
    }
}
