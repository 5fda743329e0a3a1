// DepthwiseConv2dKernels: naive against the dense naive convolution with a block-diagonal filter
// (the definition of groups = C), SIMD, flat (stride 1) and the dispatcher against naive in all
// three directions over ragged shapes
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
    public void DepthwiseConv2d_Simd_MatchesNaive(int N, int C, int H, int W, int R, int stride, int pad) =>
        MatchesNaive(new Conv2dShape(N, C, H, W, C, R, R, stride, pad), DepthwiseConv2dKernels.ForwardSimd,
            DepthwiseConv2dKernels.BackwardInputSimd, DepthwiseConv2dKernels.BackwardWeightSimd);

    /// <summary>Stride-1 shapes for the flat variant: the MBConv planes (7×7, 14×14), tiny and non-square planes, pads up to the filter size, non-square filters.</summary>
    public static IEnumerable<object[]> FlatShapes()
    {
        foreach (var (r, s) in new[] { (1, 1), (3, 3), (5, 5), (3, 5), (2, 1) })
            for (int pad = 0; pad <= Math.Min(r, s); pad++)
                foreach (var (h, w) in new[] { (7, 7), (1, 1), (2, 3), (14, 14), (5, 19) })
                    if (h + 2 * pad >= r && w + 2 * pad >= s)
                        yield return new object[] { 2, 3, h, w, r, s, pad };
        yield return new object[] { 8, 16, 14, 14, 3, 3, 1 };  // crosses the threading threshold
        yield return new object[] { 16, 40, 7, 7, 5, 5, 2 };   // threaded, an MBConv stage
    }

    /// <summary>Variant 3 in every direction it handles; the input gradient with pad ≥ R or S must be refused (the caller then takes variant 2).</summary>
    [Theory, MemberData(nameof(FlatShapes))]
    public void DepthwiseConv2d_Flat_MatchesNaive(int N, int C, int H, int W, int R, int S, int pad)
    {
        var s = new Conv2dShape(N, C, H, W, C, R, S, 1, pad);
        bool flatInput = DepthwiseConv2dKernels.FlatInputApplies(s);
        Assert.Equal(pad < R && pad < S, flatInput);
        MatchesNaive(s, DepthwiseConv2dKernels.ForwardFlat,
            flatInput ? DepthwiseConv2dKernels.BackwardInputFlat : DepthwiseConv2dKernels.BackwardInputSimd, DepthwiseConv2dKernels.BackwardWeightFlat);
        if (!flatInput)
            Assert.Throws<ArgumentException>(() =>
                DepthwiseConv2dKernels.BackwardInputFlat(new float[s.OutputLength], new float[C * R * S], s, new float[s.InputLength]));
    }

    [Fact]
    public void DepthwiseConv2d_Flat_RefusesStride2()
    {
        var s = new Conv2dShape(1, 2, 8, 8, 2, 3, 3, 2, 1);
        var ex = Assert.Throws<ArgumentException>(() =>
            DepthwiseConv2dKernels.ForwardFlat(new float[s.InputLength], new float[18], [], s, new float[s.OutputLength]));
        Assert.Contains("stride 1", ex.Message);
        Assert.Throws<ArgumentException>(() =>
            DepthwiseConv2dKernels.BackwardWeightFlat(new float[s.InputLength], new float[s.OutputLength], s, new float[18], []));
    }

    [Theory, MemberData(nameof(RaggedShapes))]
    public void DepthwiseConv2d_Dispatch_MatchesNaive(int N, int C, int H, int W, int R, int stride, int pad) =>
        MatchesNaive(new Conv2dShape(N, C, H, W, C, R, R, stride, pad), DepthwiseConv2dKernels.Forward,
            DepthwiseConv2dKernels.BackwardInput, DepthwiseConv2dKernels.BackwardWeight);

    private delegate void ForwardKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y);
    private delegate void InputKernel(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx);
    private delegate void WeightKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias);

    /// <summary>Forward (with and without bias), input gradient and weight/bias gradients against the naive variant; outputs start as NaN.</summary>
    private static void MatchesNaive(Conv2dShape s, ForwardKernel forward, InputKernel backwardInput, WeightKernel backwardWeight)
    {
        int C = s.C, RS = s.R * s.S;
        var x = Check.Random(s.InputLength, 11);
        var w = Check.Random(C * RS, 12);
        var b = Check.Random(C, 13);
        var dy = Check.Random(s.OutputLength, 14);
        float tol = 1e-5f * (RS + 1);

        var y0 = new float[s.OutputLength];
        DepthwiseConv2dKernels.ForwardNaive(x, w, b, s, y0);
        var y1 = Conv2dTests.NaNs(s.OutputLength);
        forward(x, w, b, s, y1);
        Check.Close(y0, y1, tol, 1e-5f, $"forward {s}");
        forward(x, w, [], s, y1);
        DepthwiseConv2dKernels.ForwardNaive(x, w, [], s, y0);
        Check.Close(y0, y1, tol, 1e-5f, $"forward without bias {s}");

        var dx0 = new float[s.InputLength];
        DepthwiseConv2dKernels.BackwardInputNaive(dy, w, s, dx0);
        var dx1 = Conv2dTests.NaNs(s.InputLength);
        backwardInput(dy, w, s, dx1);
        Check.Close(dx0, dx1, tol, 1e-5f, $"backward input {s}");

        var dw0 = new float[C * RS];
        var db0 = new float[C];
        DepthwiseConv2dKernels.BackwardWeightNaive(x, dy, s, dw0, db0);
        var dw1 = Conv2dTests.NaNs(C * RS);
        var db1 = Conv2dTests.NaNs(C);
        backwardWeight(x, dy, s, dw1, db1);
        float tolW = 1e-5f * (s.N * s.P * s.Q + 1);
        Check.Close(dw0, dw1, tolW, 1e-5f, $"backward weight {s}");
        Check.Close(db0, db1, tolW, 1e-5f, $"backward bias {s}");
        var dw2 = Conv2dTests.NaNs(C * RS);
        backwardWeight(x, dy, s, dw2, []);
        Check.Close(dw0, dw2, tolW, 1e-5f, $"backward weight without bias {s}");
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
