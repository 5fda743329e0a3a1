// Optimizers: SGD (momentum, Nesterov, weight decay), Adam and AdamW. Each step is one fused SIMD
// pass per parameter (Tensors.OptimOps → Kernels.OptimizerKernels). State buffers are allocated
// once, on the first step, so a steady-state step allocates nothing.
//
// Parameters on a GPU are updated there: each state buffer (a host float[], what checkpoints read
// and write) gets a device tensor on the parameter's device, uploaded on the first GPU step and
// worked on from then on. Reading StateBuffers downloads the device copies into the arrays and
// marks them stale, so whatever a caller writes into the arrays (Checkpoint.Restore) is uploaded
// before the next step. A model moved with Module.To(device) keeps its optimizer.

using FusionScratch.Kernels.Optim;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Optim;

/// <summary>Updates a fixed list of parameters from their gradients.</summary>
public abstract class Optimizer
{
    protected readonly Tensor[] Params;

    protected Optimizer(IEnumerable<Tensor> parameters)
    {
        Params = [.. parameters];
        if (Params.Length == 0) throw new ArgumentException("optimizer: no parameters to optimize");
    }

    /// <summary>Learning rate (schedulers change it between steps).</summary>
    public float LearningRate { get; set; }

    /// <summary>Applies one update; parameters without a gradient are skipped.</summary>
    public abstract void Step();

    /// <summary>
    /// The optimizer's state for checkpoints: its per-parameter buffers (momentum, Adam moments)
    /// in a fixed order, and its step counter. Restoring both makes the next Step() identical to
    /// the one an uninterrupted run would have taken. For parameters on a GPU the arrays are
    /// refreshed from the device here, and re-uploaded at the next step.
    /// </summary>
    public IReadOnlyList<float[]> StateBuffers
    {
        get
        {
            foreach (var (host, device) in _device)
                if (_stale.Add(host)) device.To(Device.Cpu).Span.CopyTo(host);
            return HostStateBuffers;
        }
    }

    /// <summary>The host arrays behind <see cref="StateBuffers"/>, in their fixed order.</summary>
    protected abstract IReadOnlyList<float[]> HostStateBuffers { get; }

    // Device copies of state buffers (keyed by the host array) and those whose host array is newer.
    private readonly Dictionary<float[], Tensor> _device = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<float[]> _stale = new(ReferenceEqualityComparer.Instance);

    /// <summary>The device tensor for state buffer <paramref name="host"/> of a GPU parameter (uploaded when new or stale).</summary>
    protected Tensor DeviceState(float[] host, Tensor param)
    {
        if (!_device.TryGetValue(host, out var t) || t.Device != param.Device)
        {
            _device[host] = t = Tensor.FromArray(host, param.Shape.ToArray()).To(param.Device);
            _stale.Remove(host);
        }
        else if (_stale.Remove(host)) t.CopyFrom(host);
        return t;
    }

    /// <summary>Steps taken so far (Adam's bias correction depends on it).</summary>
    public int StepCount { get; protected set; }

    internal void RestoreStepCount(int steps) => StepCount = steps;

    /// <summary>Zeroes every parameter's gradient in place (buffers kept; see Module.ZeroGrad).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Params) p.ZeroGrad();
    }
}

/// <summary>Stochastic gradient descent with momentum and L2 weight decay (PyTorch semantics).</summary>
public sealed class Sgd : Optimizer
{
    public float Momentum { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }
    private readonly float[][] _velocity;

    public Sgd(IEnumerable<Tensor> parameters, float lr, float momentum = 0f, float weightDecay = 0f, bool nesterov = false) : base(parameters)
    {
        if (lr <= 0 || momentum < 0 || weightDecay < 0)
            throw new ArgumentException($"sgd: lr must be > 0 and momentum, weight decay ≥ 0 (got {lr}, {momentum}, {weightDecay})");
        if (nesterov && momentum == 0) throw new ArgumentException("sgd: Nesterov momentum needs momentum > 0");
        LearningRate = lr;
        Momentum = momentum;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        _velocity = Params.Select(p => new float[p.Numel]).ToArray();
    }

    protected override IReadOnlyList<float[]> HostStateBuffers => _velocity;

    public override void Step()
    {
        StepCount++;
        for (int i = 0; i < Params.Length; i++)
            if (Params[i].Grad is { } g)
            {
                if (Params[i].IsOnGpu)
                    OptimOps.SgdStep(Params[i], g, DeviceState(_velocity[i], Params[i]), LearningRate, Momentum, WeightDecay, Nesterov);
                else
                    OptimOps.SgdStep(Params[i], g, _velocity[i], LearningRate, Momentum, WeightDecay, Nesterov);
            }
    }
}

/// <summary>Adam (Kingma &amp; Ba) with optional L2 penalty; AdamW uses decoupled decay instead.</summary>
public class Adam : Optimizer
{
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Eps { get; }
    protected float L2 { get; init; }
    protected float DecoupledDecay { get; init; }
    private readonly float[][] _m, _v;

    public Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f)
        : base(parameters)
    {
        if (lr <= 0 || beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1 || eps <= 0 || weightDecay < 0)
            throw new ArgumentException($"adam: invalid hyper-parameters lr={lr}, betas=({beta1}, {beta2}), eps={eps}, weight decay={weightDecay}");
        LearningRate = lr;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        L2 = weightDecay;
        _m = Params.Select(p => new float[p.Numel]).ToArray();
        _v = Params.Select(p => new float[p.Numel]).ToArray();
    }

    protected override IReadOnlyList<float[]> HostStateBuffers => [.. _m, .. _v];

    public override void Step()
    {
        StepCount++;
        var step = new AdamStep(LearningRate, Beta1, Beta2, Eps, L2, DecoupledDecay, StepCount);
        for (int i = 0; i < Params.Length; i++)
            if (Params[i].Grad is { } g)
            {
                if (Params[i].IsOnGpu)
                    OptimOps.AdamStep(Params[i], g, DeviceState(_m[i], Params[i]), DeviceState(_v[i], Params[i]), step);
                else
                    OptimOps.AdamStep(Params[i], g, _m[i], _v[i], step);
            }
    }
}

/// <summary>Adam with decoupled weight decay (Loshchilov &amp; Hutter): p −= lr·λ·p beside the Adam step.</summary>
public sealed class AdamW : Adam
{
    public AdamW(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 1e-2f)
        : base(parameters, lr, beta1, beta2, eps, 0f)
    {
        if (weightDecay < 0) throw new ArgumentException($"adamw: weight decay must be ≥ 0, got {weightDecay}");
        DecoupledDecay = weightDecay;
    }
}
