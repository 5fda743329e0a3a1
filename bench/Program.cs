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
            if (OnlyGpuFilters(args)) return; // e.g. --filter '*Gpu*': nothing else was asked for
        }
        BenchmarkSwitcher.FromTypes([.. types]).Run(args);
    }

    /// <summary>True when every --filter pattern names the GPU benchmarks (and there is at least one).</summary>
    private static bool OnlyGpuFilters(string[] args)
    {
        var patterns = new List<string>();
        for (int i = 0; i < args.Length; i++)
            if (args[i] is "--filter" or "-f")
                for (int j = i + 1; j < args.Length && !args[j].StartsWith('-'); j++) patterns.Add(args[j]);
        return patterns.Count > 0 && patterns.All(p => p.Contains("Gpu", StringComparison.OrdinalIgnoreCase));
    }
}
