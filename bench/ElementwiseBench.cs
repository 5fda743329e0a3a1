// Elementwise benchmark: relu, exp, tanh, sigmoid and add, one category per op.
//
// Per op: Naive (the baseline: a plain loop over the scalar op, Ratio = speed-up over it), Simd
// (VectorLoop, one thread), SimdAllCores (the same kernel with Parallelism.Threads = all cores;
// it only splits above ElementwiseKernels.ParallelThreshold = 256K elements, so at 64K it equals
// Simd) and TensorPrimitives (System.Numerics.Tensors 10, the peer; always one thread; relu is
// Max(x, 0)). Naive, Simd and TensorPrimitives run with Parallelism.Threads = 1.
// Sizes: 65 536 (in L2, the friendly size) and 1 000 003 (ragged, 4 MB per operand: memory-bound
// for the cheap ops). Inputs are seeded uniform in [-4, 4).
// Throughput = bytes read + written per call (8 per element for unary ops, 12 for add) / mean time.
//
// Run:  dotnet run -c Release --project bench -- --filter '*ElementwiseBench*'
//       (add --job short for a quick look; results land in BenchmarkDotNet.Artifacts/results)

using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using FusionScratch.Bench.Support;
using FusionScratch.Kernels;
using FusionScratch.Kernels.Elementwise;

namespace FusionScratch.Bench;

[Config(typeof(BenchConfig))]
public class ElementwiseBench : IWork
{
    [Params(1 << 16, 1_000_003)]
    public int N;

    private float[] _x = [], _y = [], _z = [];

    [GlobalSetup(Targets = new[]
    {
        nameof(ReluNaive), nameof(ReluSimd), nameof(ReluTensorPrimitives),
        nameof(ExpNaive), nameof(ExpSimd), nameof(ExpTensorPrimitives),
        nameof(TanhNaive), nameof(TanhSimd), nameof(TanhTensorPrimitives),
        nameof(SigmoidNaive), nameof(SigmoidSimd), nameof(SigmoidTensorPrimitives),
        nameof(AddNaive), nameof(AddSimd), nameof(AddTensorPrimitives),
    })]
    public void SetupOneThread() => Setup(threads: 1);

    [GlobalSetup(Targets = new[] { nameof(ReluSimdAllCores), nameof(ExpSimdAllCores), nameof(TanhSimdAllCores), nameof(SigmoidSimdAllCores), nameof(AddSimdAllCores) })]
    public void SetupAllCores() => Setup(threads: Environment.ProcessorCount);

    private void Setup(int threads)
    {
        Parallelism.Threads = threads;
        var rng = new Random(42);
        _x = new float[N];
        _y = new float[N];
        _z = new float[N];
        for (int i = 0; i < N; i++)
        {
            _x[i] = (float)(rng.NextDouble() * 8 - 4);
            _y[i] = (float)(rng.NextDouble() * 8 - 4);
        }
    }

    // ---------------------------------------------------------------- relu
    [BenchmarkCategory("relu"), Benchmark(Baseline = true)] public void ReluNaive() => ElementwiseKernels.UnaryNaive<Relu>(_x, _z);
    [BenchmarkCategory("relu"), Benchmark] public void ReluSimd() => ElementwiseKernels.UnarySimd<Relu>(_x, _z);
    [BenchmarkCategory("relu"), Benchmark] public void ReluSimdAllCores() => ElementwiseKernels.UnarySimd<Relu>(_x, _z);
    [BenchmarkCategory("relu"), Benchmark] public void ReluTensorPrimitives() => TensorPrimitives.Max(_x, 0f, _z);

    // ---------------------------------------------------------------- exp
    [BenchmarkCategory("exp"), Benchmark(Baseline = true)] public void ExpNaive() => ElementwiseKernels.UnaryNaive<Exp>(_x, _z);
    [BenchmarkCategory("exp"), Benchmark] public void ExpSimd() => ElementwiseKernels.UnarySimd<Exp>(_x, _z);
    [BenchmarkCategory("exp"), Benchmark] public void ExpSimdAllCores() => ElementwiseKernels.UnarySimd<Exp>(_x, _z);
    [BenchmarkCategory("exp"), Benchmark] public void ExpTensorPrimitives() => TensorPrimitives.Exp(_x, _z);

    // ---------------------------------------------------------------- tanh
    [BenchmarkCategory("tanh"), Benchmark(Baseline = true)] public void TanhNaive() => ElementwiseKernels.UnaryNaive<Tanh>(_x, _z);
    [BenchmarkCategory("tanh"), Benchmark] public void TanhSimd() => ElementwiseKernels.UnarySimd<Tanh>(_x, _z);
    [BenchmarkCategory("tanh"), Benchmark] public void TanhSimdAllCores() => ElementwiseKernels.UnarySimd<Tanh>(_x, _z);
    [BenchmarkCategory("tanh"), Benchmark] public void TanhTensorPrimitives() => TensorPrimitives.Tanh(_x, _z);

    // ---------------------------------------------------------------- sigmoid
    [BenchmarkCategory("sigmoid"), Benchmark(Baseline = true)] public void SigmoidNaive() => ElementwiseKernels.UnaryNaive<Sigmoid>(_x, _z);
    [BenchmarkCategory("sigmoid"), Benchmark] public void SigmoidSimd() => ElementwiseKernels.UnarySimd<Sigmoid>(_x, _z);
    [BenchmarkCategory("sigmoid"), Benchmark] public void SigmoidSimdAllCores() => ElementwiseKernels.UnarySimd<Sigmoid>(_x, _z);
    [BenchmarkCategory("sigmoid"), Benchmark] public void SigmoidTensorPrimitives() => TensorPrimitives.Sigmoid(_x, _z);

    // ---------------------------------------------------------------- add (same shape)
    [BenchmarkCategory("add"), Benchmark(Baseline = true)] public void AddNaive() => ElementwiseKernels.BinaryNaive<Add>(_x, _y, _z);
    [BenchmarkCategory("add"), Benchmark] public void AddSimd() => ElementwiseKernels.BinarySimd<Add>(_x, _y, _z);
    [BenchmarkCategory("add"), Benchmark] public void AddSimdAllCores() => ElementwiseKernels.BinarySimd<Add>(_x, _y, _z);
    [BenchmarkCategory("add"), Benchmark] public void AddTensorPrimitives() => TensorPrimitives.Add(_x, _y, _z);

    // ---------------------------------------------------------------- throughput
    public string Unit => "GB/s";

    /// <summary>Gigabytes moved per call: 4 bytes per element per operand read or written.</summary>
    public double Work(BenchmarkCase benchmarkCase)
    {
        int n = (int)benchmarkCase.Parameters["N"];
        int streams = benchmarkCase.Descriptor.Categories.Contains("add") ? 3 : 2; // x, y → z or x → z
        return (double)n * sizeof(float) * streams / 1e9;
    }
}
