// PoolKernels: max, average and global average pooling. Naive against hand-computed cases;
// SIMD against naive (max pool bit for bit, argmax included, even with ties) over ragged shapes
// (window 1/2/3/5, stride 1/2/3, pad up to k/2, widths leaving 16-, 8- and scalar-lane tails);
// the backward kernels against naive and the average pool's against its adjoint identity.

using FusionScratch.Kernels.Pool;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class PoolTests
{
    /// <summary>(N, C, H, W, kernel, stride, pad).</summary>
    public static IEnumerable<object[]> Shapes()
    {
        int i = 0;
        foreach (int k in new[] { 1, 2, 3, 5 })
            foreach (int stride in new[] { 1, 2, 3 })
                for (int pad = 0; pad <= k / 2; pad++)
                {
                    int n = i % 2 == 0 ? 3 : 1, c = i % 3 == 0 ? 5 : 3;
                    yield return new object[] { n, c, 7, 9, k, stride, pad };
                    i++;
                }
        yield return new object[] { 2, 3, 9, 61, 3, 1, 1 };    // Q = 61: 16·3 + 8 + 5
        yield return new object[] { 2, 3, 24, 24, 2, 2, 0 };   // the reference CNN's 2×2 pool
        yield return new object[] { 2, 3, 10, 37, 3, 2, 1 };   // stride-2 rows split with 16-, 8- and 4-pixel shuffles
        yield return new object[] { 1, 2, 6, 70, 2, 2, 0 };
        yield return new object[] { 8, 16, 24, 26, 3, 1, 1 };  // crosses the threading threshold
        yield return new object[] { 16, 16, 33, 35, 3, 2, 1 }; // threaded, overlapping windows
        yield return new object[] { 8, 32, 48, 48, 2, 2, 0 };  // threaded backward too (input ≥ 2·ParallelWork)
    }

    [Theory, MemberData(nameof(Shapes))]
    public void MaxPool2d_Simd_MatchesNaiveExactly(int N, int C, int H, int W, int k, int stride, int pad)
    {
        var s = new PoolShape(N, C, H, W, k, stride, pad);
        foreach (bool ties in new[] { false, true })
        {
            var x = Check.Random(s.InputLength, 21);
            if (ties) for (int i = 0; i < x.Length; i++) x[i] = MathF.Round(x[i] * 2) / 2; // five distinct values
            var y0 = new float[s.OutputLength];
            var a0 = new int[s.OutputLength];
            PoolKernels.MaxPool2dNaive(x, s, y0, a0);
            var y1 = Conv2dTests.NaNs(s.OutputLength);
            var a1 = new int[s.OutputLength];
            PoolKernels.MaxPool2dSimd(x, s, y1, a1);
            Assert.Equal(y0, y1);
            Assert.Equal(a0, a1);

            var dy = Check.Random(s.OutputLength, 22);
            var dx0 = new float[s.InputLength];
            PoolKernels.MaxPool2dBackwardNaive(dy, a0, s, dx0);
            var dx1 = Conv2dTests.NaNs(s.InputLength);
            PoolKernels.MaxPool2dBackwardParallel(dy, a0, s, dx1);
            Assert.Equal(dx0, dx1);
        }
    }

    [Theory, MemberData(nameof(Shapes))]
    public void AvgPool2d_Simd_MatchesNaive(int N, int C, int H, int W, int k, int stride, int pad)
    {
        var s = new PoolShape(N, C, H, W, k, stride, pad);
        var x = Check.Random(s.InputLength, 23);
        var y0 = new float[s.OutputLength];
        PoolKernels.AvgPool2dNaive(x, s, y0);
        var y1 = Conv2dTests.NaNs(s.OutputLength);
        PoolKernels.AvgPool2dSimd(x, s, y1);
        Check.Close(y0, y1, 1e-6f, 1e-5f, $"avg forward {s}");

        var dy = Check.Random(s.OutputLength, 24);
        var dx0 = new float[s.InputLength];
        PoolKernels.AvgPool2dBackwardNaive(dy, s, dx0);
        var dx1 = Conv2dTests.NaNs(s.InputLength);
        PoolKernels.AvgPool2dBackwardSimd(dy, s, dx1);
        Check.Close(dx0, dx1, 1e-6f, 1e-5f, $"avg backward {s}");

        // The backward is the adjoint of the (linear) forward: ⟨avg(x), dy⟩ = ⟨x, dx⟩.
        double a = Conv2dTests.Dot(y0, dy), b = Conv2dTests.Dot(x, dx0);
        Assert.True(Math.Abs(a - b) < 1e-4 * (1 + Math.Abs(a)), $"⟨avg x, dy⟩ = {a}, ⟨x, dx⟩ = {b}");
    }

    [Fact]
    public void MaxPool2d_Naive_MatchesHandComputedCase()
    {
        float[] x =
        [
            1, 5, 2, 0,
            3, 4, 8, 8,
            9, 0, 1, 2,
            6, 7, 3, 4,
        ];
        var s = new PoolShape(1, 1, 4, 4, 2, 2);
        var y = new float[4];
        var a = new int[4];
        PoolKernels.MaxPool2dNaive(x, s, y, a);
        Assert.Equal(new float[] { 5, 8, 9, 4 }, y);
        Assert.Equal(new[] { 1, 6, 8, 15 }, a); // the first 8 (index 6) wins the tie
        var dx = new float[16];
        PoolKernels.MaxPool2dBackwardNaive([1, 2, 3, 4], a, s, dx);
        Assert.Equal(new float[] { 0, 1, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 4 }, dx);

        // 3×3, stride 1, pad 1 over 1…9: the padding never wins, even against negative values.
        float[] neg = [-1, -2, -3, -4, -5, -6, -7, -8, -9];
        var s3 = new PoolShape(1, 1, 3, 3, 3, 1, 1);
        var y3 = new float[9];
        PoolKernels.MaxPool2dNaive(neg, s3, y3, new int[9]);
        Assert.Equal(new float[] { -1, -1, -2, -1, -1, -2, -4, -4, -5 }, y3);
    }

    [Fact]
    public void AvgPool2d_DividesByRealPixelsOnly()
    {
        // count_include_pad = false: the corner window of 1…9 (pad 1) averages 1, 2, 4, 5.
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var s = new PoolShape(1, 1, 3, 3, 3, 1, 1);
        var y = new float[9];
        PoolKernels.AvgPool2dNaive(x, s, y);
        Assert.Equal(3f, y[0], 6);            // (1+2+4+5)/4
        Assert.Equal(3.5f, y[1], 6);          // (1+2+3+4+5+6)/6
        Assert.Equal(5f, y[4], 6);            // all nine
        var ones = Enumerable.Repeat(1f, 9).ToArray();
        PoolKernels.AvgPool2dSimd(ones, s, y);
        Assert.All(y, v => Assert.Equal(1f, v, 6));
    }

    [Fact]
    public void GlobalAvgPool2d_Simd_MatchesNaive()
    {
        foreach (var (n, c, h, w) in new[] { (1, 1, 1, 1), (3, 5, 7, 9), (2, 3, 13, 17), (16, 64, 24, 24) })
        {
            var x = Check.Random(n * c * h * w, 25);
            var y0 = new float[n * c];
            var y1 = Conv2dTests.NaNs(n * c);
            PoolKernels.GlobalAvgPool2dNaive(x, n, c, h, w, y0);
            PoolKernels.GlobalAvgPool2dSimd(x, n, c, h, w, y1);
            Check.Close(y0, y1, 1e-6f, 1e-5f, $"global forward ({n},{c},{h},{w})");
            var dy = Check.Random(n * c, 26);
            var dx0 = new float[x.Length];
            var dx1 = Conv2dTests.NaNs(x.Length);
            PoolKernels.GlobalAvgPool2dBackwardNaive(dy, n, c, h, w, dx0);
            PoolKernels.GlobalAvgPool2dBackwardSimd(dy, n, c, h, w, dx1);
            Check.Close(dx0, dx1, 1e-7f, 1e-6f, "global backward");
        }
        var y = new float[1];
        PoolKernels.GlobalAvgPool2dSimd([1, 2, 3, 6], 1, 1, 2, 2, y);
        Assert.Equal(3f, y[0]);
    }

    [Fact]
    public void PoolShape_RejectsBadArguments()
    {
        Assert.Contains("padding", Assert.Throws<ArgumentException>(() => new PoolShape(1, 1, 5, 5, 2, 2, 2)).Message);
        Assert.Contains("stride", Assert.Throws<ArgumentException>(() => new PoolShape(1, 1, 5, 5, 2, 0)).Message);
        Assert.Contains("does not fit", Assert.Throws<ArgumentException>(() => new PoolShape(1, 1, 2, 5, 3, 1)).Message);
        var s = new PoolShape(2, 3, 4, 4, 2, 2);
        Assert.Contains("(2,3,4,4)", Assert.Throws<ArgumentException>(() =>
            PoolKernels.AvgPool2dSimd(new float[5], s, new float[s.OutputLength])).Message);
    }
}
