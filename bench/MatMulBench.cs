// Benchmarks for MatMulKernels: C = A·B with A (M,K), B (K,N), C (M,N), row-major, no transposes.
// Two classes:
//   MatMulBench       small shapes, every variant: Naive is the baseline, so Ratio reads as the
//                     speed-up; the peer is MathNet.Numerics' Matrix<float>.Multiply (its managed
//                     provider here: a slow baseline, not BLAS — see DESIGN.md).
//   MatMulLargeBench  the shapes the issue sets targets for — 256³, 1024³ and the convolution GEMM
//                     21632×64×288 — where Naive would take seconds per call: Simd is the baseline,
//                     so Ratio reads as what packing and register tiling add. The OpenBLAS and
//                     PyTorch peers run from bench/peers/compare.py (the README's table).
// Threads: "1" pins our kernels (and MathNet) to one thread; "all" uses every core. Throughput is
// GFLOP/s = 2·M·N·K / 1e9 per call; the Allocated column must read 0 B for Packed (pooled,
// per-thread packing buffers and an allocation-free Parallelism.For).
//
//   dotnet run -c Release --project bench -- --filter '*MatMulBench*' --job short
//   dotnet run -c Release --project bench -- --filter '*MatMulLargeBench*' --job short

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using FusionScratch.Bench.Support;
using FusionScratch.Kernels;
using MathNet.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace FusionScratch.Bench;

/// <summary>A GEMM shape; printed as M×N×K in the results table.</summary>
public readonly record struct GemmShape(int M, int N, int K)
{
    public override string ToString() => $"{M}x{N}x{K}";
}

[Config(typeof(BenchConfig))]
[BenchmarkCategory("MatMul")]
public class MatMulBench : IWork
{
    /// <summary>A friendly cube, and a ragged shape with no dimension a multiple of 16.</summary>
    public static IEnumerable<GemmShape> Shapes => [new(128, 128, 128), new(257, 129, 200)];

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape;

    [Params("1", "all")]
    public string Threads = "all";

    private float[] _a = [], _b = [], _c = [];
    private Matrix<float> _ma = null!, _mb = null!, _mc = null!;

    public string Unit => "GFLOP/s";

    public double Work(BenchmarkCase benchmarkCase)
    {
        var s = (GemmShape)benchmarkCase.Parameters["Shape"];
        return 2.0 * s.M * s.N * s.K / 1e9;
    }

    [GlobalSetup]
    public void Setup()
    {
        int threads = Threads == "all" ? Environment.ProcessorCount : int.Parse(Threads);
        Parallelism.Threads = threads;
        if (threads == 1) Control.UseSingleThread();
        else
        {
            Control.UseMultiThreading();
            Control.MaxDegreeOfParallelism = threads;
        }
        var (m, n, k) = (Shape.M, Shape.N, Shape.K);
        var rng = new Random(42);
        _a = Fill(new float[m * k], rng);
        _b = Fill(new float[k * n], rng);
        _c = new float[m * n];
        // MathNet stores column-major; the values differ from ours but the work is the same.
        _ma = Matrix<float>.Build.Dense(m, k, _a);
        _mb = Matrix<float>.Build.Dense(k, n, _b);
        _mc = Matrix<float>.Build.Dense(m, n);
    }

    private static float[] Fill(float[] x, Random rng)
    {
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    [Benchmark(Baseline = true)]
    public void Naive() => MatMulKernels.Naive(_a, false, _b, false, Shape.M, Shape.N, Shape.K, 1f, 0f, _c);

    [Benchmark]
    public void Simd() => MatMulKernels.Simd(_a, false, _b, false, Shape.M, Shape.N, Shape.K, 1f, 0f, _c);

    [Benchmark]
    public void Packed() => MatMulKernels.Packed(_a, false, _b, false, Shape.M, Shape.N, Shape.K, 1f, 0f, _c);

    [Benchmark(Description = "MathNet Matrix<float>.Multiply")]
    public void Peer() => _ma.Multiply(_mb, _mc);
}

[Config(typeof(BenchConfig))]
[BenchmarkCategory("MatMulLarge")]
public class MatMulLargeBench : IWork
{
    /// <summary>The target shapes: a small cube, a large cube, and the convolution GEMM (32 images of 26×26, 3×3×32 → 64).</summary>
    public static IEnumerable<GemmShape> Shapes => [new(256, 256, 256), new(1024, 1024, 1024), new(21632, 64, 288)];

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape;

    [Params("1", "all")]
    public string Threads = "all";

    private float[] _a = [], _b = [], _c = [];

    public string Unit => "GFLOP/s";

    public double Work(BenchmarkCase benchmarkCase)
    {
        var s = (GemmShape)benchmarkCase.Parameters["Shape"];
        return 2.0 * s.M * s.N * s.K / 1e9;
    }

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads == "all" ? Environment.ProcessorCount : int.Parse(Threads);
        var rng = new Random(42);
        _a = new float[Shape.M * Shape.K];
        _b = new float[Shape.K * Shape.N];
        _c = new float[Shape.M * Shape.N];
        for (int i = 0; i < _a.Length; i++) _a[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < _b.Length; i++) _b[i] = (float)(rng.NextDouble() * 2 - 1);
    }

    [Benchmark(Baseline = true)]
    public void Simd() => MatMulKernels.Simd(_a, false, _b, false, Shape.M, Shape.N, Shape.K, 1f, 0f, _c);

    [Benchmark]
    public void Packed() => MatMulKernels.Packed(_a, false, _b, false, Shape.M, Shape.N, Shape.K, 1f, 0f, _c);
}
