// Storage — a buffer of floats that lives on one device (candle's storage.rs split).
// CPU storage is a managed float[]; GpuStorage.cs holds a device buffer. CPU ops ask a tensor for
// its array through Tensor.CpuArray (which throws for a tensor on the GPU); the ops that run on
// the GPU (Ops/Device.cs) dispatch on their inputs' device first.

namespace FusionScratch.Tensors;

/// <summary>Where a tensor's storage lives.</summary>
public readonly record struct Device(DeviceKind Kind, int Index = 0)
{
    public static readonly Device Cpu = new(DeviceKind.Cpu);

    /// <summary>The GPU `--device gpu` means: the first CUDA device, else ILGPU's CPU simulator.</summary>
    public static Device Gpu => OnGpu(FusionScratch.Kernels.Gpu.Accelerators.DefaultKind);

    /// <summary>A GPU device of the given kind (Index = (int)kind; see GpuStorage).</summary>
    public static Device OnGpu(FusionScratch.Kernels.Gpu.GpuKind kind) => new(DeviceKind.Gpu, (int)kind);

    public override string ToString() => Kind == DeviceKind.Cpu ? "cpu"
        : (FusionScratch.Kernels.Gpu.GpuKind)Index == FusionScratch.Kernels.Gpu.GpuKind.Cuda ? "gpu:cuda" : "gpu:cpu-sim";
}

public enum DeviceKind { Cpu, Gpu }

/// <summary>A flat buffer of float32 values on a device.</summary>
public abstract class Storage
{
    public abstract Device Device { get; }
    public abstract int Length { get; }
}

/// <summary>Storage in a managed array on the CPU.</summary>
public sealed class CpuStorage : Storage
{
    private float[]? _data;
    private readonly int _length;

    public CpuStorage(float[] data)
    {
        _data = data;
        _length = data.Length;
    }

    public CpuStorage(int length) : this(new float[length]) { }

    /// <summary>The buffer; throws once a TensorArena scope that lent it has ended.</summary>
    public float[] Data => _data ?? throw new ObjectDisposedException(nameof(CpuStorage),
        "this tensor was created inside a TensorArena scope that has ended; read what you need before the scope closes");

    public override Device Device => Device.Cpu;
    public override int Length => _length;

    /// <summary>Hands the buffer back (to the arena) and makes this storage unusable.</summary>
    internal float[] Release()
    {
        float[] data = _data ?? throw new InvalidOperationException("storage released twice");
        _data = null;
        return data;
    }
}
