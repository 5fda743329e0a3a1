// FusionScratch benchmark suite (BenchmarkDotNet).
//   dotnet run -c Release --project bench -- --filter '*'
// One class per op family; the naive variant is the baseline so the Ratio column reads as speed-up.
// The GPU classes (GpuBench.cs) need CUDA: without it they are left out with one line on stdout.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using FusionScratch.Kernels.Gpu;

namespace FusionScratch.Bench;

public static class Program
{
    public static void Main(string[] args)
    {
        var types = typeof(Program).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkAttribute), false)))
            .ToList();
        if (!Accelerators.HasCuda)
        {
            types.RemoveAll(GpuBenchmarks.Types.Contains);
            Console.WriteLine(GpuBenchmarks.SkipLine);
        }
        BenchmarkSwitcher.FromTypes([.. types]).Run(args);
    }
}
