// In-place optimizer updates on parameter tensors. Models never call kernels directly, so the
// optimizers in FusionScratch.Models.Optim come through here; each call is one fused pass over the
// parameter, its gradient and its state buffers (OptimizerKernels): the SIMD kernel for a
// parameter on the CPU, the GPU kernel for one on a GPU (state as device tensors, so a training
// step on the GPU moves nothing over the bus).

using FusionScratch.Kernels.Optim;

namespace FusionScratch.Tensors;

/// <summary>In-place parameter updates used by the optimizers (no autodiff).</summary>
public static class OptimOps
{
    /// <summary>SGD step: see OptimizerKernels.SgdSimd.</summary>
    public static void SgdStep(Tensor param, Tensor grad, float[] velocity, float lr, float momentum, float weightDecay, bool nesterov)
    {
        Check(param, grad);
        OptimizerKernels.SgdSimd(param.Span, grad.ReadContiguous(), velocity, lr, momentum, weightDecay, nesterov);
    }

    /// <summary>Adam/AdamW step: see OptimizerKernels.AdamSimd.</summary>
    public static void AdamStep(Tensor param, Tensor grad, float[] m, float[] v, AdamStep step)
    {
        Check(param, grad);
        OptimizerKernels.AdamSimd(param.Span, grad.ReadContiguous(), m, v, step);
    }

    /// <summary>SGD step on a GPU parameter with its velocity as a tensor on the same device (OptimizerKernels.SgdGpu).</summary>
    public static void SgdStep(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay, bool nesterov)
    {
        CheckGpu(param, grad, velocity);
        OptimizerKernels.SgdGpu(param.GpuAccelerator, param.GpuView(), grad.GpuPacked().GpuView(), velocity.GpuView(), lr, momentum, weightDecay, nesterov);
    }

    /// <summary>Adam/AdamW step on a GPU parameter with its moments as tensors on the same device (OptimizerKernels.AdamGpu).</summary>
    public static void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamStep step)
    {
        CheckGpu(param, grad, m);
        CheckGpu(param, grad, v);
        OptimizerKernels.AdamGpu(param.GpuAccelerator, param.GpuView(), grad.GpuPacked().GpuView(), m.GpuView(), v.GpuView(), step);
    }

    /// <summary>A zero-filled tensor of <paramref name="like"/>'s shape on its device (optimizer state).</summary>
    public static Tensor ZerosOn(Tensor like)
    {
        if (!like.IsOnGpu) return Tensor.Zeros(like.Shape);
        var t = Tensor.EmptyOn(like.Device, like.Shape);
        Tensor.ZeroGpu(t);
        return t;
    }

    private static void Check(Tensor param, Tensor grad)
    {
        if (CapturedStep.IsCapturing)
            throw new InvalidOperationException("optimizer step inside a captured step: its learning rate and step count change every step, so call Step() after Replay(), outside the capture");
        if (param.Shape != grad.Shape)
            throw new ArgumentException($"optimizer: gradient of shape {grad.Shape} for parameter {param.Name} of shape {param.Shape}");
    }

    private static void CheckGpu(Tensor param, Tensor grad, Tensor state)
    {
        Check(param, grad);
        Tensor.OnGpu(param, grad, $"optimizer step on {param.Name}");
        Tensor.OnGpu(param, state, $"optimizer step on {param.Name}");
        if (!param.IsOnGpu || !param.IsContiguous || state.Numel != param.Numel)
            throw new ArgumentException($"optimizer: the device step needs a contiguous GPU parameter and state of its size, got {param} and state {state.Shape}");
    }
}
