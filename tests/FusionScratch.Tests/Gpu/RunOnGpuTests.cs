// `fusion run <study> --device gpu`: the study's network trains on the device (CUDA, else ILGPU's
// CPU accelerator with a one-line warning), results.json names the device, and the metrics agree
// with the CPU run of the same seed (the same float operations up to reduction order).

using FusionScratch.Kernels.Gpu;
using FusionScratch.Runner.Experiments;
using FusionScratch.Runner.Reports;
using FusionScratch.Tests.Runner;

namespace FusionScratch.Tests.Gpu;

[Collection("Console")]
public sealed class RunOnGpuTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fusion-gpu-run-tests-" + Guid.NewGuid().ToString("N"));

    // The spirals study at 16 points per class and 2 epochs (one batch each): the CPU simulator
    // runs every explicitly grouped kernel thread by thread, so the full quick study takes minutes.
    public RunOnGpuTests() => ExperimentRegistry.Register(new SpiralsExperiment("spirals-tiny", quickPerClass: 16, quickEpochs: 2));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Run_DeviceGpu_TrainsOnTheDevice_AndMatchesTheCpuRun()
    {
        string cpuDir = Path.Combine(_dir, "cpu"), gpuDir = Path.Combine(_dir, "gpu");
        var cpu = RunnerHarness.Run(["run", "spirals-tiny", "--quick", "--threads", "1", "--out", cpuDir]);
        var gpu = RunnerHarness.Run(["run", "spirals-tiny", "--quick", "--threads", "1", "--out", gpuDir, "--device", "gpu"]);
        Assert.True(cpu.Code == 0, cpu.Err);
        Assert.True(gpu.Code == 0, gpu.Err);
        var all = gpu.Out + gpu.Err;
        if (!Accelerators.HasCuda)
            Assert.Single(all.Split('\n'), line => line.Contains("no CUDA device found"));
        var rc = ResultsDocument.Load(Path.Combine(cpuDir, "results.json"));
        var rg = ResultsDocument.Load(Path.Combine(gpuDir, "results.json"));
        Assert.Equal("cpu", rc.Device);
        Assert.Equal(Accelerators.HasCuda ? "gpu:cuda" : "gpu:cpu-sim", rg.Device);
        foreach (var (a, b) in rc.Runs.Zip(rg.Runs))
            Assert.InRange(Math.Abs(a.TestAccuracy - b.TestAccuracy), 0, 0.02);
    }
}
