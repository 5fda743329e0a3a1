// Sequential — runs its layers in order, each output feeding the next input.

using FusionScratch.Tensors;

namespace FusionScratch.Models.Nn;

/// <summary>A chain of tensor-to-tensor layers.</summary>
public sealed class Sequential : Module<Tensor, Tensor>
{
    private readonly List<Module<Tensor, Tensor>> _layers = [];

    public Sequential(params Module<Tensor, Tensor>[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    /// <summary>Appends a layer; its parameters are named by position ("0.weight").</summary>
    public Sequential Add(Module<Tensor, Tensor> layer)
    {
        RegisterModule(_layers.Count.ToString(), layer);
        _layers.Add(layer);
        return this;
    }

    public IReadOnlyList<Module<Tensor, Tensor>> Layers => _layers;

    public override Tensor Forward(Tensor input)
    {
        Tensor x = input;
        foreach (var layer in _layers) x = layer.Forward(x);
        return x;
    }

    public override string ToString() => "Sequential(" + string.Join(", ", _layers) + ")";
}
