// `fusion info` — what this machine gives the engine: .NET version, which vector widths the JIT
// accelerates (so which SIMD path the kernels take), the thread count kernels will use, and the
// ILGPU devices found (CUDA, else the CPU simulator that `--device gpu` falls back to).

using System.CommandLine;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using FusionScratch.Kernels;
using FusionScratch.Kernels.Gpu;

namespace FusionScratch.Runner.Commands;

public static class InfoCommand
{
    public static Command Build()
    {
        var cmd = new Command("info", "Print the .NET version, accelerated SIMD widths, thread count and ILGPU devices");
        cmd.SetAction(parse =>
        {
            Parallelism.Threads = parse.GetValue(Program.Threads);
            foreach (var line in Lines()) Console.WriteLine(line);
            return 0;
        });
        return cmd;
    }

    public static IEnumerable<string> Lines()
    {
        yield return $"FusionScratch   .NET {Environment.Version} ({RuntimeInformation.FrameworkDescription}) on {RuntimeInformation.OSDescription.Trim()} {RuntimeInformation.ProcessArchitecture}";
        yield return $"cores           {Environment.ProcessorCount} logical";
        yield return $"threads         {Parallelism.Threads} (set with --threads)";
        yield return $"Vector512<float> {Accel(Vector512.IsHardwareAccelerated)}   (16 lanes)";
        yield return $"Vector256<float> {Accel(Vector256.IsHardwareAccelerated)}   (8 lanes)";
        yield return $"Vector128<float> {Accel(Vector128.IsHardwareAccelerated)}   (4 lanes)";
        yield return $"FMA             {(Fma.IsSupported || AdvSimd.IsSupported ? "yes" : "no")}";
        string path = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
        yield return $"SIMD path       {path} first, then narrower widths for the tail";
        foreach (var line in Accelerators.Describe()) yield return line;
    }

    private static string Accel(bool on) => on ? "accelerated" : "not accelerated";
}
