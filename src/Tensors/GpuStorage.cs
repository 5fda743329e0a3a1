// GpuStorage — a tensor's floats in an ILGPU device buffer (candle's storage split: CpuStorage
// holds a float[], this holds a MemoryBuffer1D on one accelerator).
//
// Which accelerator: Device(DeviceKind.Gpu, Index) with Index = (int)GpuKind, so gpu:cuda is the
// first CUDA device and gpu:cpu-sim is ILGPU's CPU simulator (Kernels/Gpu/Accelerators.cs owns
// both). Device.Gpu means whichever Accelerators.Default picks (CUDA when present).
// Data enters and leaves only through Tensor.To(device): explicit transfers, never implicit ones.
// Lifetime: the device buffer is released when the storage is garbage-collected (ILGPU's buffer
// finalizer) or disposed; there is no pooling yet, so a training loop on the device allocates
// per step.

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Tensors;

/// <summary>Storage in a device buffer on one ILGPU accelerator.</summary>
public sealed class GpuStorage : Storage, IDisposable
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _buffer;
    private readonly int _length;

    /// <summary>A new uninitialised device buffer of <paramref name="length"/> floats.</summary>
    public GpuStorage(Device device, int length)
    {
        if (device.Kind != DeviceKind.Gpu) throw new ArgumentException($"GpuStorage on {device}");
        Device = device;
        Accelerator = AcceleratorOf(device);
        _length = length;
        _buffer = Accelerator.Allocate1D<float>(Math.Max(length, 1)); // ILGPU rejects empty buffers
    }

    public override Device Device { get; }
    public override int Length => _length;

    /// <summary>The accelerator the buffer lives on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The whole buffer as a view for kernels (exactly Length elements).</summary>
    public ArrayView<float> View => _buffer.View.SubView(0, _length);

    public void Dispose() => _buffer.Dispose();

    /// <summary>The shared accelerator behind a gpu device.</summary>
    public static Accelerator AcceleratorOf(Device device) => Accelerators.Get((GpuKind)device.Index);
}
