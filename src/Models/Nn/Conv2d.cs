// Conv2d and DepthwiseConv2d — convolution layers on NCHW tensors, PyTorch's nn.Conv2d (and
// nn.Conv2d with groups = in_channels) with .NET casing.
//
// Weights are (OutChannels, InChannels, k, k) — (Channels, 1, k, k) for depthwise — and the
// initialisation follows PyTorch's default: Kaiming-uniform with a = √5, which for a fan-in of
// C·k·k is uniform in ±1/√fan_in, and the bias uniform in the same ±1/√fan_in. The Rng is explicit,
// so a model's initial weights are fixed by the seed.

using FusionScratch.Tensors;

namespace FusionScratch.Models.Nn;

/// <summary>2-D convolution layer: (N, InChannels, H, W) → (N, OutChannels, P, Q).</summary>
public sealed class Conv2d : Module<Tensor, Tensor>
{
    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Conv2d(int inChannels, int outChannels, int kernelSize, Rng rng, int stride = 1, int padding = 0, bool bias = true)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0 || padding < 0)
            throw new ArgumentException($"conv2d: channels, kernel size and stride must be positive and padding ≥ 0, got in {inChannels}, out {outChannels}, kernel {kernelSize}, stride {stride}, padding {padding}");
        (InChannels, OutChannels, KernelSize, Stride, Padding) = (inChannels, outChannels, kernelSize, stride, padding);
        float bound = 1f / MathF.Sqrt(inChannels * kernelSize * kernelSize); // Kaiming-uniform, a = √5
        Weight = RegisterParameter("weight", Tensor.Rand(new Shape(outChannels, inChannels, kernelSize, kernelSize), rng, -bound, bound));
        if (bias) Bias = RegisterParameter("bias", Tensor.Rand(new Shape(outChannels), rng, -bound, bound));
    }

    /// <summary>x is (N, InChannels, H, W).</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != InChannels)
            throw new ArgumentException($"{this}: input of shape {x.Shape}, expected (N, {InChannels}, H, W)");
        return Tensor.Conv2d(x, Weight, Bias, Stride, Padding);
    }

    public override string ToString() =>
        $"Conv2d({InChannels}→{OutChannels}, {KernelSize}×{KernelSize}, stride {Stride}, padding {Padding}{(Bias is null ? ", no bias" : "")})";
}

/// <summary>Depthwise convolution layer (groups = Channels): (N, Channels, H, W) → (N, Channels, P, Q).</summary>
public sealed class DepthwiseConv2d : Module<Tensor, Tensor>
{
    public int Channels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public DepthwiseConv2d(int channels, int kernelSize, Rng rng, int stride = 1, int padding = 0, bool bias = true)
    {
        if (channels <= 0 || kernelSize <= 0 || stride <= 0 || padding < 0)
            throw new ArgumentException($"depthwise_conv2d: channels, kernel size and stride must be positive and padding ≥ 0, got channels {channels}, kernel {kernelSize}, stride {stride}, padding {padding}");
        (Channels, KernelSize, Stride, Padding) = (channels, kernelSize, stride, padding);
        float bound = 1f / MathF.Sqrt(kernelSize * kernelSize); // fan-in of one group: 1·k·k
        Weight = RegisterParameter("weight", Tensor.Rand(new Shape(channels, 1, kernelSize, kernelSize), rng, -bound, bound));
        if (bias) Bias = RegisterParameter("bias", Tensor.Rand(new Shape(channels), rng, -bound, bound));
    }

    /// <summary>x is (N, Channels, H, W).</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != Channels)
            throw new ArgumentException($"{this}: input of shape {x.Shape}, expected (N, {Channels}, H, W)");
        return Tensor.DepthwiseConv2d(x, Weight, Bias, Stride, Padding);
    }

    public override string ToString() =>
        $"DepthwiseConv2d({Channels}, {KernelSize}×{KernelSize}, stride {Stride}, padding {Padding}{(Bias is null ? ", no bias" : "")})";
}
