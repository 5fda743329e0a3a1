// GPU benchmarks (ILGPU on CUDA): the issue-9 targets, ready to run on a machine with an NVIDIA GPU.
//   GpuGemmBench   C = A·B at 4096³ (FP32): MatMul variant 5 (GpuNaive, the baseline), variant 6
//                  (GpuTiled) and variant 7 (GpuRegisterBlocked), device-resident — buffers uploaded
//                  once in GlobalSetup, the method launches and synchronizes — and the register-blocked
//                  one (what the device ops run) again with its transfers included (upload A and B,
//                  run, download C). Target: ≥ 50 % of cuBLAS SGEMM, measured by
//                  `bench/peers/gpu_matmul.py` (PyTorch, TF32 off) on the same GPU.
//   GpuTrainBench  one training step of the reference CNN (batch 128, SGD with momentum) with the model
//                  on the GPU: the batch already on the device, and the batch uploaded each step.
//                  Target: ≥ 10× TrainBench's CPU step on the same machine.
// Kernels are compiled in GlobalSetup (a warm-up launch), and every measured method ends with a
// Synchronize (or a download, which waits), so the time is the GPU's work, not the launch queue.
// Without a CUDA device Program.cs leaves these classes out and prints one line: ILGPU's CPU
// accelerator would take hours at these sizes and say nothing about GPU speed.
// No CUDA figures exist yet: no GPU has been available to the project.
//
//   dotnet run -c Release --project bench -- --filter '*Gpu*'

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using FusionScratch.Bench.Support;
using FusionScratch.Kernels;
using FusionScratch.Kernels.Gpu;
using FusionScratch.Models.Backbone;
using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Bench;

/// <summary>Shared by the GPU benchmark classes: the CUDA accelerator, and the line printed when there is none.</summary>
public static class GpuBenchmarks
{
    /// <summary>The benchmark classes that need CUDA.</summary>
    public static readonly Type[] Types = [typeof(GpuGemmBench), typeof(GpuTrainBench)];

    /// <summary>Printed (once) instead of running them on a machine without CUDA.</summary>
    public const string SkipLine = "GPU benchmarks skipped: no CUDA device found by ILGPU (they need an NVIDIA GPU; the CPU simulator is for correctness only)";
}

[Config(typeof(BenchConfig)), BenchmarkCategory("Gpu")]
public class GpuGemmBench : IWork
{
    [Params(4096)]
    public int N = 4096;

    private Accelerator _acc = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> _a = null!, _b = null!, _c = null!;
    private float[] _ha = [], _hb = [], _hc = [];

    public string Unit => "GFLOP/s";

    public double Work(BenchmarkCase benchmarkCase) => 2.0 * N * N * N / 1e9;

    [GlobalSetup]
    public void Setup()
    {
        _acc = Accelerators.Get(GpuKind.Cuda);
        var rng = new Rng(1);
        _ha = Tensor.Rand(new Shape(N, N), rng, -1, 1).ToArray();
        _hb = Tensor.Rand(new Shape(N, N), rng, -1, 1).ToArray();
        _hc = new float[N * N];
        _a = GpuLaunch.Upload(_acc, _ha);
        _b = GpuLaunch.Upload(_acc, _hb);
        _c = GpuLaunch.Zeros(_acc, N * N);
        NaiveResident(); // compiles the three kernels
        TiledResident();
        RegisterBlockedResident();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
        _c.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void NaiveResident()
    {
        MatMulKernels.GpuNaive(_acc, _a.View, false, _b.View, false, N, N, N, 1f, 0f, _c.View);
        _acc.Synchronize();
    }

    [Benchmark]
    public void TiledResident()
    {
        MatMulKernels.GpuTiled(_acc, _a.View, false, _b.View, false, N, N, N, 1f, 0f, _c.View);
        _acc.Synchronize();
    }

    [Benchmark]
    public void RegisterBlockedResident()
    {
        MatMulKernels.GpuRegisterBlocked(_acc, _a.View, false, _b.View, false, N, N, N, 1f, 0f, _c.View);
        _acc.Synchronize();
    }

    /// <summary>Upload A and B, run the register-blocked GEMM, download C: what a caller with host arrays pays.</summary>
    [Benchmark]
    public void RegisterBlockedWithTransfers() => MatMulKernels.GpuRegisterBlocked(_acc, _ha, false, _hb, false, N, N, N, 1f, 0f, _hc);
}

[Config(typeof(BenchConfig)), BenchmarkCategory("Gpu")]
public class GpuTrainBench : IWork
{
    private const int Batch = 128;

    private Sequential _model = null!;
    private Sgd _opt = null!;
    private Tensor _hostX = null!, _deviceX = null!;
    private int[] _labels = [];

    public string Unit => "images/s";

    public double Work(BenchmarkCase benchmarkCase) => Batch;

    [GlobalSetup]
    public void Setup()
    {
        var device = FusionScratch.Tensors.Device.OnGpu(GpuKind.Cuda);
        var rng = new Rng(42);
        _model = ReferenceCnn.Build(rng);
        _model.To(device);
        _opt = new Sgd(_model.Parameters(), lr: 0.01f, momentum: 0.9f);
        _hostX = Tensor.Rand(new Shape(Batch, 1, 28, 28), rng, 0, 1);
        _deviceX = _hostX.To(device);
        _labels = Enumerable.Range(0, Batch).Select(_ => rng.NextInt(10)).ToArray();
        StepResident(); // compiles every kernel of the step
    }

    private float Step(Tensor x)
    {
        _opt.ZeroGrad();
        var loss = Losses.CrossEntropy(_model.Forward(x), _labels);
        loss.Backward();
        _opt.Step();
        return loss.Item(); // a download: waits for the whole step
    }

    [Benchmark(Baseline = true)]
    public float StepResident() => Step(_deviceX);

    [Benchmark]
    public float StepWithUpload() => Step(_hostX.To(_deviceX.Device));
}
