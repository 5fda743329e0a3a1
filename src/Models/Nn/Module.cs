// Module — the base of every layer and model (PyTorch's nn.Module with .NET casing).
// A module registers its parameters and child modules by name; Parameters(), NamedParameters(),
// ZeroGrad() and Train()/Eval() walk that tree. Module<TIn, TOut> adds a typed Forward.

using FusionScratch.Tensors;

namespace FusionScratch.Models.Nn;

/// <summary>A node in the tree of layers: owns named parameters and child modules.</summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor Value)> _parameters = [];
    private readonly List<(string Name, Module Value)> _children = [];
    private readonly List<(string Name, Tensor Value)> _buffers = [];

    /// <summary>True in training mode (dropout active, batch norm uses batch statistics).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a trainable tensor under <paramref name="name"/> and marks it RequiresGrad.</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        value.RequiresGrad = true;
        value.Name = name;
        _parameters.Add((name, value));
        return value;
    }

    /// <summary>
    /// Registers state that is not trained by gradients but belongs to the model (batch norm's
    /// running statistics): saved in checkpoints with the parameters, never given to an optimizer.
    /// </summary>
    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        value.Name = name;
        _buffers.Add((name, value));
        return value;
    }

    /// <summary>Registers a child module under <paramref name="name"/>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        _children.Add((name, module));
        return module;
    }

    /// <summary>Every parameter in this module and its children, with dotted names ("0.weight").</summary>
    public IEnumerable<(string Name, Tensor Value)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in _parameters) yield return (prefix + name, p);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedParameters(prefix + name + "."))
                yield return item;
    }

    /// <summary>Every buffer in this module and its children, with dotted names ("1.running_mean").</summary>
    public IEnumerable<(string Name, Tensor Value)> NamedBuffers(string prefix = "")
    {
        foreach (var (name, b) in _buffers) yield return (prefix + name, b);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedBuffers(prefix + name + "."))
                yield return item;
    }

    /// <summary>Parameters then buffers: everything a checkpoint must hold to restore the model.</summary>
    public IEnumerable<(string Name, Tensor Value)> StateTensors() => NamedParameters().Concat(NamedBuffers());

    /// <summary>Every parameter in this module and its children.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Numel);

    /// <summary>
    /// Zeroes every parameter's gradient in place (PyTorch's zero_grad(set_to_none=False)): the
    /// buffers are kept, so a training loop allocates no gradient memory after its first step.
    /// </summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>Switches this module and its children to training (true) or evaluation mode.</summary>
    public void Train(bool training = true)
    {
        Training = training;
        foreach (var (_, child) in _children) child.Train(training);
    }

    /// <summary>Switches to evaluation mode.</summary>
    public void Eval() => Train(false);

    /// <summary>
    /// Moves every parameter (with its gradient) and buffer of this module and its children to
    /// <paramref name="device"/>, in place (PyTorch's module.to(device)): the layers keep their
    /// Weight/Bias references, and an optimizer built over Parameters() keeps working (its state
    /// follows the parameters on the next step). Returns this module.
    /// </summary>
    public Module To(Device device)
    {
        foreach (var (_, t) in StateTensors()) t.MoveTo(device);
        return this;
    }

    /// <summary>The device of the first parameter or buffer (the CPU for a module with neither).</summary>
    public Device Device => StateTensors().Select(t => t.Value.Device).DefaultIfEmpty(Device.Cpu).First();
}

/// <summary>A module with a typed forward pass.</summary>
public abstract class Module<TIn, TOut> : Module
{
    public abstract TOut Forward(TIn input);
}
