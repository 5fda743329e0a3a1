// Device sources for the GPU tests: each test is written once and runs on every ILGPU device.
//
//   [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
//   public void X_MatchesNaive(GpuKind device) { var acc = Accelerators.Get(device); … }
//
// The CPU simulator row always runs (CI has no GPU). The CUDA row runs when ILGPU finds a CUDA
// device; otherwise xUnit reports it as skipped with the reason below, so a run without a GPU shows
// plainly that the CUDA half was not exercised (candle's test_device!, ILGPU's test projects).
// All GPU tests share one collection: the shared accelerators are used from one test at a time.

using System.Reflection;
using FusionScratch.Kernels.Gpu;
using Xunit.Sdk;

namespace FusionScratch.Tests.Gpu;

/// <summary>Supplies one ILGPU device kind to a theory; the CUDA row is skipped with a message when there is no CUDA device.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class OnDeviceAttribute : DataAttribute
{
    private readonly GpuKind _kind;

    public OnDeviceAttribute(GpuKind kind)
    {
        _kind = kind;
        if (kind == GpuKind.Cuda && !Accelerators.HasCuda)
            Skip = "no CUDA device found by ILGPU: the CUDA run of this test is skipped (the CPU-simulator run checks correctness)";
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod)
    {
        yield return new object[] { _kind };
    }
}

/// <summary>Every GPU test class joins this collection, so the shared accelerators serve one test at a time.</summary>
[CollectionDefinition(nameof(GpuTests))]
public class GpuTests
{
}
