using FusionScratch.Kernels.Optim;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class OptimizerKernelTests
{
    public static IEnumerable<object[]> Lengths() => Check.Lengths();

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Sgd_Simd_MatchesNaive(int n)
    {
        foreach (bool nesterov in new[] { false, true })
        {
            var p1 = Check.Random(n, 1); var p2 = (float[])p1.Clone();
            var g = Check.Random(n, 2);
            var v1 = Check.Random(n, 3); var v2 = (float[])v1.Clone();
            OptimizerKernels.SgdNaive(p1, g, v1, 0.05f, 0.9f, 1e-2f, nesterov);
            OptimizerKernels.SgdSimd(p2, g, v2, 0.05f, 0.9f, 1e-2f, nesterov);
            Check.Close(p1, p2, 1e-6f, 1e-5f, $"sgd params (nesterov {nesterov})");
            Check.Close(v1, v2, 1e-6f, 1e-5f, "sgd velocity");
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Adam_Simd_MatchesNaive(int n)
    {
        foreach (var s in new[] { new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0f, 1), new AdamStep(1e-2f, 0.8f, 0.99f, 1e-6f, 1e-3f, 1e-2f, 7) })
        {
            var p1 = Check.Random(n, 4); var p2 = (float[])p1.Clone();
            var g = Check.Random(n, 5);
            var m1 = Check.Random(n, 6); var m2 = (float[])m1.Clone();
            var v1 = Check.Random(n, 7, 0f, 1f); var v2 = (float[])v1.Clone();
            OptimizerKernels.AdamNaive(p1, g, m1, v1, s);
            OptimizerKernels.AdamSimd(p2, g, m2, v2, s);
            Check.Close(p1, p2, 1e-6f, 1e-5f, "adam params");
            Check.Close(m1, m2, 1e-6f, 1e-5f, "adam m");
            Check.Close(v1, v2, 1e-6f, 1e-5f, "adam v");
        }
    }

    [Fact]
    public void Optimizer_LengthMismatch_Throws() =>
        Assert.Throws<ArgumentException>(() => OptimizerKernels.SgdSimd(new float[3], new float[2], new float[3], 0.1f, 0f, 0f, false));
}
