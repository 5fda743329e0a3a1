// Pooling layers on NCHW tensors: MaxPool2d, AvgPool2d (count_include_pad = false) and
// GlobalAvgPool2d ((N,C,H,W) → (N,C), the head of most conv backbones). No parameters.

using FusionScratch.Tensors;

namespace FusionScratch.Models.Nn;

/// <summary>Max over Kernel×Kernel windows; Stride defaults to Kernel.</summary>
public sealed class MaxPool2d(int kernel, int? stride = null, int padding = 0) : Module<Tensor, Tensor>
{
    public int Kernel { get; } = Pooling.Check("max_pool2d", kernel, stride, padding);
    public int Stride { get; } = stride ?? kernel;
    public int Padding { get; } = padding;

    public override Tensor Forward(Tensor x) => x.MaxPool2d(Kernel, Stride, Padding);
    public override string ToString() => $"MaxPool2d({Kernel}×{Kernel}, stride {Stride}, padding {Padding})";
}

/// <summary>Mean over Kernel×Kernel windows, dividing by the real (unpadded) pixels; Stride defaults to Kernel.</summary>
public sealed class AvgPool2d(int kernel, int? stride = null, int padding = 0) : Module<Tensor, Tensor>
{
    public int Kernel { get; } = Pooling.Check("avg_pool2d", kernel, stride, padding);
    public int Stride { get; } = stride ?? kernel;
    public int Padding { get; } = padding;

    public override Tensor Forward(Tensor x) => x.AvgPool2d(Kernel, Stride, Padding);
    public override string ToString() => $"AvgPool2d({Kernel}×{Kernel}, stride {Stride}, padding {Padding})";
}

/// <summary>Mean over each whole H×W plane: (N,C,H,W) → (N,C).</summary>
public sealed class GlobalAvgPool2d : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor x) => x.GlobalAvgPool2d();
    public override string ToString() => "GlobalAvgPool2d";
}

internal static class Pooling
{
    /// <summary>Validates window arguments at construction (as PyTorch does); returns the kernel size.</summary>
    public static int Check(string op, int kernel, int? stride, int padding)
    {
        if (kernel < 1 || stride is < 1 || padding < 0 || padding > kernel / 2)
            throw new ArgumentException($"{op}: need kernel ≥ 1, stride ≥ 1 and padding in [0, kernel/2], got kernel {kernel}, stride {stride}, padding {padding}");
        return kernel;
    }
}
