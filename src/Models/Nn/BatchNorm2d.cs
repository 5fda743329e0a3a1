// BatchNorm2d — per-channel batch normalisation of NCHW tensors, PyTorch's nn.BatchNorm2d.
//
// Weight (gamma, initialised to 1) and Bias (beta, 0) are parameters; RunningMean (0) and
// RunningVar (1) are buffers: tensors that do not require grad, updated in place by each
// training-mode forward with Momentum (running ← (1 − momentum)·running + momentum·batch, the
// variance unbiased). Training mode normalises with the batch statistics, eval mode (Eval())
// with the running ones.

using FusionScratch.Tensors;

namespace FusionScratch.Models.Nn;

/// <summary>Batch normalisation over (N, H, W) for each of NumFeatures channels.</summary>
public sealed class BatchNorm2d : Module<Tensor, Tensor>
{
    public int NumFeatures { get; }
    public float Momentum { get; }
    public float Eps { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }

    public BatchNorm2d(int numFeatures, float momentum = 0.1f, float eps = 1e-5f)
    {
        if (numFeatures <= 0) throw new ArgumentException($"batch_norm2d: numFeatures must be positive, got {numFeatures}");
        if (!(momentum >= 0f && momentum <= 1f) || !(eps >= 0f))
            throw new ArgumentException($"batch_norm2d: momentum must be in [0, 1] and eps ≥ 0, got momentum {momentum}, eps {eps}");
        (NumFeatures, Momentum, Eps) = (numFeatures, momentum, eps);
        Weight = RegisterParameter("weight", Tensor.Ones(numFeatures));
        Bias = RegisterParameter("bias", Tensor.Zeros(numFeatures));
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(numFeatures));
        RunningVar = RegisterBuffer("running_var", Tensor.Ones(numFeatures));
    }

    /// <summary>x is (N, NumFeatures, H, W); the output has the same shape.</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != NumFeatures)
            throw new ArgumentException($"{this}: input of shape {x.Shape}, expected (N, {NumFeatures}, H, W)");
        return Tensor.BatchNorm2d(x, Weight, Bias, RunningMean, RunningVar, Training, Momentum, Eps);
    }

    public override string ToString() => $"BatchNorm2d({NumFeatures}, momentum {Momentum}, eps {Eps})";
}
