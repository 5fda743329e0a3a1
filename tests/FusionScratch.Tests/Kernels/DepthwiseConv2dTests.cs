// DepthwiseConv2dKernels: naive against the dense naive convolution with a block-diagonal filter
// (the definition of groups = C), SIMD against naive in all three directions over ragged shapes
// (odd widths that leave 16-, 8- and scalar-lane tails, stride 1/2/3, pad 0/1/2, 1×1 / 3×3 / 5×5),
// with planes large enough to cross the threading threshold.

using FusionScratch.Kernels;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class DepthwiseConv2dTests
{
    /// <summary>(N, C, H, W, R, stride, pad).</summary>
    public static IEnumerable<object[]> RaggedShapes()
    {
        int i = 0;
        foreach (int r in new[] { 1, 3, 5 })
            foreach (int stride in new[] { 1, 2 })
                foreach (int pad in new[] { 0, 1, 2 })
                {
                    int c = i % 2 == 0 ? 3 : 5, n = i % 3 == 0 ? 3 : 1;
                    yield return new object[] { n, c, 7, 9, r, stride, pad };
                    i++;
                }
        yield return new object[] { 2, 3, 13, 37, 3, 1, 1 };   // Q = 37: 16 + 16 + 5 lanes
        yield return new object[] { 2, 4, 11, 50, 3, 2, 1 };   // Q = 25 at stride 2: 16 + 8 + 1
        yield return new object[] { 1, 2, 10, 23, 5, 3, 2 };   // stride 3
        yield return new object[] { 1, 3, 9, 41, 3, 2, 1 };    // stride-2 rows split with 16-, 8- and 4-pixel shuffles
        yield return new object[] { 1, 2, 7, 66, 5, 2, 2 };
        yield return new object[] { 8, 16, 24, 24, 3, 1, 1 };  // crosses the threading threshold
        yield return new object[] { 8, 16, 29, 31, 5, 2, 2 };  // threaded, stride 2
    }

    [Theory, MemberData(nameof(RaggedShapes))]
    public void DepthwiseConv2d_Simd_MatchesNaive(int N, int C, int H, int W, int R, int stride, int pad)
    {
        var s = new Conv2dShape(N, C, H, W, C, R, R, stride, pad);
        var x = Check.Random(s.InputLength, 11);
        var w = Check.Random(C * R * R, 12);
        var b = Check.Random(C, 13);
        var dy = Check.Random(s.OutputLength, 14);
        float tol = 1e-5f * (R * R + 1);

        var y0 = new float[s.OutputLength];
        DepthwiseConv2dKernels.ForwardNaive(x, w, b, s, y0);
        var y1 = Conv2dTests.NaNs(s.OutputLength);
        DepthwiseConv2dKernels.ForwardSimd(x, w, b, s, y1);
        Check.Close(y0, y1, tol, 1e-5f, $"forward {s}");
        DepthwiseConv2dKernels.ForwardSimd(x, w, [], s, y1);
        DepthwiseConv2dKernels.ForwardNaive(x, w, [], s, y0);
        Check.Close(y0, y1, tol, 1e-5f, $"forward without bias {s}");

        var dx0 = new float[s.InputLength];
        DepthwiseConv2dKernels.BackwardInputNaive(dy, w, s, dx0);
        var dx1 = Conv2dTests.NaNs(s.InputLength);
        DepthwiseConv2dKernels.BackwardInputSimd(dy, w, s, dx1);
        Check.Close(dx0, dx1, tol, 1e-5f, $"backward input {s}");

        var dw0 = new float[C * R * R];
        var db0 = new float[C];
        DepthwiseConv2dKernels.BackwardWeightNaive(x, dy, s, dw0, db0);
        var dw1 = Conv2dTests.NaNs(C * R * R);
        var db1 = Conv2dTests.NaNs(C);
        DepthwiseConv2dKernels.BackwardWeightSimd(x, dy, s, dw1, db1);
        float tolW = 1e-5f * (N * s.P * s.Q + 1);
        Check.Close(dw0, dw1, tolW, 1e-5f, $"backward weight {s}");
        Check.Close(db0, db1, tolW, 1e-5f, $"backward bias {s}");
    }

    [Theory]
    [InlineData(2, 3, 7, 9, 3, 1, 1)]
    [InlineData(1, 4, 8, 11, 5, 2, 2)]
    public void DepthwiseConv2d_Naive_MatchesDenseConvWithBlockDiagonalFilter(int N, int C, int H, int W, int R, int stride, int pad)
    {
        var s = new Conv2dShape(N, C, H, W, C, R, R, stride, pad);
        var x = Check.Random(s.InputLength, 15);
        var w = Check.Random(C * R * R, 16);
        var dy = Check.Random(s.OutputLength, 17);
        // dense filter (C, C, R, R): channel c sees only input channel c
        var dense = new float[C * C * R * R];
        for (int c = 0; c < C; c++)
            Array.Copy(w, c * R * R, dense, (c * C + c) * R * R, R * R);

        var y0 = new float[s.OutputLength];
        var y1 = new float[s.OutputLength];
        Conv2dKernels.ForwardNaive(x, dense, [], s, y0);
        DepthwiseConv2dKernels.ForwardNaive(x, w, [], s, y1);
        Check.Close(y0, y1, 1e-5f, 1e-5f, "forward");

        var dx0 = new float[s.InputLength];
        var dx1 = new float[s.InputLength];
        Conv2dKernels.BackwardInputNaive(dy, dense, s, dx0);
        DepthwiseConv2dKernels.BackwardInputNaive(dy, w, s, dx1);
        Check.Close(dx0, dx1, 1e-5f, 1e-5f, "backward input");

        var dwDense = new float[dense.Length];
        var dw = new float[w.Length];
        Conv2dKernels.BackwardWeightNaive(x, dy, s, dwDense, []);
        DepthwiseConv2dKernels.BackwardWeightNaive(x, dy, s, dw, []);
        var diag = new float[w.Length];
        for (int c = 0; c < C; c++)
            Array.Copy(dwDense, (c * C + c) * R * R, diag, c * R * R, R * R);
        Check.Close(diag, dw, 1e-5f, 1e-5f, "backward weight");
    }

    [Fact]
    public void DepthwiseConv2d_RejectsMismatchedChannelsAndWeights()
    {
        var s = new Conv2dShape(1, 3, 5, 5, 4, 3, 3);
        Assert.Contains("groups", Assert.Throws<ArgumentException>(() =>
            DepthwiseConv2dKernels.ForwardSimd(new float[75], new float[27], [], s, new float[s.OutputLength])).Message);
        var ok = new Conv2dShape(1, 3, 5, 5, 3, 3, 3);
        Assert.Contains("(3,1,3,3)", Assert.Throws<ArgumentException>(() =>
            DepthwiseConv2dKernels.ForwardSimd(new float[75], new float[26], [], ok, new float[ok.OutputLength])).Message);
    }
}
