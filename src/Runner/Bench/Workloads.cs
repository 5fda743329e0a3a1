// Bench workloads for `fusion bench <workload>`: each yields one result per problem size, printed
// as one JSON object per line (workload, sizes, threads, seconds, GFLOP/s or items/s) so that
// bench/peers/compare.py can set them beside NumPy/OpenBLAS and PyTorch measured in the same run.

using FusionScratch.Kernels;
using FusionScratch.Models.Backbone;
using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Tensors;

namespace FusionScratch.Runner.Bench;

/// <summary>One measured problem: the JSON line `fusion bench --json` prints.</summary>
public sealed record BenchResult(string Workload, string Sizes, int Threads, double Seconds, double MedianSeconds, double? Gflops, double? ItemsPerSecond, long AllocatedBytes, string Impl = "fusionscratch");

public static class Workloads
{
    /// <summary>Workload names, in the order `bench all` runs them.</summary>
    public static readonly string[] Names = ["gemm", "conv", "train", "lmf"];

    public static IEnumerable<BenchResult> Run(string name, double budget) => name switch
    {
        "gemm" => Gemm(budget),
        "conv" => Conv(budget),
        "train" => Train(budget),
        "lmf" => Lmf(budget),
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
            yield return new BenchResult("gemm", $"{m}x{n}x{k}", Parallelism.Threads, t.BestSeconds, t.MedianSeconds, 2.0 * m * n * k / t.BestSeconds / 1e9, null, t.AllocatedBytesPerCall);
        }
    }

    /// <summary>Batch of the conv and train workloads (the issue's reference CNN step).</summary>
    public const int Batch = 128;

    /// <summary>
    /// The reference CNN's second convolution, 3×3, 32 → 64 channels on (128, 32, 26, 26):
    /// forward, then backward for the input and the weights (what a training step does with it).
    /// GFLOP/s counts 3 × 2·N·K·C·R·S·P·Q (forward, input gradient, weight gradient).
    /// </summary>
    private static IEnumerable<BenchResult> Conv(double budget)
    {
        var rng = new Rng(42);
        var x = Tensor.Rand(new Shape(Batch, 32, 26, 26), rng, -1, 1).RequireGrad();
        var conv = new Conv2d(32, 64, 3, rng);
        var arena = new TensorArena();
        var t = Timing.Measure(() =>
        {
            using var _ = arena.Begin();
            x.ZeroGrad();
            conv.ZeroGrad();
            conv.Forward(x).Sum().Backward();
        }, budget);
        double flops = 3 * 2.0 * Batch * 64 * 32 * 9 * 24 * 24;
        yield return new BenchResult("conv", "128x32x26x26 k3 32->64 fwd+bwd", Parallelism.Threads, t.BestSeconds, t.MedianSeconds, flops / t.BestSeconds / 1e9, Batch / t.BestSeconds, t.AllocatedBytesPerCall);
    }

    /// <summary>One SGD-with-momentum step of the reference CNN on a batch of 128 images of 28×28×1.</summary>
    private static IEnumerable<BenchResult> Train(double budget)
    {
        var rng = new Rng(42);
        var model = ReferenceCnn.Build(rng);
        var opt = new Sgd(model.Parameters(), lr: 0.01f, momentum: 0.9f);
        var x = Tensor.Rand(new Shape(Batch, 1, 28, 28), rng, 0, 1);
        var labels = Enumerable.Range(0, Batch).Select(_ => rng.NextInt(10)).ToArray();
        var arena = new TensorArena();
        var t = Timing.Measure(() => TrainStep(model, opt, x, labels, arena), budget);
        yield return new BenchResult("train", $"reference cnn, batch {Batch}, 28x28x1", Parallelism.Threads, t.BestSeconds, t.MedianSeconds, null, Batch / t.BestSeconds, t.AllocatedBytesPerCall);
    }

    /// <summary>
    /// The LMF layer of the issue's speed target: modalities 128, 64 and 300, rank 4, 32 outputs,
    /// batch 256, forward + sum + backward (Experiments/Lmf/FusionLayerStep), once with gradients for
    /// the parameters only and once for the inputs too. GFLOP/s counts the GEMM work: 2·B·R·H·Σ D
    /// per product, two products (forward, weight gradient), three with the input gradient.
    /// </summary>
    private static IEnumerable<BenchResult> Lmf(double budget)
    {
        int[] dims = [128, 64, 300];
        const int batch = 256, rank = 4, outputs = 32;
        foreach (bool inputGrads in new[] { false, true })
        {
            var step = new Experiments.Lmf.FusionLayerStep("lmf", dims, rank, outputs, batch, inputGrads, 42);
            var t = Timing.Measure(step.Run, budget);
            double flops = (inputGrads ? 3 : 2) * 2.0 * batch * rank * outputs * dims.Sum();
            yield return new BenchResult("lmf", $"128/64/300 r{rank} h{outputs} b{batch}{(inputGrads ? " +dx" : "")}", Parallelism.Threads,
                t.BestSeconds, t.MedianSeconds, flops / t.BestSeconds / 1e9, batch / t.BestSeconds, t.AllocatedBytesPerCall);
        }
    }

    /// <summary>forward, cross-entropy, backward, SGD step — inside an arena scope so buffers are reused.</summary>
    public static float TrainStep(Sequential model, Optimizer opt, Tensor x, int[] labels, TensorArena arena)
    {
        using var _ = arena.Begin();
        opt.ZeroGrad();
        var loss = Losses.CrossEntropy(model.Forward(x), labels);
        loss.Backward();
        opt.Step();
        return loss.Item();
    }
}
