// SqueezeExcite — channel attention from "Squeeze-and-Excitation Networks" (Hu et al.), as used
// inside EfficientNet's MBConv blocks. Dimension letters: N batch, C channels, H×W the plane,
// R the squeezed width.
//
//   s = mean over H×W of x                    (N, C)        squeeze: one number per channel
//   s = σ(W₂ · silu(W₁ · s + b₁) + b₂)        (N, R) → (N, C)  excitation: a gate in (0, 1)
//   y = x ⊙ s[:, :, None, None]               (N, C, H, W)  rescale each channel by its gate
//
// Every step is an autodiff op (global average pool, Linear, SiLU, Sigmoid, Reshape, broadcast
// Mul), so the backward pass needs no code here; the gradient reaches x both directly and through
// the gate, which the finite-difference test checks.

using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Backbone;

/// <summary>Squeeze-and-excitation gate over the channels of an (N, C, H, W) tensor.</summary>
public sealed class SqueezeExcite : Module<Tensor, Tensor>
{
    private readonly Linear _reduce;
    private readonly Linear _expand;

    public int Channels { get; }
    public int SqueezeChannels { get; }

    public SqueezeExcite(int channels, int squeezeChannels, Rng rng)
    {
        if (channels <= 0 || squeezeChannels <= 0)
            throw new ArgumentException($"squeeze_excite: channels must be positive, got {channels} and {squeezeChannels}");
        (Channels, SqueezeChannels) = (channels, squeezeChannels);
        _reduce = RegisterModule("reduce", new Linear(channels, squeezeChannels, rng));
        _expand = RegisterModule("expand", new Linear(squeezeChannels, channels, rng));
    }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != Channels)
            throw new ArgumentException($"{this}: input of shape {x.Shape}, expected (N, {Channels}, H, W)");
        var gate = _expand.Forward(_reduce.Forward(x.GlobalAvgPool2d()).Silu()).Sigmoid();
        return x * gate.Reshape(x.Shape[0], Channels, 1, 1);
    }

    public override string ToString() => $"SqueezeExcite({Channels}→{SqueezeChannels}→{Channels})";
}
