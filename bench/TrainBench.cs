// One training step of the reference CNN (Models/Backbone/ReferenceCnn.cs): batch 128 of
// 28×28×1, forward, cross-entropy, backward, SGD with momentum — the `train` workload of
// `fusion bench`, here under BenchmarkDotNet so MemoryDiagnoser shows what a steady-state step
// allocates. Three variants: the plain loop (every activation and gradient a fresh array), the
// same loop inside a TensorArena scope (buffers reused from the previous step, graph rebuilt),
// and the step captured once and replayed (CapturedStep: what Trainer.Fit runs; no graph, no
// allocation).
// Throughput column: images per second.
//
//   dotnet run -c Release --project bench -- --filter '*TrainBench*'

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using FusionScratch.Bench.Support;
using FusionScratch.Kernels;
using FusionScratch.Models.Backbone;
using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Tensors;

namespace FusionScratch.Bench;

[Config(typeof(BenchConfig))]
public class TrainBench : IWork
{
    private const int Batch = 128;

    [Params("1", "all")]
    public string Threads = "all";

    private Sequential _model = null!;
    private Sgd _opt = null!;
    private Tensor _x = null!;
    private int[] _labels = [];
    private readonly TensorArena _arena = new();
    private CapturedStep? _captured;

    public string Unit => "images/s";

    /// <summary>One step is Batch images (the column divides by the mean time, so this reads images/s).</summary>
    public double Work(BenchmarkCase benchmarkCase) => Batch;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads == "all" ? Environment.ProcessorCount : int.Parse(Threads);
        var rng = new Rng(42);
        _model = ReferenceCnn.Build(rng);
        _opt = new Sgd(_model.Parameters(), lr: 0.01f, momentum: 0.9f);
        _x = Tensor.Rand(new Shape(Batch, 1, 28, 28), rng, 0, 1);
        _labels = Enumerable.Range(0, Batch).Select(_ => rng.NextInt(10)).ToArray();
    }

    [Benchmark(Baseline = true)]
    public float Step()
    {
        _opt.ZeroGrad();
        var loss = Losses.CrossEntropy(_model.Forward(_x), _labels);
        loss.Backward();
        _opt.Step();
        return loss.Item();
    }

    [Benchmark]
    public float StepInArena()
    {
        using var _ = _arena.Begin();
        return Step();
    }

    [Benchmark]
    public float StepReplayed()
    {
        _opt.ZeroGrad();
        _captured ??= CapturedStep.Capture(() =>
        {
            var loss = Losses.CrossEntropy(_model.Forward(_x), _labels);
            loss.Backward();
            return loss;
        });
        _captured.Replay(); // the first call captures and replays: two forward-backward passes, once, in warm-up
        _opt.Step();
        return _captured.Output.Item();
    }

    [GlobalCleanup]
    public void Cleanup() => _captured?.Dispose();
}
