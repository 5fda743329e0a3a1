// GpuLaunch — launch and buffer plumbing shared by every GPU kernel file.
//
// - Kernel<TDelegate>: compiles a kernel method once per accelerator and caches the launcher.
//   ILGPU compiles .NET IL to PTX (or to the CPU simulator) at load time, which costs
//   milliseconds; the launch itself is cheap. The cache is keyed by (accelerator, method), so a
//   generic kernel instantiated for Relu and for Exp gets two entries.
// - Upload / Download: explicit host↔device copies (the only places data crosses the bus).
// - RoundTrip: what every host-span overload of a kernel does (upload the inputs and the outputs'
//   current contents, run the device-view version, download the outputs), written once.
// - GroupsFor: how many groups of a given size cover n items (ceiling division).
//
// Launches go on the accelerator's default stream and are asynchronous; a caller that reads the
// result on the host either downloads it (a synchronous copy) or calls accelerator.Synchronize().

using System.Collections.Concurrent;
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Kernels.Gpu;

/// <summary>Kernel cache, host↔device copies and launch-size helpers for the GPU kernels.</summary>
public static class GpuLaunch
{
    private static readonly ConcurrentDictionary<(Accelerator, MethodInfo), Delegate> Cache = new();

    /// <summary>
    /// The launcher for <paramref name="kernel"/> on <paramref name="accelerator"/>, compiled with
    /// <paramref name="load"/> the first time (e.g. <c>a => a.LoadStreamKernel&lt;…&gt;(Kernel)</c>).
    /// </summary>
    public static TLauncher Kernel<TLauncher>(Accelerator accelerator, Delegate kernel, Func<Accelerator, TLauncher> load)
        where TLauncher : Delegate
        => (TLauncher)Cache.GetOrAdd((accelerator, kernel.Method), static (key, l) => l(key.Item1), load);

    /// <summary>Allocates a device buffer and copies <paramref name="host"/> into it.</summary>
    public static MemoryBuffer1D<float, Stride1D.Dense> Upload(Accelerator accelerator, ReadOnlySpan<float> host)
    {
        var buffer = accelerator.Allocate1D<float>(Math.Max(host.Length, 1));
        if (host.Length > 0)
            buffer.View.SubView(0, host.Length).CopyFromCPU(accelerator.DefaultStream, host);
        return buffer;
    }

    /// <summary>Allocates a device buffer and copies <paramref name="host"/> into it.</summary>
    public static MemoryBuffer1D<int, Stride1D.Dense> Upload(Accelerator accelerator, ReadOnlySpan<int> host)
    {
        var buffer = accelerator.Allocate1D<int>(Math.Max(host.Length, 1));
        if (host.Length > 0)
            buffer.View.SubView(0, host.Length).CopyFromCPU(accelerator.DefaultStream, host);
        return buffer;
    }

    /// <summary>A zeroed device buffer of <paramref name="length"/> floats (at least one, as ILGPU rejects empty buffers).</summary>
    public static MemoryBuffer1D<float, Stride1D.Dense> Zeros(Accelerator accelerator, int length)
    {
        var buffer = accelerator.Allocate1D<float>(Math.Max(length, 1));
        buffer.MemSetToZero();
        return buffer;
    }

    /// <summary>Copies the first host.Length floats of <paramref name="device"/> to <paramref name="host"/> (waits for pending work).</summary>
    public static void Download(ArrayView<float> device, Span<float> host)
    {
        if (host.Length == 0) return;
        // A synchronous copy on the default stream: it runs after every kernel queued before it.
        ArrayView1D<float, Stride1D.Dense> source = device.SubView(0, host.Length);
        var stream = source.GetAccelerator().DefaultStream;
        source.CopyToCPU(stream, host);
        stream.Synchronize(); // the host reads `host` next: make sure the copy has landed
    }

    /// <summary>A device-view kernel call for <see cref="RoundTrip"/>: up to three inputs and two outputs (unused ones are empty views).</summary>
    public delegate void DeviceCall(ArrayView<float> in0, ArrayView<float> in1, ArrayView<float> in2, ArrayView<float> out0, ArrayView<float> out1);

    /// <summary>
    /// The host-span overload of a GPU kernel, for tests and benchmarks: uploads the inputs and the
    /// outputs' current contents (so a kernel that reads its output, as GEMM with beta ≠ 0 does,
    /// sees it), runs <paramref name="call"/> on views of exactly those lengths, downloads the
    /// outputs. Pass an empty span for an unused slot; it arrives as an empty view.
    /// </summary>
    public static void RoundTrip(Accelerator accelerator, ReadOnlySpan<float> in0, ReadOnlySpan<float> in1, ReadOnlySpan<float> in2,
        Span<float> out0, Span<float> out1, DeviceCall call)
    {
        using var d0 = Upload(accelerator, in0);
        using var d1 = Upload(accelerator, in1);
        using var d2 = Upload(accelerator, in2);
        using var o0 = Upload(accelerator, out0);
        using var o1 = Upload(accelerator, out1);
        call(d0.View.SubView(0, in0.Length), d1.View.SubView(0, in1.Length), d2.View.SubView(0, in2.Length),
            o0.View.SubView(0, out0.Length), o1.View.SubView(0, out1.Length));
        Download(o0.View, out0);
        Download(o1.View, out1);
    }

    /// <summary>Number of groups of <paramref name="groupSize"/> threads that cover <paramref name="n"/> items.</summary>
    public static int GroupsFor(int n, int groupSize) => (n + groupSize - 1) / groupSize;
}
