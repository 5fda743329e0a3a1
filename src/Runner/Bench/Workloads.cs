// Bench workloads for `fusion bench <workload>`: each yields one result per problem size, printed
// as one JSON object per line (workload, sizes, threads, seconds, GFLOP/s or items/s) so that
// bench/peers/compare.py can set them beside NumPy/OpenBLAS and PyTorch measured in the same run.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Gpu;
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

    /// <summary>GEMM sizes for `bench gemm --device gpu` on CUDA: the issue's 4096³ target and a smaller one.</summary>
    public static readonly (int M, int N, int K)[] GpuGemmSizes = [(1024, 1024, 1024), (4096, 4096, 4096)];

    /// <summary>Sizes on the CPU simulator (no CUDA): a tiled 64³ takes 2–3 s there (every barrier is a thread rendezvous), so a toy size.</summary>
    public static readonly (int M, int N, int K)[] SimulatorGemmSizes = [(32, 32, 32)];

    /// <summary>
    /// `bench gemm --device gpu`: the GPU GEMM variants on <see cref="Accelerators.Default"/>.
    /// Per size: GpuNaive, GpuTiled and GpuRegisterBlocked device-resident (inputs uploaded once in
    /// setup; the timed call is launch + Synchronize, so the GPU's work is inside the measurement),
    /// then GpuRegisterBlocked (what the device ops run) with transfers (upload A, B, run, download
    /// C), which is what a caller holding host arrays pays.
    /// </summary>
    public static IEnumerable<BenchResult> GpuGemm(double budget, IReadOnlyList<(int M, int N, int K)>? sizes = null)
    {
        var acc = Accelerators.Default;
        string device = Accelerators.DefaultKind == GpuKind.Cuda ? "cuda" : "cpu-sim";
        sizes ??= Accelerators.DefaultKind == GpuKind.Cuda ? GpuGemmSizes : SimulatorGemmSizes;
        foreach (var (m, n, k) in sizes)
        {
            var rng = new Rng(42);
            var a = Tensor.Rand(new Shape(m, k), rng, -1, 1).ToArray();
            var b = Tensor.Rand(new Shape(k, n), rng, -1, 1).ToArray();
            var c = new float[m * n];
            double flops = 2.0 * m * n * k;
            using var da = GpuLaunch.Upload(acc, a);
            using var db = GpuLaunch.Upload(acc, b);
            using var dc = GpuLaunch.Zeros(acc, m * n);
            BenchResult Row(string impl, TimingResult t) =>
                new("gemm", $"{m}x{n}x{k}", 1, t.BestSeconds, t.MedianSeconds, flops / t.BestSeconds / 1e9, null, t.AllocatedBytesPerCall, impl);

            // Few repeats: on the simulator one call takes a second or more.
            foreach (var (impl, gemm) in DeviceGemms)
            {
                var resident = Timing.Measure(() =>
                {
                    gemm(acc, da.View, false, db.View, false, m, n, k, 1f, 0f, dc.View);
                    acc.Synchronize();
                }, budget, minRepeats: 3);
                yield return Row($"gpu-{impl}:{device}:resident", resident);
            }
            var withCopies = Timing.Measure(() => MatMulKernels.GpuRegisterBlocked(acc, a, false, b, false, m, n, k, 1f, 0f, c), budget, minRepeats: 3);
            yield return Row($"gpu-register-blocked:{device}:with-transfers", withCopies);
        }
    }

    /// <summary>The GPU GEMM variants in reading order (MatMul.5, .6, .7), as `bench gemm --device gpu` names them.</summary>
    private static readonly (string Name, GpuGemmKernel Gemm)[] DeviceGemms =
        [("naive", MatMulKernels.GpuNaive), ("tiled", MatMulKernels.GpuTiled), ("register-blocked", MatMulKernels.GpuRegisterBlocked)];

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

    /// <summary>
    /// One SGD-with-momentum step of the reference CNN on a batch of 128 images of 28×28×1, as
    /// Trainer.Fit runs it: forward, cross-entropy and backward replayed from a CapturedStep
    /// (captured in the first, untimed call), then the optimizer step.
    /// </summary>
    private static IEnumerable<BenchResult> Train(double budget)
    {
        var rng = new Rng(42);
        var model = ReferenceCnn.Build(rng);
        var opt = new Sgd(model.Parameters(), lr: 0.01f, momentum: 0.9f);
        var x = Tensor.Rand(new Shape(Batch, 1, 28, 28), rng, 0, 1);
        var labels = Enumerable.Range(0, Batch).Select(_ => rng.NextInt(10)).ToArray();
        using var step = CapturedStep.Capture(() =>
        {
            var loss = Losses.CrossEntropy(model.Forward(x), labels);
            loss.Backward();
            return loss;
        });
        opt.Step();
        var t = Timing.Measure(() =>
        {
            opt.ZeroGrad();
            step.Replay();
            opt.Step();
        }, budget);
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
}
