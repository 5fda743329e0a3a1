// Activation modules: thin wrappers so activations can sit in a Sequential.

using FusionScratch.Tensors;

namespace FusionScratch.Models.Nn;

public sealed class ReLU : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor x) => x.Relu();
    public override string ToString() => "ReLU";
}

public sealed class SiLU : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor x) => x.Silu();
    public override string ToString() => "SiLU";
}

public sealed class Sigmoid : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor x) => x.Sigmoid();
    public override string ToString() => "Sigmoid";
}

public sealed class Tanh : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor x) => x.Tanh();
    public override string ToString() => "Tanh";
}

/// <summary>Flattens every dimension after the batch dimension.</summary>
public sealed class Flatten : Module<Tensor, Tensor>
{
    public override Tensor Forward(Tensor x) => x.Flatten(1);
    public override string ToString() => "Flatten";
}
