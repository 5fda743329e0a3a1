// Storage — a buffer of floats that lives on one device (candle's storage.rs split).
// CPU storage is a managed float[]; the GPU backend adds GpuStorage beside it, and every op asks
// a tensor for its CPU span through one method (Tensor.CpuSpan) that is the seam it will extend.

namespace FusionScratch.Tensors;

/// <summary>Where a tensor's storage lives.</summary>
public readonly record struct Device(DeviceKind Kind, int Index = 0)
{
    public static readonly Device Cpu = new(DeviceKind.Cpu);
    public override string ToString() => Kind == DeviceKind.Cpu ? "cpu" : $"gpu:{Index}";
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
    public float[] Data { get; }
    public CpuStorage(float[] data) => Data = data;
    public CpuStorage(int length) => Data = new float[length];
    public override Device Device => Device.Cpu;
    public override int Length => Data.Length;
}
