// The LMF study's models: the fused LMF op against the same layer composed from tensor ops,
// LMF and TFN gradients against finite differences, LMF reproducing TFN exactly when its factors
// come from a CP decomposition of TFN's weight tensor, TFN's memory estimate against what a step
// really holds, the generator's documented properties, every model of the study learning a small
// interaction task, LMF's fusion weights and bias really training, and a --quick run of
// `fusion run lmf` end to end.

using FusionScratch.Models.Data;
using FusionScratch.Models.Fusion;
using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Models.Synthetic;
using FusionScratch.Models.Training;
using FusionScratch.Runner.Experiments.Lmf;
using FusionScratch.Runner.Reports;
using FusionScratch.Tensors;
using FusionScratch.Tests.Products;
using FusionScratch.Tests.Runner;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Lmf;

public class LowRankFusionModuleTests
{
    private static Tensor[] Inputs(int batch, int[] dims, ulong seed, bool grad = true)
    {
        var rng = new Rng(seed);
        return [.. dims.Select(d => grad ? Tensor.Rand(new Shape(batch, d), rng, -1, 1).RequireGrad() : Tensor.Rand(new Shape(batch, d), rng, -1, 1))];
    }

    [Fact]
    public void FusedOp_MatchesComposedOps_OutputAndEveryGradient()
    {
        int[] dims = [5, 3, 7];
        var layer = new LowRankFusion(dims, 3, 4, new Rng(1));
        var z = Inputs(9, dims, 2);
        var seedGrad = Tensor.Rand(new Shape(9, 4), new Rng(3), -1, 1);
        (float[] Y, float[][] Grads) Pass(bool fused)
        {
            layer.Fused = fused;
            layer.ZeroGrad();
            foreach (var t in z) t.Grad = null;
            var y = layer.Forward(z);
            y.Backward(seedGrad);
            return (y.ToArray(), [.. z.Select(t => t.Grad!.ToArray()), .. layer.Parameters().Select(p => p.Grad!.ToArray())]);
        }
        var composed = Pass(false);
        var fused = Pass(true);
        Check.Close(composed.Y, fused.Y, 1e-5f, 1e-4f, "output");
        for (int i = 0; i < composed.Grads.Length; i++) Check.Close(composed.Grads[i], fused.Grads[i], 1e-5f, 1e-4f, $"gradient {i}");
    }

    [Fact]
    public void LowRankFusion_Gradients_MatchFiniteDifferences()
    {
        int[] dims = [3, 2, 2];
        var layer = new LowRankFusion(dims, 2, 3, new Rng(4));
        var z = Inputs(4, dims, 5);
        GradCheck.Check(x => layer.Forward([x[0], x[1], x[2]]), [.. z, .. layer.Parameters()]);
    }

    [Fact]
    public void TensorFusion_Gradients_MatchFiniteDifferences()
    {
        int[] dims = [2, 3, 2];
        var layer = new TensorFusion(dims, 2, new Rng(6));
        var z = Inputs(3, dims, 7);
        GradCheck.Check(x => layer.Forward([x[0], x[1], x[2]]), [.. z, .. layer.Parameters()]);
    }

    [Fact]
    public void FullRankLmf_FromCpDecompositionOfTfnWeights_ReproducesTfn()
    {
        // TFN's weight tensor W[h, i0, i1, i2] (indices of the 1-extended vectors, i2 fastest) has
        // the exact CP decomposition W[h] = Σ_{(a,b)} e_a ⊗ e_b ⊗ W[h, a, b, :] with one term per
        // (a, b) pair: R = (D0+1)(D1+1). As LMF factors: W_0[i, r, h] = [i = a_r],
        // W_1[i, r, h] = [i = b_r], W_2[i, r, h] = W[h, a_r, b_r, i], fusion weights 1, TFN's bias.
        int[] dims = [2, 1, 3];
        const int H = 2, B = 7;
        var tfn = new TensorFusion(dims, H, new Rng(8));
        tfn.Linear.Bias!.Span.Fill(0.3f); // a nonzero bias, so it is carried over too
        int n0 = dims[0] + 1, n1 = dims[1] + 1, n2 = dims[2] + 1, R = n0 * n1, P = n0 * n1 * n2;
        var lmf = new LowRankFusion(dims, R, H, new Rng(9));
        var w = tfn.Linear.Weight.ToArray(); // (H, P)
        Span<float> f0 = lmf.Factors[0].Span, f1 = lmf.Factors[1].Span, f2 = lmf.Factors[2].Span;
        f0.Clear();
        f1.Clear();
        for (int a = 0; a < n0; a++)
            for (int b = 0; b < n1; b++)
            {
                int r = a * n1 + b;
                for (int h = 0; h < H; h++)
                {
                    f0[(a * R + r) * H + h] = 1;
                    f1[(b * R + r) * H + h] = 1;
                    for (int i = 0; i < n2; i++) f2[(i * R + r) * H + h] = w[h * P + (a * n1 + b) * n2 + i];
                }
            }
        lmf.FusionWeights.Span.Fill(1);
        tfn.Linear.Bias.Span.CopyTo(lmf.FusionBias.Span);

        var z = Inputs(B, dims, 10, grad: false);
        using var _ = Tensor.NoGrad();
        var expected = tfn.Forward(z).ToArray();
        Check.Close(expected, lmf.Forward(z).ToArray(), 1e-5f, 1e-4f, "fused LMF vs TFN");
        lmf.Fused = false;
        Check.Close(expected, lmf.Forward(z).ToArray(), 1e-5f, 1e-4f, "composed LMF vs TFN");
    }

    [Fact]
    public void TensorFusion_MemoryEstimate_BoundsWhatAStepHolds()
    {
        foreach (bool inputGrads in new[] { false, true })
        {
            int[] dims = [6, 5, 7];
            var step = new FusionLayerStep("tfn", dims, 4, 3, 8, inputGrads, 11);
            step.Run();
            step.Run();
            long measured = step.PeakBytes(), estimate = TensorFusion.EstimateStepBytes(dims, 3, 8, inputGrads);
            Assert.True(measured <= estimate && measured >= estimate / 2, // an upper bound, and not a loose one
                $"input gradients {inputGrads}: measured {measured} B, estimated {estimate} B");
        }
    }

    [Fact]
    public void ParameterCounts_MatchTheModules()
    {
        int[] dims = [4, 3, 5];
        Assert.Equal(LowRankFusion.CountParameters(dims, 3, 2), new LowRankFusion(dims, 3, 2, new Rng(1)).ParameterCount());
        Assert.Equal(TensorFusion.CountParameters(dims, 2), new TensorFusion(dims, 2, new Rng(1)).ParameterCount());
        // The target shape: (128, 64, 300), rank 4, 32 outputs.
        Assert.True(TensorFusion.CountParameters([128, 64, 300], 32) >= 100 * LowRankFusion.CountParameters([128, 64, 300], 4, 32));
    }
}

public class LmfModelsLearnTests
{
    private static readonly TrimodalWorld World = TrimodalWorld.Generate(new TrimodalWorldOptions { Samples = 2_400, Dims = [12, 8, 20], Seed = 3 });

    [Fact]
    public void Generator_IsDeterministic_AndFollowsItsDocumentedProcess()
    {
        var again = TrimodalWorld.Generate(World.Options);
        Assert.Equal(World.X, again.X);
        Assert.Equal(World.Y, again.Y);
        Assert.NotEqual(World.Y, TrimodalWorld.Generate(World.Options with { Seed = 4 }).Y);
        double mean = World.Y.Average(v => (double)v), variance = World.Y.Average(v => (v - mean) * (v - mean));
        Assert.InRange(variance, 0.8, 1.3);                                              // signal 1 + noise 0.04
        var counts = Enumerable.Range(0, 4).Select(c => World.Class.Count(k => k == c)).ToArray();
        Assert.All(counts, c => Assert.InRange(c, World.Samples / 4 - 2, World.Samples / 4 + 2)); // quartiles
    }

    private static (RegressionData Train, RegressionData Test) Split()
    {
        var all = new RegressionData(World.X, World.Y, World.Features);
        int[] rows = [.. Enumerable.Range(0, World.Samples)];
        return (all.Take(rows.AsSpan(0, 2_000)), all.Take(rows.AsSpan(2_000)));
    }

    private static (double First, double Last, double Test, BranchFusion Model) Train(string kind, int epochs, int rank = 4)
    {
        var (train, test) = Split();
        var model = LmfModels.Build(kind, World.Dims, 1, new Rng(5), rank);
        var fit = RegressionTrainer.Fit(model, new Adam(model.Parameters(), lr: 3e-3f), train, null, new TrainOptions { Epochs = epochs, BatchSize = 64, Seed = 6 });
        return (fit.TrainLoss[0], fit.TrainLoss[^1], RegressionTrainer.Predict(model, test).Mse, model);
    }

    [Theory]
    [InlineData("late")]
    [InlineData("concat")]
    [InlineData("tfn")]
    [InlineData("lmf")]
    public void EveryModel_TrainingLossDecreases(string kind)
    {
        var (first, last, _, _) = Train(kind, 6);
        Assert.True(last < 0.9 * first, $"{kind}: train MSE {first:0.000} → {last:0.000}");
    }

    [Fact]
    public void Lmf_And_Tfn_LearnTheInteraction_ThatLateFusionCannot()
    {
        var lmf = Train("lmf", 15);
        var tfn = Train("tfn", 15);
        var late = Train("late", 15);
        Assert.True(lmf.Test < 0.5 && tfn.Test < 0.5, $"test MSE: lmf {lmf.Test:0.000}, tfn {tfn.Test:0.000}");
        Assert.True(late.Test > 1.5 * Math.Max(lmf.Test, tfn.Test), $"late fusion {late.Test:0.000} vs lmf {lmf.Test:0.000}, tfn {tfn.Test:0.000}");
    }

    [Fact]
    public void Lmf_FusionWeightsAndBias_ReceiveGradients_AndChange()
    {
        var rng = new Rng(7);
        var layer = new LowRankFusion([8, 8, 8], 4, 1, rng);
        var model = new BranchFusion(World.Dims, [.. World.Dims.Select(d => (Module<Tensor, Tensor>)new Linear(d, 8, rng))], layer);
        Assert.Contains(layer.FusionWeights, model.Parameters());
        Assert.Contains(layer.FusionBias, model.Parameters());
        float[] w0 = layer.FusionWeights.ToArray(), b0 = layer.FusionBias.ToArray();
        var (train, _) = Split();
        var opt = new Adam(model.Parameters(), lr: 1e-2f);
        var x = Tensor.FromArray(train.X.AsSpan(0, 64 * train.Features).ToArray(), 64, train.Features);
        var y = Tensor.FromArray(train.Y.AsSpan(0, 64).ToArray(), 64, 1);
        for (int step = 0; step < 3; step++)
        {
            opt.ZeroGrad();
            Losses.Mse(model.Forward(x), y).Backward();
            Assert.True(layer.FusionWeights.Grad!.ToArray().Any(g => g != 0), "fusion weights got a zero gradient");
            Assert.True(layer.FusionBias.Grad!.ToArray().Any(g => g != 0), "fusion bias got a zero gradient");
            opt.Step();
        }
        Assert.NotEqual(w0, layer.FusionWeights.ToArray());
        Assert.NotEqual(b0, layer.FusionBias.ToArray());
    }
}

[Collection("Console")]
public sealed class LmfRunTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fusion-lmf-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public void QuickRun_WritesReportPlotsAndResults_AndStopsTfnGracefully()
    {
        // the products task's images: a stand-in Fashion-MNIST of 700 generated images as IDX files where Datasets.Load looks first
        string dataDir = Path.Combine(_out, "data");
        Directory.CreateDirectory(Path.Combine(dataDir, "fashion-mnist"));
        var (pixels, labels) = ToyImages.Make(700, 9);
        Idx.WriteImages(Path.Combine(dataDir, "fashion-mnist", "train-images-idx3-ubyte"), pixels, 700, 28, 28);
        Idx.WriteLabels(Path.Combine(dataDir, "fashion-mnist", "train-labels-idx1-ubyte"), labels);
        var (code, output, err) = RunnerHarness.Run("run", "lmf", "--quick", "--threads", "1", "--seed", "2", "--data-dir", dataDir, "--out", _out);
        Assert.True(code == 0, err + output);
        var r = ResultsDocument.Load(Path.Combine(_out, "results.json"));
        Assert.Equal("lmf", r.Experiment);
        foreach (var model in new[] { "late", "concat", "tfn", "lmf-r1", "lmf-r4" })
        {
            Assert.Contains(r.Runs, x => x.Model == model && x.Variant == "regression" && x.Metrics["test_mse"] is > 0 and < 10);
            Assert.Contains(r.Runs, x => x.Model == model && x.Variant == "classification" && x.TestAccuracy is >= 0 and <= 1);
        }
        foreach (var model in new[] { "late", "concat", "tfn", "lmf-r4" })
            foreach (var target in new[] { "products-category", "products-match" })
                Assert.Contains(r.Runs, x => x.Model == model && x.Variant == target && x.TestAccuracy is >= 0 and <= 1 && x.MacroF1 is >= 0 and <= 1);
        Assert.Contains(r.Runs, x => x.Model == "bayes-ceiling" && x.TestAccuracy is > 0.6 and < 0.9);
        Assert.Contains(r.Runs, x => x.Model == "class-ceiling" && x.Variant == "products-match" && x.TestAccuracy is > 0.5 and <= 1);
        Assert.Contains(r.Data.Real, s => s.Contains("Fashion-MNIST"));
        Assert.Contains(r.Runs, x => x.Model == "tfn-layer" && x.Metrics.GetValueOrDefault("stopped") == 1);   // over the quick budget
        Assert.Contains(r.Runs, x => x.Model == "tfn-layer" && x.Metrics.ContainsKey("peak_bytes"));             // and one that fitted
        foreach (var file in new[] { "report.md", "loss_curves_regression.png", "loss_curves_classification.png", "rank_sweep_error.png",
                                     "rank_sweep_params.png", "scaling_params.png", "scaling_time.png", "scaling_memory.png", "products_accuracy.png" })
            Assert.True(File.Exists(Path.Combine(_out, file)), file);
        string report = File.ReadAllText(Path.Combine(_out, "report.md"));
        Assert.Contains("TFN stopped", report);
        Assert.Contains("Rank sweep", report);
        Assert.Contains("Bayes ceiling", report);
        Assert.Contains("The real tri-modal task: products", report);
    }
}
