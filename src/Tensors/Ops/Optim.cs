// In-place optimizer updates on parameter tensors. Models never call kernels directly, so the
// optimizers in FusionScratch.Models.Optim come through here; each call is one fused SIMD pass
// over the parameter, its gradient and its state buffers (OptimizerKernels).

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

    private static void Check(Tensor param, Tensor grad)
    {
        if (CapturedStep.IsCapturing)
            throw new InvalidOperationException("optimizer step inside a captured step: its learning rate and step count change every step, so call Step() after Replay(), outside the capture");
        if (param.Shape != grad.Shape)
            throw new ArgumentException($"optimizer: gradient of shape {grad.Shape} for parameter {param.Name} of shape {param.Shape}");
    }
}
