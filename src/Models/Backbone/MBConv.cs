// MBConv — the inverted-residual block of MobileNetV2 / EfficientNet. Dimension letters: N batch,
// C in channels, E = C·expand the expanded width, K out channels, H×W in, P×Q out.
//
//   x (N, C, H, W)
//   ├─ expand    conv 1×1 C → E, batch norm, SiLU        (skipped when expand = 1)
//   ├─ depthwise conv k×k on E channels, stride s, pad k/2, batch norm, SiLU  → (N, E, P, Q)
//   ├─ squeeze-excitation gate on E channels (squeezed to max(1, C·seRatio))
//   ├─ project   conv 1×1 E → K, batch norm (linear: no activation, the "linear bottleneck")
//   └─ + x       when stride = 1 and C = K (the residual)
//
// Convolutions carry no bias: the batch norm after each has its own shift. The expensive parts
// are the two 1×1 convolutions (GEMMs of E×C and K×E per pixel); the depthwise k×k costs only
// k² per channel and pixel, which is the point of the design.

using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Backbone;

/// <summary>Inverted residual block: 1×1 expand, depthwise k×k, squeeze-excitation, 1×1 project, residual.</summary>
public sealed class MBConv : Module<Tensor, Tensor>
{
    private readonly Sequential? _expand;
    private readonly Sequential _depthwise;
    private readonly SqueezeExcite? _se;
    private readonly Sequential _project;

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Stride { get; }
    public bool HasResidual => Stride == 1 && InChannels == OutChannels;

    public MBConv(int inChannels, int outChannels, int expand, int kernel, int stride, float seRatio, Rng rng)
    {
        if (inChannels <= 0 || outChannels <= 0 || expand <= 0 || kernel <= 0 || kernel % 2 == 0 || stride <= 0)
            throw new ArgumentException($"mbconv: need positive channels and expansion, an odd kernel and a positive stride, got in {inChannels}, out {outChannels}, expand {expand}, kernel {kernel}, stride {stride}");
        (InChannels, OutChannels, Stride) = (inChannels, outChannels, stride);
        int e = inChannels * expand;
        if (expand != 1)
            _expand = RegisterModule("expand", new Sequential(new Conv2d(inChannels, e, 1, rng, bias: false), new BatchNorm2d(e), new SiLU()));
        _depthwise = RegisterModule("depthwise", new Sequential(
            new DepthwiseConv2d(e, kernel, rng, stride, kernel / 2, bias: false), new BatchNorm2d(e), new SiLU()));
        if (seRatio > 0) _se = RegisterModule("se", new SqueezeExcite(e, Math.Max(1, (int)(inChannels * seRatio)), rng));
        _project = RegisterModule("project", new Sequential(new Conv2d(e, outChannels, 1, rng, bias: false), new BatchNorm2d(outChannels)));
    }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != InChannels)
            throw new ArgumentException($"{this}: input of shape {x.Shape}, expected (N, {InChannels}, H, W)");
        var h = _expand is null ? x : _expand.Forward(x);
        h = _depthwise.Forward(h);
        if (_se is not null) h = _se.Forward(h);
        h = _project.Forward(h);
        return HasResidual ? h + x : h;
    }

    public override string ToString() => $"MBConv({InChannels}→{OutChannels}, stride {Stride}{(HasResidual ? ", residual" : "")})";
}
