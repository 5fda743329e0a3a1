// BatchNorm2dKernels: naive against hand-computed statistics and running averages (PyTorch's
// biased / unbiased conventions); SIMD against naive for the training forward, the eval
// forward and the fused backward in both modes, over ragged (N, C, H·W) including a size that
// crosses the threading threshold.

using FusionScratch.Kernels.Norm;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class BatchNormTests
{
    public static IEnumerable<object[]> Shapes() =>
    [
        [1, 1, 2], [3, 5, 63], [2, 3, 7 * 9], [1, 4, 17], [5, 2, 1], [16, 32, 24 * 24],
    ];

    [Theory, MemberData(nameof(Shapes))]
    public void BatchNorm2d_Simd_MatchesNaive(int N, int C, int L)
    {
        var x = Check.Random(N * C * L, 31, -2f, 3f);
        var gamma = Check.Random(C, 32, 0.5f, 1.5f);
        var beta = Check.Random(C, 33);
        const float eps = 1e-5f, momentum = 0.1f;

        var (y0, m0, s0, rm0, rv0) = (new float[x.Length], new float[C], new float[C], Check.Random(C, 34), Check.Random(C, 35, 0.5f, 2f));
        var (y1, m1, s1, rm1, rv1) = (Conv2dTests.NaNs(x.Length), new float[C], new float[C], (float[])rm0.Clone(), (float[])rv0.Clone());
        BatchNorm2dKernels.ForwardTrainingNaive(x, gamma, beta, N, C, L, eps, momentum, y0, m0, s0, rm0, rv0);
        BatchNorm2dKernels.ForwardTrainingSimd(x, gamma, beta, N, C, L, eps, momentum, y1, m1, s1, rm1, rv1);
        Check.Close(m0, m1, 1e-5f, 1e-5f, "mean");
        Check.Close(s0, s1, 1e-5f, 1e-4f, "invStd");
        Check.Close(rm0, rm1, 1e-5f, 1e-5f, "running mean");
        Check.Close(rv0, rv1, 1e-5f, 1e-4f, "running var");
        Check.Close(y0, y1, 1e-4f, 1e-4f, "training y");

        var e0 = new float[x.Length];
        var e1 = Conv2dTests.NaNs(x.Length);
        BatchNorm2dKernels.ForwardEvalNaive(x, gamma, beta, rm0, rv0, N, C, L, eps, e0);
        BatchNorm2dKernels.ForwardEvalSimd(x, gamma, beta, rm0, rv0, N, C, L, eps, e1);
        Check.Close(e0, e1, 1e-5f, 1e-5f, "eval y");

        var dy = Check.Random(x.Length, 36);
        foreach (bool batchStats in new[] { true, false })
        {
            var (dx0, dg0, db0) = (new float[x.Length], new float[C], new float[C]);
            var (dx1, dg1, db1) = (Conv2dTests.NaNs(x.Length), Conv2dTests.NaNs(C), Conv2dTests.NaNs(C));
            BatchNorm2dKernels.BackwardNaive(x, dy, m0, s0, gamma, N, C, L, batchStats, dx0, dg0, db0);
            BatchNorm2dKernels.BackwardSimd(x, dy, m0, s0, gamma, N, C, L, batchStats, dx1, dg1, db1);
            float tolSum = 1e-5f * (N * L + 1);
            Check.Close(db0, db1, tolSum, 1e-5f, "dbeta");
            Check.Close(dg0, dg1, tolSum, 1e-4f, "dgamma");
            Check.Close(dx0, dx1, 1e-4f, 1e-3f, $"dx batchStats={batchStats}");
            BatchNorm2dKernels.BackwardSimd(x, dy, m0, s0, gamma, N, C, L, batchStats, [], dg1, db1); // dx not wanted
            Check.Close(dg0, dg1, tolSum, 1e-4f, "dgamma without dx");
        }
    }

    [Fact]
    public void BatchNorm2d_Training_UsesBiasedVarianceAndUnbiasedRunningVariance()
    {
        // One channel holding 1, 2, 3, 4 over N = 2, H·W = 2: mean 2.5, biased var 1.25, unbiased 5/3.
        float[] x = [1, 2, 3, 4];
        var y = new float[4];
        var mean = new float[1];
        var invStd = new float[1];
        float[] rm = [0f], rv = [1f];
        BatchNorm2dKernels.ForwardTrainingSimd(x, [1f], [0f], 2, 1, 2, 0f, 0.1f, y, mean, invStd, rm, rv);
        Assert.Equal(2.5f, mean[0], 6);
        Assert.Equal(1 / MathF.Sqrt(1.25f), invStd[0], 5);
        Assert.Equal(0.25f, rm[0], 6);                       // 0.9·0 + 0.1·2.5
        Assert.Equal(0.9f + 0.1f * 5f / 3f, rv[0], 5);       // 0.9·1 + 0.1·(5/3)
        float s = 1 / MathF.Sqrt(1.25f);
        Check.Close([-1.5f * s, -0.5f * s, 0.5f * s, 1.5f * s], y, 1e-5f, 1e-5f, "normalised");

        // Without running buffers nothing is updated, and one value per channel is refused.
        BatchNorm2dKernels.ForwardTrainingNaive(x, [2f], [1f], 2, 1, 2, 0f, 0.1f, y, mean, invStd, [], []);
        Check.Close([1 - 3f * s, 1 - s, 1 + s, 1 + 3f * s], y, 1e-5f, 1e-5f, "affine");
        Assert.Contains("more than one value", Assert.Throws<ArgumentException>(() =>
            BatchNorm2dKernels.ForwardTrainingSimd([1f], [1f], [0f], 1, 1, 1, 1e-5f, 0.1f, new float[1], mean, invStd, [], [])).Message);
    }

    [Fact]
    public void BatchNorm2d_RejectsMismatchedLengths()
    {
        Assert.Contains("gamma", Assert.Throws<ArgumentException>(() =>
            BatchNorm2dKernels.ForwardEvalSimd(new float[12], new float[2], new float[3], new float[3], new float[3], 2, 3, 2, 1e-5f, new float[12])).Message);
        Assert.Contains("(2,3,2)", Assert.Throws<ArgumentException>(() =>
            BatchNorm2dKernels.BackwardSimd(new float[11], new float[12], new float[3], new float[3], new float[3], 2, 3, 2, true, new float[12], new float[3], new float[3])).Message);
    }
}
