// The convolution-family autodiff ops against central finite differences (GradCheck): conv2d
// (padding, stride, 1×1 straight to GEMM, several images per GEMM, an input that needs no
// gradient), depthwise conv2d, max / average / global average pooling (max pool inputs are
// tie-free: distinct values 0.1 apart, far beyond the finite-difference step) and batch norm in
// training and eval mode (x, gamma, beta).

using FusionScratch.Tensors;
using FusionScratch.Tests.Support;
using static FusionScratch.Tests.Support.GradCheck;

namespace FusionScratch.Tests.Autograd;

public class ConvGradientTests
{
    [Theory]
    [InlineData(2, 3, 5, 6, 4, 3, 1, 1)]   // padded 3×3
    [InlineData(2, 2, 7, 6, 3, 3, 2, 1)]   // stride 2
    [InlineData(1, 2, 6, 5, 2, 5, 1, 2)]   // 5×5, pad 2
    [InlineData(3, 4, 3, 4, 5, 1, 1, 0)]   // 1×1 straight to GEMM
    public void Conv2d_Backward_MatchesFiniteDifference(int N, int C, int H, int W, int K, int R, int stride, int pad)
    {
        var x = Leaf(50, -1, 1, N, C, H, W);
        var w = Leaf(51, -1, 1, K, C, R, R);
        var b = Leaf(52, -1, 1, K);
        Check(t => Tensor.Conv2d(t[0], t[1], t[2], stride, pad), [x, w, b]);
        Check(t => Tensor.Conv2d(t[0], t[1], null, stride, pad), [x, w]);
    }

    [Fact]
    public void Conv2d_InputWithoutGrad_GetsNoGradientAndWeightsStillDo()
    {
        // The first layer of a network: data in, so the input-gradient GEMMs are skipped.
        var x = Tensor.Rand(new Shape(2, 1, 6, 6), new Rng(53), -1, 1);
        var w = Leaf(54, -1, 1, 3, 1, 3, 3);
        var b = Leaf(55, -1, 1, 3);
        Check(t => Tensor.Conv2d(x, t[0], t[1]).Relu(), [w, b]);
        Assert.Null(x.Grad);
        // Only the bias requires grad: its gradient alone is computed.
        var wFixed = Tensor.Rand(new Shape(3, 1, 3, 3), new Rng(56), -1, 1);
        Check(t => Tensor.Conv2d(x, wFixed, t[0]), [b]);
    }

    [Theory]
    [InlineData(2, 3, 5, 6, 3, 1, 1)]
    [InlineData(1, 2, 7, 8, 3, 2, 1)]
    [InlineData(2, 2, 6, 6, 5, 1, 2)]
    public void DepthwiseConv2d_Backward_MatchesFiniteDifference(int N, int C, int H, int W, int R, int stride, int pad)
    {
        var x = Leaf(60, -1, 1, N, C, H, W);
        var w = Leaf(61, -1, 1, C, 1, R, R);
        var b = Leaf(62, -1, 1, C);
        Check(t => Tensor.DepthwiseConv2d(t[0], t[1], t[2], stride, pad), [x, w, b]);
    }

    private static Tensor DistinctValues(ulong seed, params int[] shape)
    {
        int n = shape.Aggregate(1, (a, d) => a * d);
        var vals = Enumerable.Range(0, n).Select(i => i * 0.1f - n * 0.05f).ToArray();
        new Rng(seed).Shuffle(vals.AsSpan());
        return Tensor.FromArray(vals, shape).RequireGrad();
    }

    [Theory]
    [InlineData(2, 2, 0)]      // non-overlapping windows
    [InlineData(3, 2, 1)]      // overlapping, padded
    [InlineData(3, 1, 0)]
    public void MaxPool2d_Backward_MatchesFiniteDifference(int k, int stride, int pad)
    {
        var x = DistinctValues(70, 2, 2, 5, 6);
        Check(t => t[0].MaxPool2d(k, stride, pad), [x], h: 5e-3);
    }

    [Theory]
    [InlineData(2, 2, 0)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 1)]
    public void AvgPool2d_Backward_MatchesFiniteDifference(int k, int stride, int pad) =>
        Check(t => t[0].AvgPool2d(k, stride, pad), [Leaf(71, -1, 1, 2, 3, 5, 6)]);

    [Fact]
    public void GlobalAvgPool2d_Backward_MatchesFiniteDifference() =>
        Check(t => t[0].GlobalAvgPool2d(), [Leaf(72, -1, 1, 2, 3, 4, 5)]);

    [Fact]
    public void BatchNorm2d_Training_Backward_MatchesFiniteDifference()
    {
        var x = Leaf(80, -2, 2, 3, 2, 3, 4);
        var gamma = Leaf(81, 0.5f, 1.5f, 2);
        var beta = Leaf(82, -1, 1, 2);
        var rm = Tensor.Zeros(2);
        var rv = Tensor.Ones(2);
        Check(t => Tensor.BatchNorm2d(t[0], t[1], t[2], rm, rv, training: true), [x, gamma, beta]);
        Check(t => Tensor.BatchNorm2d(t[0], null, null, null, null, training: true), [x]);
    }

    [Fact]
    public void BatchNorm2d_Eval_Backward_MatchesFiniteDifference()
    {
        var x = Leaf(83, -2, 2, 2, 3, 2, 3);
        var gamma = Leaf(84, 0.5f, 1.5f, 3);
        var beta = Leaf(85, -1, 1, 3);
        var rm = Tensor.FromArray([0.1f, -0.2f, 0.3f], 3);
        var rv = Tensor.FromArray([0.5f, 1.5f, 2f], 3);
        Check(t => Tensor.BatchNorm2d(t[0], t[1], t[2], rm, rv, training: false), [x, gamma, beta]);
        Assert.Equal(new[] { 0.1f, -0.2f, 0.3f }, rm.ToArray()); // eval never updates the running statistics
    }

    [Fact]
    public void ConvOps_RejectMismatchedShapesNamingThem()
    {
        var x = Tensor.Zeros(2, 3, 8, 8);
        var message = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, Tensor.Zeros(4, 2, 3, 3))).Message;
        Assert.Contains("(4, 2, 3, 3)", message);
        Assert.Contains("(2, 3, 8, 8)", message);
        Assert.Contains("bias", Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, Tensor.Zeros(4, 3, 3, 3), Tensor.Zeros(3))).Message);
        Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros(3, 8, 8), Tensor.Zeros(4, 3, 3, 3)));
        Assert.Throws<ArgumentException>(() => Tensor.DepthwiseConv2d(x, Tensor.Zeros(3, 2, 3, 3)));
        Assert.Throws<ArgumentException>(() => x.MaxPool2d(3, 1, 2));
        Assert.Throws<ArgumentException>(() => Tensor.BatchNorm2d(x, Tensor.Ones(4), null, null, null, true));
        Assert.Throws<ArgumentException>(() => Tensor.BatchNorm2d(x, null, null, Tensor.Zeros(3), null, true));
    }
}
