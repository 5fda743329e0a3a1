// Benchmarks for ReduceKernels (sum of a vector) and SoftmaxKernels (row softmax), one class each.
//
// Naive is the baseline, so Ratio reads as the speed-up; TensorPrimitives (System.Numerics.Tensors,
// the BCL's SIMD library) is the peer measured in the same run. Threads: "1" pins our kernels to
// one thread, which is the fair comparison with TensorPrimitives (single-threaded); "all" shows
// what Parallelism adds. Throughput is GB/s of memory touched (these ops are memory-bound).
//
//   dotnet run -c Release --project bench -- --filter '*ReduceBench*' '*SoftmaxBench*' --job short

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using FusionScratch.Bench.Support;
using FusionScratch.Kernels;
using System.Numerics.Tensors;

namespace FusionScratch.Bench;

/// <summary>Sum of one vector of N floats: reads 4·N bytes.</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Sum")]
public class ReduceBench : IWork
{
    /// <summary>A power of two, and a ragged size that leaves a tail for every vector width.</summary>
    [Params(1 << 20, 1_000_003)]
    public int N;

    [Params("1", "all")]
    public string Threads = "all";

    private float[] _x = [];
    private readonly float[] _y = new float[1];

    public string Unit => "GB/s";

    public double Work(BenchmarkCase benchmarkCase) => 4.0 * (int)benchmarkCase.Parameters["N"] / 1e9;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads == "all" ? Environment.ProcessorCount : int.Parse(Threads);
        var rng = new Random(42);
        _x = new float[N];
        for (int i = 0; i < N; i++) _x[i] = (float)(rng.NextDouble() * 2 - 1);
    }

    [Benchmark(Baseline = true)]
    public float Naive()
    {
        ReduceKernels.SumNaive(_x, 1, N, 1, _y);
        return _y[0];
    }

    [Benchmark]
    public float Simd()
    {
        ReduceKernels.SumSimd(_x, 1, N, 1, _y);
        return _y[0];
    }

    [Benchmark(Description = "TensorPrimitives.Sum")]
    public float Peer() => TensorPrimitives.Sum(_x);
}

/// <summary>Softmax over the rows of a (Rows, Cols) matrix: reads and writes 4·Rows·Cols bytes each.</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Softmax")]
public class SoftmaxBench : IWork
{
    public const int Rows = 256;

    /// <summary>A friendly width, and 1000 (ImageNet classes, a tail for every vector width).</summary>
    [Params(1024, 1000)]
    public int Cols;

    [Params("1", "all")]
    public string Threads = "all";

    private float[] _x = [];
    private float[] _y = [];

    public string Unit => "GB/s";

    public double Work(BenchmarkCase benchmarkCase) => 8.0 * Rows * (int)benchmarkCase.Parameters["Cols"] / 1e9;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads == "all" ? Environment.ProcessorCount : int.Parse(Threads);
        var rng = new Random(42);
        _x = new float[Rows * Cols];
        _y = new float[Rows * Cols];
        for (int i = 0; i < _x.Length; i++) _x[i] = (float)(rng.NextDouble() * 20 - 10);
    }

    [Benchmark(Baseline = true)]
    public void Naive() => SoftmaxKernels.SoftmaxNaive(_x, Rows, Cols, _y);

    [Benchmark]
    public void Simd() => SoftmaxKernels.SoftmaxSimd(_x, Rows, Cols, _y);

    /// <summary>The peer, one row at a time (TensorPrimitives has no batched softmax).</summary>
    [Benchmark(Description = "TensorPrimitives.SoftMax per row")]
    public void Peer()
    {
        for (int r = 0; r < Rows; r++)
            TensorPrimitives.SoftMax(_x.AsSpan(r * Cols, Cols), _y.AsSpan(r * Cols, Cols));
    }
}
