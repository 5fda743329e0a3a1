// Tensors on the device: To(device) round trips, a Linear layer's forward and backward computed
// with GPU tensors equals the CPU Linear module (same ops Linear.Forward uses: MatMul with
// transposeB, bias add, then Relu and Sum as the loss), and mixing devices is a clear error.

using FusionScratch.Kernels.Gpu;
using FusionScratch.Models.Nn;
using FusionScratch.Tensors;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Gpu;

[Collection(nameof(GpuTests))]
public class TensorGpuTests
{
    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void To_Gpu_RoundTripsValues(GpuKind kind)
    {
        var device = Device.OnGpu(kind);
        var x = Tensor.FromArray(Check.Random(15, 3), 3, 5);
        var onGpu = x.To(device);
        Assert.Equal(device, onGpu.Device);
        Assert.True(onGpu.IsOnGpu);
        var back = onGpu.To(Device.Cpu);
        Assert.Equal(Device.Cpu, back.Device);
        Assert.Equal(x.ToArray(), back.ToArray());
        Assert.Equal(x.ToArray(), onGpu.ToArray());
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void Linear_ForwardBackward_OnGpu_MatchesCpu(GpuKind kind)
    {
        var device = Device.OnGpu(kind);
        const int batch = 5, inF = 7, outF = 3;
        var linear = new Linear(inF, outF, new Rng(11));
        var x = Tensor.FromArray(Check.Random(batch * inF, 4), batch, inF);
        x.RequiresGrad = true;

        // CPU: the module itself.
        var lossCpu = linear.Forward(x).Relu().Sum();
        lossCpu.Backward();

        // GPU: the same parameters moved over as new leaves, the same ops.
        var w = linear.Weight.To(device); w.RequiresGrad = true;
        var b = linear.Bias!.To(device); b.RequiresGrad = true;
        var xg = x.Detach().To(device); xg.RequiresGrad = true;
        var yg = Tensor.MatMul(xg, w, transposeB: true) + b;
        var lossGpu = yg.Relu().Sum();
        Assert.Equal(device, lossGpu.Device);
        lossGpu.Backward();

        Check.Close(linear.Forward(x).ToArray(), yg.ToArray(), 1e-5f, 1e-5f, "forward");
        Check.Close([lossCpu.Item()], [lossGpu.Item()], 1e-5f, 1e-5f, "loss");
        Assert.Equal(device, w.Grad!.Device);
        Check.Close(linear.Weight.Grad!.ToArray(), w.Grad.ToArray(), 1e-5f, 1e-5f, "dWeight");
        Check.Close(linear.Bias.Grad!.ToArray(), b.Grad!.ToArray(), 1e-5f, 1e-5f, "dBias");
        Check.Close(x.Grad!.ToArray(), xg.Grad!.ToArray(), 1e-5f, 1e-5f, "dInput");
    }

    [Fact]
    public void MatMul_MixedDevices_Throws()
    {
        var a = Tensor.FromArray(Check.Random(4, 1), 2, 2);
        var b = a.To(Device.OnGpu(GpuKind.CpuSimulator));
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.MatMul(a, b));
        Assert.Contains("different devices", e.Message);
        Assert.Contains("gpu:cpu-sim", e.Message);
    }

    [Fact]
    public void HostAccessToGpuTensor_SaysMoveToCpu()
    {
        var g = Tensor.FromArray(Check.Random(4, 1), 2, 2).To(Device.OnGpu(GpuKind.CpuSimulator));
        var e = Assert.Throws<NotSupportedException>(() => g.Span.Length); // the host span of a device tensor
        Assert.Contains("To(Device.Cpu)", e.Message);
        Assert.Contains("gpu:cpu-sim", e.Message);
    }
}
