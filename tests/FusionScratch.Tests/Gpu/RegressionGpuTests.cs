// RegressionTrainer with TrainOptions.Device on the GPU — how the LMF study's regression models
// train under `fusion run lmf --device gpu` — against the same training on the CPU: the study's
// LMF model (LmfModels.Build, as the study builds it) at simulator size (modalities of 3, 2 and 4
// features, 16 train rows in batches of 8, two epochs with validation), Adam as in the study.
// Losses per epoch, the trained weights (back on the CPU afterwards) and the test predictions must
// agree within float tolerance. One model kind only: on the CPU simulator every explicitly grouped
// launch is a thread rendezvous, and the other kinds took 15–60 s each here (late and concat are
// plain MLPs, which Trainer's device runs cover; TFN's device ops are checked with their gradients
// in TrainingGpuTests.TensorFusionOuterProduct_GpuMatchesCpu).

using FusionScratch.Kernels.Gpu;
using FusionScratch.Models.Fusion;
using FusionScratch.Models.Optim;
using FusionScratch.Models.Training;
using FusionScratch.Runner.Experiments.Lmf;
using FusionScratch.Tensors;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Gpu;

[Collection(nameof(GpuTests))]
public class RegressionGpuTests
{
    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void RegressionTrainer_OnDevice_MatchesCpuTraining_ForTheLmfModel(GpuKind kind)
    {
        var device = Device.OnGpu(kind);
        int[] dims = [3, 2, 4];
        var (train, val, test) = (Data(16, 1), Data(8, 2), Data(6, 3));
        const string model = "lmf";
        const int rank = 2;
        var (cpuFit, cpuModel, cpuDuring) = Fit(model, rank, dims, train, val, null);
        var (gpuFit, gpuModel, gpuDuring) = Fit(model, rank, dims, train, val, device);
        string at = $"{kind} {model}";
        Assert.Equal(Device.Cpu, cpuDuring);
        Assert.Equal(device, gpuDuring);            // the model was on the device while it trained
        Assert.Equal(Device.Cpu, gpuModel.Device);  // and is back on the CPU afterwards
        Check.Close([.. cpuFit.TrainLoss.Select(v => (float)v)], [.. gpuFit.TrainLoss.Select(v => (float)v)], 1e-5f, 1e-4f, $"{at} train loss");
        Check.Close([.. cpuFit.ValLoss.Select(v => (float)v)], [.. gpuFit.ValLoss.Select(v => (float)v)], 1e-5f, 1e-4f, $"{at} val loss");
        foreach (var ((name, pc), (_, pg)) in cpuModel.NamedParameters().Zip(gpuModel.NamedParameters()))
            Check.Close(pc.ToArray(), pg.ToArray(), 1e-4f, 1e-3f, $"{at} {name}");
        var (pCpu, mseCpu) = RegressionTrainer.Predict(cpuModel, test);
        var (pGpu, mseGpu) = RegressionTrainer.Predict(gpuModel, test);
        Check.Close(pCpu, pGpu, 1e-4f, 1e-3f, $"{at} predictions");
        Check.Close([(float)mseCpu], [(float)mseGpu], 1e-5f, 1e-3f, $"{at} test MSE");
    }

    // Also returns where the model's parameters were at the end of the first epoch.
    private static (TrainResult, BranchFusion, Device?) Fit(string kind, int rank, int[] dims, RegressionData train, RegressionData val, Device? device)
    {
        var model = LmfModels.Build(kind, dims, 1, new Rng(21), rank);
        var options = new TrainOptions { Epochs = 2, BatchSize = 8, Seed = 4, Device = device };
        Device? during = null;
        var fit = RegressionTrainer.Fit(model, new Adam(model.Parameters(), lr: 3e-3f), train, val, options, e => during ??= model.Device);
        return (fit, model, during);
    }

    // y = x0·x3 + x5 − x8 (a cross-modal product, as the study's target has).
    private static RegressionData Data(int rows, int seed)
    {
        var x = Check.Random(rows * 9, seed);
        var y = new float[rows];
        for (int r = 0; r < rows; r++) y[r] = x[9 * r] * x[9 * r + 3] + x[9 * r + 5] - x[9 * r + 8];
        return new RegressionData(x, y, 9);
    }
}
