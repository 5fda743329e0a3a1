// Benchmarks for the convolution kernels, one class per op:
//   Conv2dBench           conv3×3(32→64), no padding, on x (8, 32, 26, 26) → y (8, 64, 24, 24) — the
//                         reference CNN's second layer at batch 8: naive loops (baseline) against
//                         im2col + GEMM in all three directions.
//   DepthwiseConv2dBench  depthwise 3×3, pad 1, on (8, 32, 26, 26) at stride 1 and 2: naive against
//                         the direct SIMD kernel, forward and both gradients.
// Threads: "1" pins the kernels (and the GEMM inside im2col) to one thread; "all" uses every core.
// Throughput is GFLOP/s = 2·(multiply-adds of the direction) / 1e9 per call; every direction of a
// convolution does the same number of multiply-adds (N·K·P·Q·C·R·S).
//
//   dotnet run -c Release --project bench -- --filter '*Conv2dBench*' --job short

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using FusionScratch.Bench.Support;
using FusionScratch.Kernels;

namespace FusionScratch.Bench;

[MemoryDiagnoser]
[BenchmarkCategory("Conv2d")]
public class Conv2dBench : IWork
{
    private static readonly Conv2dShape Shape = new(8, 32, 26, 26, 64, 3, 3);

    [Params("1", "all")]
    public string Threads = "all";

    private float[] _x = [], _w = [], _b = [], _y = [], _dy = [], _dx = [], _dw = [], _db = [];

    public string Unit => "GFLOP/s";

    public double Work(BenchmarkCase benchmarkCase) =>
        2.0 * Shape.N * Shape.K * Shape.P * Shape.Q * Shape.C * Shape.R * Shape.S / 1e9;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads == "all" ? Environment.ProcessorCount : int.Parse(Threads);
        var rng = new Random(42);
        _x = Fill(Shape.InputLength, rng);
        _w = Fill(Shape.WeightLength, rng);
        _b = Fill(Shape.K, rng);
        _dy = Fill(Shape.OutputLength, rng);
        _y = new float[Shape.OutputLength];
        _dx = new float[Shape.InputLength];
        _dw = new float[Shape.WeightLength];
        _db = new float[Shape.K];
    }

    internal static float[] Fill(int n, Random rng)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    [Benchmark(Baseline = true)]
    public void ForwardNaive() => Conv2dKernels.ForwardNaive(_x, _w, _b, Shape, _y);

    [Benchmark]
    public void ForwardIm2Col() => Conv2dKernels.ForwardIm2Col(_x, _w, _b, Shape, _y);

    [Benchmark]
    public void BackwardInputIm2Col() => Conv2dKernels.BackwardInputIm2Col(_dy, _w, Shape, _dx);

    [Benchmark]
    public void BackwardWeightIm2Col() => Conv2dKernels.BackwardWeightIm2Col(_x, _dy, Shape, _dw, _db);
}

[MemoryDiagnoser]
[BenchmarkCategory("Conv2d")]
public class DepthwiseConv2dBench : IWork
{
    [Params(1, 2)]
    public int Stride = 1;

    [Params("1", "all")]
    public string Threads = "all";

    private Conv2dShape _s;
    private float[] _x = [], _w = [], _b = [], _y = [], _dy = [], _dx = [], _dw = [], _db = [];

    public string Unit => "GFLOP/s";

    public double Work(BenchmarkCase benchmarkCase)
    {
        var s = new Conv2dShape(8, 32, 26, 26, 32, 3, 3, (int)benchmarkCase.Parameters["Stride"], 1);
        return 2.0 * s.OutputLength * s.R * s.S / 1e9;
    }

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads == "all" ? Environment.ProcessorCount : int.Parse(Threads);
        _s = new Conv2dShape(8, 32, 26, 26, 32, 3, 3, Stride, 1);
        var rng = new Random(42);
        _x = Conv2dBench.Fill(_s.InputLength, rng);
        _w = Conv2dBench.Fill(_s.C * 9, rng);
        _b = Conv2dBench.Fill(_s.C, rng);
        _dy = Conv2dBench.Fill(_s.OutputLength, rng);
        _y = new float[_s.OutputLength];
        _dx = new float[_s.InputLength];
        _dw = new float[_s.C * 9];
        _db = new float[_s.C];
    }

    [Benchmark(Baseline = true)]
    public void ForwardNaive() => DepthwiseConv2dKernels.ForwardNaive(_x, _w, _b, _s, _y);

    [Benchmark]
    public void ForwardSimd() => DepthwiseConv2dKernels.ForwardSimd(_x, _w, _b, _s, _y);

    [Benchmark]
    public void BackwardInputNaive() => DepthwiseConv2dKernels.BackwardInputNaive(_dy, _w, _s, _dx);

    [Benchmark]
    public void BackwardInputSimd() => DepthwiseConv2dKernels.BackwardInputSimd(_dy, _w, _s, _dx);

    [Benchmark]
    public void BackwardWeightNaive() => DepthwiseConv2dKernels.BackwardWeightNaive(_x, _dy, _s, _dw, _db);

    [Benchmark]
    public void BackwardWeightSimd() => DepthwiseConv2dKernels.BackwardWeightSimd(_x, _dy, _s, _dw, _db);
}
