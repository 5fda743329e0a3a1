// Bench workloads for `fusion bench <workload>`: each yields one result per problem size, printed
// as one JSON object per line (workload, sizes, threads, seconds, GFLOP/s or items/s) so that
// bench/peers/compare.py can set them beside NumPy/OpenBLAS and PyTorch measured in the same run.

using FusionScratch.Kernels;
using FusionScratch.Tensors;

namespace FusionScratch.Runner.Bench;

/// <summary>One measured problem: the JSON line `fusion bench --json` prints.</summary>
public sealed record BenchResult(string Workload, string Sizes, int Threads, double Seconds, double MedianSeconds, double? Gflops, double? ItemsPerSecond, string Impl = "fusionscratch");

public static class Workloads
{
    /// <summary>Workload names, in the order `bench all` runs them.</summary>
    public static readonly string[] Names = ["gemm"];

    public static IEnumerable<BenchResult> Run(string name, double budget) => name switch
    {
        "gemm" => Gemm(budget),
        _ => throw new ArgumentException($"unknown workload '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>The GEMM sizes the issue's targets name: 256³, 1024³ and the conv shape.</summary>
    public static readonly (int M, int N, int K)[] GemmSizes = [(256, 256, 256), (1024, 1024, 1024), (21632, 64, 288)];

    private static IEnumerable<BenchResult> Gemm(double budget)
    {
        foreach (var (m, n, k) in GemmSizes)
        {
            var rng = new Rng(42);
            var a = Tensor.Rand(new Shape(m, k), rng, -1, 1).ToArray();
            var b = Tensor.Rand(new Shape(k, n), rng, -1, 1).ToArray();
            var c = new float[m * n];
            var t = Timing.Measure(() => MatMulKernels.Gemm(a, false, b, false, m, n, k, 1f, 0f, c), budget);
            yield return new BenchResult("gemm", $"{m}x{n}x{k}", Parallelism.Threads, t.BestSeconds, t.MedianSeconds, 2.0 * m * n * k / t.BestSeconds / 1e9, null);
        }
    }
}
