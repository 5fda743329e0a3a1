// Accelerators — the one place that decides which ILGPU device the GPU kernels run on.
//
// Order of preference: a CUDA device if the machine has one, otherwise ILGPU's CPU accelerator.
// Two facts about ILGPU 1.5.3 shape this file (see DESIGN.md, "Known facts"):
//   - Context.Create(b => b.Default()) silently finds only the CPU here, so CUDA is asked for by
//     name (b.Cuda()) and looked for first.
//   - The CPU accelerator from b.CPU() allows only 16 threads per group; the GPU kernels use 16×16
//     = 256-thread groups, so it is built as b.CPU(CPUDevice.Nvidia), which simulates a 1024-thread,
//     32-wide-warp device. It is a correctness simulator (every thread of a group is an OS-level
//     step with barriers emulated), not a fast fallback: keep its work at sizes of about 64.
//     CPUAcceleratorMode.Sequential is avoided (it stalled); the default mode is used.
//
// One Context and at most one accelerator of each kind are created lazily and shared by the whole
// process (creating a context costs ~100 ms and compiling a kernel several ms, so tests and
// tensors reuse them). Kernels are compiled once per (accelerator, kernel method) by GpuLaunch.

using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace FusionScratch.Kernels.Gpu;

/// <summary>Which kind of ILGPU accelerator a GPU kernel runs on.</summary>
public enum GpuKind
{
    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,
    /// <summary>ILGPU's CPU accelerator simulating an NVIDIA-like device (correctness only).</summary>
    CpuSimulator,
}

/// <summary>Accelerator choice (CUDA first, else the ILGPU CPU accelerator) and the shared instances.</summary>
public static class Accelerators
{
    private static readonly object Gate = new();
    private static readonly Lazy<Context> SharedContext = new(CreateContext, LazyThreadSafetyMode.ExecutionAndPublication);
    private static Accelerator? _cuda;
    private static Accelerator? _cpu;

    /// <summary>The process-wide ILGPU context (CUDA devices if any, plus the CPU simulator; ILGPU.Algorithms enabled).</summary>
    public static Context Context => SharedContext.Value;

    /// <summary>True when ILGPU found at least one CUDA device.</summary>
    public static bool HasCuda => Context.GetCudaDevices().Count > 0;

    /// <summary>What <see cref="Default"/> is: CUDA when present, else the CPU simulator.</summary>
    public static GpuKind DefaultKind => HasCuda ? GpuKind.Cuda : GpuKind.CpuSimulator;

    /// <summary>The accelerator `--device gpu` means: the first CUDA device, else the CPU simulator.</summary>
    public static Accelerator Default => Get(DefaultKind);

    /// <summary>The shared accelerator of this kind; throws for CUDA when the machine has none.</summary>
    public static Accelerator Get(GpuKind kind)
    {
        lock (Gate)
        {
            if (kind == GpuKind.Cuda)
            {
                if (!HasCuda)
                    throw new InvalidOperationException("no CUDA device found by ILGPU; use GpuKind.CpuSimulator (or check the driver)");
                return _cuda ??= Context.GetCudaDevice(0).CreateAccelerator(Context);
            }
            // The CPU device registered by CreateContext is CPUDevice.Nvidia (1024 threads per group).
            return _cpu ??= Context.GetCPUDevice(0).CreateAccelerator(Context);
        }
    }

    /// <summary>
    /// A one-line warning when `--device gpu` will run on the CPU simulator, or null when CUDA is
    /// present.
    /// </summary>
    public static string? FallbackWarning => HasCuda ? null
        : "warning: no CUDA device found; running the GPU kernels on ILGPU's CPU accelerator (a slow correctness simulator, not GPU speed)";

    /// <summary>Lines for `fusion info`: every device the context found and which one is the default.</summary>
    public static IEnumerable<string> Describe()
    {
        List<string> lines = new();
        try
        {
            foreach (var device in Context.Devices)
            {
                string kind = device.AcceleratorType == AcceleratorType.Cuda ? "CUDA" : "CPU simulator";
                lines.Add($"ILGPU device    {kind}: {device.Name}, {device.MaxNumThreadsPerGroup} threads/group, " +
                          $"warp {device.WarpSize}, {device.MaxSharedMemoryPerGroup / 1024} KiB shared/group, " +
                          $"{device.MemorySize / (1024 * 1024)} MiB");
            }
            lines.Add(HasCuda
                ? "--device gpu    runs on the first CUDA device"
                : "--device gpu    runs on the ILGPU CPU accelerator (no CUDA device found: correctness only, not GPU speed)");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            lines.Add($"ILGPU           unavailable: {e.GetType().Name}: {e.Message}");
        }
        return lines;
    }

    private static Context CreateContext()
    {
        // Cuda() registers whatever CUDA devices the driver reports (none when there is no driver);
        // CPU(CPUDevice.Nvidia) adds the simulator with 1024-thread groups and 32-wide warps.
        // EnableAlgorithms() lets kernels use ILGPU.Algorithms (XMath, group/warp reductions).
        var context = Context.Create(b => b.Cuda().CPU(CPUDevice.Nvidia).EnableAlgorithms());
        // Accelerators own native resources and worker threads: release them before the context.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Gate)
            {
                _cuda?.Dispose();
                _cpu?.Dispose();
                _cuda = _cpu = null;
            }
            context.Dispose();
        };
        return context;
    }
}
