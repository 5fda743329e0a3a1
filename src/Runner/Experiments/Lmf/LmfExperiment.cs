// `fusion run lmf` — low-rank multimodal fusion (LMF) versus tensor fusion (TFN) and concatenation:
// the second half of "From MKL to low-rank tensors".
//
//   1. data      TrimodalWorld: visual 128, audio 64, text 300 features generated from hidden
//                latents, with a regression target built from cross-modal products and its
//                quartile as a 4-class target (the generator's header has the formulas)
//   2. models    late fusion, concatenation, TFN and LMF of ranks 1…16 behind the same encoders
//                (LmfModels), trained on both targets for several seeds (a new stratified split
//                and initialisation per seed): loss curves, the headline comparison, and the rank
//                sweep (test error and parameters against the rank). LMF's "best rank" is chosen
//                on the validation split, never on the test split. The classification version's
//                Bayes ceiling (from the generator), each regression model cut at the quartiles,
//                and the classifiers again on a 4× larger world: what limits that version.
//   3. products  the real tri-modal task (ProductTask, LmfExperiment.Products.cs): Fashion-MNIST
//                products with a CNN image embedding, catalog metadata and a bag of words of the
//                name; the Fashion-MNIST class and an image–listing match as targets
//   4. scaling   parameters, fwd+bwd time and peak memory of a bare LMF layer and a bare TFN layer
//                (batch 32, rank 4, output 32) as every modality grows by the same factor; TFN's
//                memory is estimated before it is built, and where the estimate exceeds the
//                budget it is reported as stopped, never allocated. Then the fused LMF op against
//                the same layer composed from tensor ops, at the benchmark's batch 256.
//
// Quick mode (--quick): 1 500 samples, one seed, 5 epochs, ranks 1 and 4, no 4× check; products
// capped at 600 / 150 / 300 rows with a one-epoch CNN; two small scaling sizes with a 16 MiB TFN
// budget (so the "stopped" path runs too): a smoke run in seconds.

using FusionScratch.Models.Data;
using FusionScratch.Models.Fusion;
using FusionScratch.Models.Metrics;
using FusionScratch.Models.Optim;
using FusionScratch.Models.Synthetic;
using FusionScratch.Models.Training;
using FusionScratch.Runner.Bench;
using FusionScratch.Runner.Reports;
using FusionScratch.Tensors;

namespace FusionScratch.Runner.Experiments.Lmf;

public sealed partial class LmfExperiment : IExperiment
{
    public string Name => "lmf";
    public string Title => "Low-rank multimodal fusion versus tensor fusion: interactions, rank and scaling";

    /// <summary>Modality sizes of the seed's setting: visual, audio, text.</summary>
    public static readonly int[] SeedDims = [128, 64, 300];

    /// <summary>LargerSamples: the classification data-size check (0 = skipped). Products: the tri-modal products task.</summary>
    private sealed record Config(int Samples, int Seeds, int Epochs, int Patience, int[] Ranks, double[] Scales, long TfnBudgetBytes, double TimeBudget,
        int LargerSamples, ProductsConfig Products);

    /// <summary>Caps of the products split, the embedding CNN's epochs, the fusion models' epochs / patience and LMF ranks.</summary>
    private sealed record ProductsConfig(int MaxTrain, int MaxVal, int MaxTest, int ImageEpochs, int Epochs, int Patience, int[] Ranks);

    private static Config ConfigFor(bool quick) => quick
        ? new Config(1_500, 1, 5, 0, [1, 4], [0.125, 0.25], 16L << 20, 0.05, 0, new ProductsConfig(600, 150, 300, 1, 5, 0, [4]))
        : new Config(8_000, 3, 40, 8, [1, 2, 4, 8, 16], [0.125, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 4], TfnBudget(), 0.4, 32_000,
            new ProductsConfig(12_000, 3_000, 6_000, 2, 30, 5, [4, 16]));

    /// <summary>2 GiB, or 40 % of the memory the runtime may use if that is less.</summary>
    private static long TfnBudget() => Math.Min(2L << 30, (long)(0.4 * GC.GetGCMemoryInfo().TotalAvailableMemoryBytes));

    // Scaling-study layer: batch, rank, outputs.
    private const int ScaleBatch = 32, ScaleRank = 4, ScaleOut = 32;

    /// <summary>One model variant of the study: a kind and, for LMF, its rank.</summary>
    private sealed record Variant(string Kind, int Rank)
    {
        public string Key => Kind == "lmf" ? $"lmf-r{Rank}" : Kind;
    }

    /// <summary>What the variants scored over the seeds.</summary>
    private sealed class Scores
    {
        public readonly List<double> TestMse = [], ValMse = [], Accuracy = [], MacroF1 = [], ValAccuracy = [], ClassTrainAccuracy = [], ThresholdAccuracy = [];
        public double RegressionSeconds, ClassSeconds;
        public long Parameters, FusionParameters;
    }

    public void Run(RunContext ctx)
    {
        var config = ConfigFor(ctx.Options.Quick);

        // ── 1. data ────────────────────────────────────────────────────────────────────────────
        var world = TrimodalWorld.Generate(new TrimodalWorldOptions { Samples = config.Samples, Seed = ctx.SeedFor("world") });
        int[] dims = world.Dims;
        int features = world.Features;
        var labels = world.Class.Select(c => (int)c).ToArray();
        ctx.Data = new DataDescription
        {
            Summary = "The seed's synthetic tri-modal setting: per sample a visual (128), an audio (64) and a text (300) feature vector, " +
                      "with a regression target that depends on multiplicative interactions across the modalities, and its quartile as a 4-class target.",
            Generated =
            [
                $"TrimodalWorld (seed {ctx.SeedFor("world")} derived from --seed {ctx.Options.Seed}): hidden latents s_v, s_a, s_t ∈ R^4 ~ N(0, I); " +
                "x_m = s_m·A_m + 0.5·ε with fixed random A_m (4 × D_m); u_j = a_j·s_v, v_j = b_j·s_a, t_j = c_j·s_t for fixed unit directions",
                $"regression: {TrimodalWorld.RegressionFormula} (noise floor of the MSE: 0.04)",
                $"classification: {TrimodalWorld.ClassFormula}",
            ],
            Split = $"stratified by class, 70 % train / 15 % validation / 15 % test, a new split and initialisation for each of {config.Seeds} seed(s) (derived from --seed)",
            Sizes = new() { ["samples"] = world.Samples, ["visual"] = dims[0], ["audio"] = dims[1], ["text"] = dims[2] },
        };

        // ── 2. models ──────────────────────────────────────────────────────────────────────────
        Variant[] variants = [new("late", 0), new("concat", 0), new("tfn", 0), .. config.Ranks.Select(r => new Variant("lmf", r))];
        var scores = variants.ToDictionary(v => v.Key, _ => new Scores());
        var trainCurves = new List<Plots.Series>();
        var valCurves = new List<Plots.Series>();
        var classCurves = new List<Plots.Series>();
        for (int seed = 0; seed < config.Seeds; seed++)
        {
            var split = Splits.Stratified(world.Class, 0.70, 0.15, 0.15, ctx.SeedFor($"split{seed}"));
            var all = new RegressionData(world.X, world.Y, features);
            var (train, val, test) = (all.Take(split.Train), all.Take(split.Val), all.Take(split.Test));
            train.Validate("regression train");
            LabeledData Labeled(int[] rows, RegressionData part) => new(part.X, [.. rows.Select(r => labels[r])], [features], TrimodalWorld.Classes);
            var (ctrain, cval, ctest) = (Labeled(split.Train, train), Labeled(split.Val, val), Labeled(split.Test, test));

            foreach (var v in variants)
            {
                var s = scores[v.Key];
                // regression (MSE)
                string key = $"regression-{v.Key}-seed{seed}";
                var model = LmfModels.Build(v.Kind, dims, 1, new Rng(ctx.SeedFor("init-" + key)), v.Rank);
                s.Parameters = model.ParameterCount();
                s.FusionParameters = model.NamedParameters().Where(p => !p.Name.StartsWith("branch")).Sum(p => (long)p.Value.Numel);
                // No checkpoints for these many small fits (unlike ctx.TrainOptions), but the run's
                // --device: on gpu, RegressionTrainer trains the model there and brings it back.
                var options = new TrainOptions
                {
                    Epochs = config.Epochs, BatchSize = 64, Seed = ctx.SeedFor(key), Patience = config.Patience, Device = ctx.TensorDevice,
                };
                TrainResult fit;
                using (var bar = ctx.Progress.Start(key, config.Epochs))
                {
                    fit = RegressionTrainer.Fit(model, new Adam(model.Parameters(), lr: 3e-3f), train, val, options,
                        e => bar.Update(e.Epoch, $"epoch {e.Epoch}/{e.Epochs}  train MSE {e.TrainLoss:0.0000}  val MSE {e.ValLoss:0.0000}"), ctx.Cancel);
                    bar.Update(config.Epochs, fit.StoppedEarly ? $"stopped early at epoch {fit.EpochsRun} (best {fit.BestEpoch})" : "done");
                }
                var (predicted, testMse) = RegressionTrainer.Predict(model, test);
                s.TestMse.Add(testMse);
                s.ThresholdAccuracy.Add(ThresholdAccuracy(predicted, TrimodalWorld.Quartiles(train.Y), ctest.Y));
                s.ValMse.Add(fit.ValLoss[fit.BestEpoch - 1]);
                s.RegressionSeconds += fit.Seconds;
                if (seed == 0)
                {
                    trainCurves.Add(new Plots.Series(v.Key, Epochs(fit.TrainLoss.Count), [.. fit.TrainLoss]));
                    valCurves.Add(new Plots.Series(v.Key, Epochs(fit.ValLoss.Count), [.. fit.ValLoss]));
                }

                // classification (cross-entropy, through the checkpointed Trainer)
                key = $"class-{v.Key}-seed{seed}";
                var classifier = LmfModels.Build(v.Kind, dims, TrimodalWorld.Classes, new Rng(ctx.SeedFor("init-" + key)), v.Rank);
                var opt = new Adam(classifier.Parameters(), lr: 3e-3f);
                var classOptions = ctx.TrainOptions(key, config.Epochs, 64) with { Patience = config.Patience };
                var cfit = ctx.Train(key, (o, onEpoch, cancel) => Trainer.Fit(classifier, opt, ctrain, cval, o, onEpoch, cancel), classOptions);
                var report = ClassificationReport.From(ctest.Y, Trainer.Predict(classifier, ctest).Labels, TrimodalWorld.Classes);
                s.Accuracy.Add(report.Accuracy);
                s.MacroF1.Add(report.MacroF1);
                s.ValAccuracy.Add(cfit.ValAccuracy[cfit.BestEpoch - 1]);
                s.ClassTrainAccuracy.Add(Trainer.Accuracy(Trainer.Predict(classifier, ctrain).Labels, ctrain.Y));
                s.ClassSeconds += cfit.Seconds;
                if (seed == 0) classCurves.Add(new Plots.Series(v.Key, Epochs(cfit.TrainLoss.Count), [.. cfit.TrainLoss]));
            }
        }
        ReportModels(ctx, config, variants, scores);
        ClassificationCeiling(ctx, config, world, variants, scores);
        Plots.Lines(ctx.PathFor("loss_curves_regression.png"), "regression: training MSE per epoch (seed 0)", "epoch", "train MSE", trainCurves, logY: true);
        Plots.Lines(ctx.PathFor("validation_curves_regression.png"), "regression: validation MSE per epoch (seed 0)", "epoch", "validation MSE", valCurves, logY: true);
        Plots.Lines(ctx.PathFor("loss_curves_classification.png"), "classification: training cross-entropy per epoch (seed 0)", "epoch", "train loss", classCurves, logY: true);
        ctx.Report.Heading("Loss curves", 3)
            .Image("loss_curves_regression.png", "training MSE per epoch")
            .Image("validation_curves_regression.png", "validation MSE per epoch")
            .Image("loss_curves_classification.png", "training cross-entropy per epoch");

        // ── 3. the real tri-modal task: products ──────────────────────────────────────────────────
        Products(ctx, config);

        // ── 4. scaling ─────────────────────────────────────────────────────────────────────────
        Scaling(ctx, config);
        FusedVersusComposed(ctx, config);

    }

    // ── report: models and rank sweep ──────────────────────────────────────────────────────────

    private static void ReportModels(RunContext ctx, Config config, Variant[] variants, Dictionary<string, Scores> scores)
    {
        var lmf = variants.Where(v => v.Kind == "lmf").ToArray();
        // Best rank by validation error (never by test error).
        var bestReg = lmf.MinBy(v => scores[v.Key].ValMse.Average())!;
        var bestCls = lmf.MaxBy(v => scores[v.Key].ValAccuracy.Average())!;
        string[] headlineKeys = ["late", "concat", "tfn"];
        var tfn = scores["tfn"];
        double tfnMse = tfn.TestMse.Average(), tfnErr = 1 - tfn.Accuracy.Average();

        foreach (var v in variants)
        {
            var s = scores[v.Key];
            var (mse, mseCi) = Stats.MeanCi(s.TestMse);
            var (acc, accCi) = Stats.MeanCi(s.Accuracy);
            var (f1, _) = Stats.MeanCi(s.MacroF1);
            var metrics = new Dictionary<string, double>
            {
                ["params"] = s.Parameters, ["fusion_params"] = s.FusionParameters, ["seeds"] = s.TestMse.Count,
                ["val_mse"] = s.ValMse.Average(), ["val_accuracy"] = s.ValAccuracy.Average(),
            };
            if (v.Kind == "lmf") metrics["rank"] = v.Rank;
            ctx.Runs.Add(new RunRecord
            {
                Model = v.Key, Modality = "visual+audio+text", Variant = "regression", TestAccuracy = double.NaN, MacroF1 = double.NaN,
                Metrics = new(metrics) { ["test_mse"] = mse, ["test_mse_ci95"] = mseCi, ["test_mse_relative_to_tfn"] = mse / tfnMse },
                TrainSeconds = s.RegressionSeconds,
            });
            ctx.Runs.Add(new RunRecord
            {
                Model = v.Key, Modality = "visual+audio+text", Variant = "classification", TestAccuracy = acc, MacroF1 = f1,
                Metrics = new(metrics) { ["accuracy_ci95"] = accCi, ["test_error_relative_to_tfn"] = (1 - acc) / tfnErr },
                TrainSeconds = s.ClassSeconds,
            });
        }

        string Mean(List<double> values, string format)
        {
            var (m, h) = Stats.MeanCi(values);
            return double.IsNaN(h) ? m.ToString(format) : $"{m.ToString(format)} ± {h.ToString(format)}";
        }
        var headline = new MarkdownTable("model", "parameters (fusion part)", "regression test MSE", "MSE / TFN's", "classification test accuracy", "error / TFN's", "macro F1", "train s");
        void Row(string label, Scores s) => headline.Add(label, $"{s.Parameters:N0} ({s.FusionParameters:N0})",
            Mean(s.TestMse, "0.0000"), $"{s.TestMse.Average() / tfnMse:0.00}", Mean(s.Accuracy, "0.000"),
            $"{(1 - s.Accuracy.Average()) / tfnErr:0.00}", $"{s.MacroF1.Average():0.000}", $"{s.RegressionSeconds + s.ClassSeconds:0.0}");
        foreach (var k in headlineKeys) Row(k, scores[k]);
        Row($"lmf, rank {bestReg.Rank} (best on validation, regression)", scores[bestReg.Key]);
        if (bestCls != bestReg) Row($"lmf, rank {bestCls.Rank} (best on validation, classification)", scores[bestCls.Key]);

        double lmfMse = scores[bestReg.Key].TestMse.Average(), concatMse = scores["concat"].TestMse.Average();
        double lmfErr = 1 - scores[bestCls.Key].Accuracy.Average(), concatErr = 1 - scores["concat"].Accuracy.Average();
        double relMse = lmfMse / tfnMse - 1, relErr = lmfErr / tfnErr - 1;
        ctx.Report.Summary = $"Interaction task: LMF (rank {bestReg.Rank}) test MSE {lmfMse:0.0000} vs TFN {tfnMse:0.0000} ({relMse * 100:+0.0;-0.0} %) " +
                             $"and concatenation {concatMse:0.0000}; at (128, 64, 300) see the scaling table.";
        ctx.Report.Heading("LMF, TFN and concatenation on the interaction task")
            .Paragraph(string.Join(" ", LmfModels.Descriptions.Select(d => $"**{d.Kind}** — {d.Description}."))
                       + $" Adam (lr 0.003), batch 64, up to {config.Epochs} epochs" + (config.Patience > 0 ? $", early stopping on the validation split (patience {config.Patience}, best weights restored)" : "")
                       + $"; {config.Seeds} seed(s), mean ± 95 % CI over seeds. \"Parameters (fusion part)\" counts everything but the modality encoders.")
            .Table(headline, headline: true)
            .Paragraph($"**Target — LMF within 5 % relative test error of TFN:** regression {lmfMse:0.0000} vs {tfnMse:0.0000}, " +
                       $"{relMse * 100:+0.0;-0.0} % ({(relMse <= 0.05 ? "met" : "not met")}); classification error {lmfErr:0.000} vs {tfnErr:0.000}, " +
                       $"{relErr * 100:+0.0;-0.0} % ({(relErr <= 0.05 ? "met" : "not met")}). " +
                       $"**Both clearly better than concatenation** (read here as: concatenation's error at least 1.5× theirs): " +
                       $"concatenation's MSE is {concatMse / tfnMse:0.0}× TFN's and {concatMse / lmfMse:0.0}× LMF's " +
                       $"({(concatMse >= 1.5 * Math.Max(tfnMse, lmfMse) ? "met" : "not met")}); its classification error is " +
                       $"{concatErr / tfnErr:0.0}× TFN's and {concatErr / lmfErr:0.0}× LMF's ({(concatErr >= 1.5 * Math.Max(tfnErr, lmfErr) ? "met" : "not met")}).");

        // Rank sweep.
        var sweep = new MarkdownTable("rank", "parameters (fusion part)", "regression test MSE", "validation MSE", "classification test accuracy", "validation accuracy");
        foreach (var v in lmf)
        {
            var s = scores[v.Key];
            sweep.Add(v.Rank, $"{s.Parameters:N0} ({s.FusionParameters:N0})", Mean(s.TestMse, "0.0000"), $"{s.ValMse.Average():0.0000}",
                Mean(s.Accuracy, "0.000"), $"{s.ValAccuracy.Average():0.000}");
        }
        sweep.Add("TFN (full)", $"{tfn.Parameters:N0} ({tfn.FusionParameters:N0})", Mean(tfn.TestMse, "0.0000"), $"{tfn.ValMse.Average():0.0000}",
            Mean(tfn.Accuracy, "0.000"), $"{tfn.ValAccuracy.Average():0.000}");
        double[] ranks = [.. lmf.Select(v => (double)v.Rank)];
        double[] Flat(double y) => [.. ranks.Select(_ => y)];
        Plots.Lines(ctx.PathFor("rank_sweep_error.png"), "test error against LMF rank (regression)", "rank", "test MSE",
        [
            new("LMF", ranks, [.. lmf.Select(v => scores[v.Key].TestMse.Average())]),
            new("TFN", ranks, Flat(tfnMse)),
            new("concatenation", ranks, Flat(concatMse)),
            new("late fusion", ranks, Flat(scores["late"].TestMse.Average())),
        ], logY: true, logX: true);
        Plots.Lines(ctx.PathFor("rank_sweep_params.png"), "fusion parameters against LMF rank (encoders 8 wide, 1 output)", "rank", "parameters",
        [
            new("LMF", ranks, [.. lmf.Select(v => (double)scores[v.Key].FusionParameters)]),
            new("TFN", ranks, Flat(tfn.FusionParameters)),
        ], logY: true, logX: true);
        ctx.Report.Heading("Rank sweep", 3)
            .Paragraph("Every LMF rank trained on the same splits and seeds; the best rank is chosen on the validation split.")
            .Table(sweep)
            .Image("rank_sweep_error.png", "test MSE against rank")
            .Image("rank_sweep_params.png", "parameters against rank");
    }

    // ── the classification version: its Bayes ceiling, and what limits the models ─────────────

    /// <summary>Accuracy of a regression model's predictions cut at the train split's quartiles.</summary>
    internal static double ThresholdAccuracy(float[] predicted, float[] thresholds, int[] truth)
    {
        int correct = 0;
        for (int i = 0; i < truth.Length; i++) if (TrimodalWorld.ClassOf(predicted[i], thresholds) == truth[i]) correct++;
        return truth.Length == 0 ? double.NaN : correct / (double)truth.Length;
    }

    private static void ClassificationCeiling(RunContext ctx, Config config, TrimodalWorld world, Variant[] variants, Dictionary<string, Scores> scores)
    {
        double ceiling = world.ClassCeiling();
        var table = new MarkdownTable("model", "test accuracy (cross-entropy)", "train accuracy (cross-entropy)", "regression model cut at the train quartiles", "Bayes ceiling");
        foreach (var v in variants)
        {
            var s = scores[v.Key];
            table.Add(v.Key, $"{s.Accuracy.Average():0.000}", $"{s.ClassTrainAccuracy.Average():0.000}", $"{s.ThresholdAccuracy.Average():0.000}", $"{ceiling:0.000}");
        }
        var lmf = variants.Where(v => v.Kind == "lmf").ToArray();
        var bestReg = lmf.MinBy(v => scores[v.Key].ValMse.Average())!;
        double overfit = variants.Max(v => scores[v.Key].ClassTrainAccuracy.Average());
        ctx.Runs.Add(new RunRecord
        {
            Model = "bayes-ceiling", Modality = "visual+audio+text", Variant = "classification", TestAccuracy = ceiling, MacroF1 = double.NaN,
            Metrics = new() { ["target_noise"] = world.Options.TargetNoise, ["samples"] = world.Samples },
        });
        ctx.Report.Heading("The classification version: ceiling and what limits the models", 3)
            .Paragraph($"The quartile target has a **Bayes ceiling of {ceiling:0.000}**: a model that knew every latent exactly still loses the samples the target " +
                       $"noise (σ = {world.Options.TargetNoise}) pushes across a threshold — the inner quartiles are only {world.Thresholds[1] - world.Thresholds[0]:0.00} and " +
                       $"{world.Thresholds[2] - world.Thresholds[1]:0.00} wide. Computed from the generator (TrimodalWorld.ClassCeiling: the mean over the samples of " +
                       "max_k P(class k | noise-free target)); no model of the features can beat it on average. " +
                       "The third column cuts each *regression* model's test predictions at the train split's quartiles: the same data and architecture, " +
                       "trained on the full target instead of its quartile.")
            .Table(table)
            .Paragraph($"Cross-entropy models reach train accuracies up to {overfit:0.000} against a ceiling of {ceiling:0.000}: they fit label noise, so on " +
                       $"{world.Samples * 0.7:N0} training rows the classification version is limited by data (each sample carries only its quartile), not by the ceiling. " +
                       $"The regression fit of LMF (rank {bestReg.Rank}) cut at the quartiles scores {scores[bestReg.Key].ThresholdAccuracy.Average():0.000}, " +
                       $"concatenation's {scores["concat"].ThresholdAccuracy.Average():0.000}.");

        if (config.LargerSamples <= 0) return;
        // The same classifiers on a 4× larger world: does more data close the gap to the ceiling?
        var large = TrimodalWorld.Generate(new TrimodalWorldOptions { Samples = config.LargerSamples, Seed = ctx.SeedFor("world-larger") });
        double largeCeiling = large.ClassCeiling();
        var kinds = new[] { new Variant("concat", 0), new Variant("tfn", 0), bestReg };
        var more = new MarkdownTable("model", $"test accuracy, {world.Samples:N0} samples", $"test accuracy, {large.Samples:N0} samples", $"train accuracy, {large.Samples:N0} samples", "Bayes ceiling");
        var acc = kinds.ToDictionary(v => v.Key, _ => (Test: new List<double>(), Train: new List<double>()));
        int features = large.Features;
        for (int seed = 0; seed < config.Seeds; seed++)
        {
            var split = Splits.Stratified(large.Class, 0.70, 0.15, 0.15, ctx.SeedFor($"split-larger{seed}"));
            LabeledData Labeled(int[] rows) => new(new RegressionData(large.X, large.Y, features).Take(rows).X, [.. rows.Select(r => (int)large.Class[r])], [features], TrimodalWorld.Classes);
            var (train, val, test) = (Labeled(split.Train), Labeled(split.Val), Labeled(split.Test));
            foreach (var v in kinds)
            {
                string key = $"class-larger-{v.Key}-seed{seed}";
                var model = LmfModels.Build(v.Kind, large.Dims, TrimodalWorld.Classes, new Rng(ctx.SeedFor("init-" + key)), v.Rank);
                var opt = new Adam(model.Parameters(), lr: 3e-3f);
                ctx.Train(key, (o, onEpoch, cancel) => Trainer.Fit(model, opt, train, val, o, onEpoch, cancel), ctx.TrainOptions(key, config.Epochs, 64) with { Patience = config.Patience });
                acc[v.Key].Test.Add(Trainer.Accuracy(Trainer.Predict(model, test).Labels, test.Y));
                acc[v.Key].Train.Add(Trainer.Accuracy(Trainer.Predict(model, train).Labels, train.Y));
            }
        }
        foreach (var v in kinds)
        {
            var (m, h) = Stats.MeanCi(acc[v.Key].Test);
            more.Add(v.Key, $"{scores[v.Key].Accuracy.Average():0.000}", double.IsNaN(h) ? $"{m:0.000}" : $"{m:0.000} ± {h:0.000}", $"{acc[v.Key].Train.Average():0.000}", $"{largeCeiling:0.000}");
            ctx.Runs.Add(new RunRecord
            {
                Model = v.Key, Modality = "visual+audio+text", Variant = $"classification-{large.Samples}", TestAccuracy = m, MacroF1 = double.NaN,
                Metrics = new() { ["accuracy_ci95"] = h, ["train_accuracy"] = acc[v.Key].Train.Average(), ["samples"] = large.Samples, ["bayes_ceiling"] = largeCeiling },
            });
        }
        ctx.Report.Paragraph($"**More data.** The same classifiers (same training settings) on a world of {large.Samples:N0} samples, {config.Seeds} seed(s):")
            .Table(more);
    }

    // ── scaling study ─────────────────────────────────────────────────────────────────────────

    private static void Scaling(RunContext ctx, Config config)
    {
        var table = new MarkdownTable("scale", "D (visual, audio, text)", "Π(D+1)", "LMF params", "TFN params", "TFN / LMF params",
            "LMF ms", "TFN ms", "TFN / LMF time", "LMF peak MiB", "TFN peak MiB (measured / estimated)");
        var (xs, lmfP, tfnXs, tfnP, lmfMs, tfnMs, lmfMb, tfnMb) = (new List<double>(), new List<double>(), new List<double>(), new List<double>(),
            new List<double>(), new List<double>(), new List<double>(), new List<double>());
        string? stoppedAt = null;
        (double Params, double Time)? atSeed = null;
        using var bar = ctx.Progress.Start("scaling", config.Scales.Length);
        for (int i = 0; i < config.Scales.Length; i++)
        {
            double scale = config.Scales[i];
            int[] dims = [.. SeedDims.Select(d => Math.Max(1, (int)Math.Round(d * scale)))];
            bar.Update(i, $"D = ({string.Join(", ", dims)})");
            ulong seed = ctx.SeedFor($"scaling-{scale}");
            var lmf = new FusionLayerStep("lmf", dims, ScaleRank, ScaleOut, ScaleBatch, inputGradients: false, seed);
            var tl = Timing.Measure(lmf.Run, config.TimeBudget);
            long lmfBytes = lmf.PeakBytes();
            long tfnParams = TensorFusion.CountParameters(dims, ScaleOut);
            long estimate = TensorFusion.EstimateStepBytes(dims, ScaleOut, ScaleBatch, inputGradients: false);
            string variant = $"D=({string.Join(",", dims)}) B={ScaleBatch} R={ScaleRank} H={ScaleOut}";
            ctx.Runs.Add(new RunRecord
            {
                Model = "lmf-layer", Modality = "scaling", Variant = variant, TestAccuracy = double.NaN, MacroF1 = double.NaN,
                Metrics = new() { ["scale"] = scale, ["params"] = lmf.Parameters, ["peak_bytes"] = lmfBytes, ["step_seconds"] = tl.BestSeconds, ["median_step_seconds"] = tl.MedianSeconds },
            });
            xs.Add(scale);
            lmfP.Add(lmf.Parameters);
            lmfMs.Add(tl.BestSeconds * 1e3);
            lmfMb.Add(lmfBytes / 1048576.0);

            string tfnTime, tfnMem, ratio;
            double tfnSeconds = double.NaN;
            long tfnBytes = -1;
            if (stoppedAt is null && estimate > config.TfnBudgetBytes)
                stoppedAt = $"D = ({string.Join(", ", dims)}): its step would hold about {estimate / 1048576.0:N0} MiB, over the {config.TfnBudgetBytes / 1048576.0:N0} MiB budget";
            if (stoppedAt is null)
            {
                try
                {
                    var tfn = new FusionLayerStep("tfn", dims, ScaleRank, ScaleOut, ScaleBatch, inputGradients: false, seed);
                    var tt = Timing.Measure(tfn.Run, config.TimeBudget, minRepeats: 3);
                    tfnSeconds = tt.BestSeconds;
                    tfnBytes = tfn.PeakBytes();
                    ctx.Runs.Add(new RunRecord
                    {
                        Model = "tfn-layer", Modality = "scaling", Variant = variant, TestAccuracy = double.NaN, MacroF1 = double.NaN,
                        Metrics = new() { ["scale"] = scale, ["params"] = tfnParams, ["peak_bytes"] = tfnBytes, ["estimated_bytes"] = estimate, ["step_seconds"] = tt.BestSeconds, ["median_step_seconds"] = tt.MedianSeconds },
                    });
                }
                catch (OutOfMemoryException)
                {
                    stoppedAt = $"D = ({string.Join(", ", dims)}): out of memory while building or running it (estimate {estimate / 1048576.0:N0} MiB)";
                }
                finally
                {
                    GC.Collect(); // drop the big weight before the next, bigger size
                }
            }
            if (tfnBytes >= 0)
            {
                tfnTime = $"{tfnSeconds * 1e3:0.###}";
                tfnMem = $"{tfnBytes / 1048576.0:0.0} / {estimate / 1048576.0:0.0}";
                ratio = $"{tfnSeconds / tl.BestSeconds:N0}×";
                tfnXs.Add(scale);
                tfnP.Add(tfnParams);
                tfnMs.Add(tfnSeconds * 1e3);
                tfnMb.Add(tfnBytes / 1048576.0);
                if (dims.SequenceEqual(SeedDims)) atSeed = ((double)tfnParams / lmf.Parameters, tfnSeconds / tl.BestSeconds);
            }
            else
            {
                tfnTime = "stopped";
                tfnMem = $"– / {estimate / 1048576.0:N0}";
                ratio = "–";
                ctx.Runs.Add(new RunRecord
                {
                    Model = "tfn-layer", Modality = "scaling", Variant = variant + " (stopped)", TestAccuracy = double.NaN, MacroF1 = double.NaN,
                    Metrics = new() { ["scale"] = scale, ["params"] = tfnParams, ["estimated_bytes"] = estimate, ["stopped"] = 1 },
                });
            }
            table.Add(scale.ToString("0.###"), $"({string.Join(", ", dims)})", TensorFusion.ProductSize(dims).ToString("N0"), lmf.Parameters.ToString("N0"), tfnParams.ToString("N0"),
                $"{(double)tfnParams / lmf.Parameters:N0}×", $"{tl.BestSeconds * 1e3:0.###}", tfnTime, ratio, $"{lmfBytes / 1048576.0:0.00}", tfnMem);
        }
        bar.Update(config.Scales.Length, stoppedAt is null ? "done" : "done (TFN stopped)");

        Plots.Lines(ctx.PathFor("scaling_params.png"), "parameters as the modalities grow", "scale of (128, 64, 300)", "parameters",
            [new("LMF rank 4", [.. xs], [.. lmfP]), new("TFN", [.. tfnXs], [.. tfnP])], logY: true, logX: true);
        Plots.Lines(ctx.PathFor("scaling_time.png"), $"fwd+bwd time of one layer, batch {ScaleBatch}", "scale of (128, 64, 300)", "ms",
            [new("LMF rank 4", [.. xs], [.. lmfMs]), new("TFN", [.. tfnXs], [.. tfnMs])], logY: true, logX: true);
        Plots.Lines(ctx.PathFor("scaling_memory.png"), "peak memory of one training step", "scale of (128, 64, 300)", "MiB",
            [new("LMF rank 4", [.. xs], [.. lmfMb]), new("TFN", [.. tfnXs], [.. tfnMb])], logY: true, logX: true);

        ctx.Report.Heading("Scaling: LMF against TFN as the modalities grow")
            .Paragraph($"A bare fusion layer (no encoders) on random inputs: every modality size is the seed's (128, 64, 300) times the scale. " +
                       $"Batch {ScaleBatch}, LMF rank {ScaleRank}, {ScaleOut} outputs; one step is forward, sum of the outputs, backward to the " +
                       "layer's parameters (the inputs are data). Time: best of repeated steps after warm-up, " +
                       $"{ctx.Options.Threads} thread(s). Peak memory is measured: every buffer of the step (held by a TensorArena until the step ends) " +
                       $"plus parameters, gradients and inputs. Before building TFN its step's memory is estimated " +
                       $"(TensorFusion.EstimateStepBytes); over the budget of {config.TfnBudgetBytes / 1048576.0:N0} MiB it is not built.")
            .Table(table)
            .Paragraph(stoppedAt is null ? "TFN fitted at every size." : $"**TFN stopped** at {stoppedAt}; larger sizes were not attempted.");
        if (atSeed is { } t)
            ctx.Report.Paragraph($"**Target at (128, 64, 300):** TFN has {t.Params:N0}× the parameters of LMF (target ≥ 100×: {(t.Params >= 100 ? "met" : "not met")}) " +
                                 $"and its fwd+bwd step takes {t.Time:N0}× as long at the same batch of {ScaleBatch} (target ≥ 50×: {(t.Time >= 50 ? "met" : "not met")}).");
        ctx.Report.Image("scaling_params.png", "parameters").Image("scaling_time.png", "time").Image("scaling_memory.png", "memory");
    }

    /// <summary>The fused op against the same layer from composed tensor ops, at the benchmark's shape.</summary>
    private static void FusedVersusComposed(RunContext ctx, Config config)
    {
        const int batch = 256;
        var table = new MarkdownTable("LMF layer (128, 64, 300), rank 4, 32 outputs, batch 256", "gradients", "fwd+bwd ms (best)", "median ms", "peak MiB");
        var best = new Dictionary<(string, bool), double>();
        foreach (bool inputGrads in new[] { false, true })
            foreach (string kind in new[] { "lmf", "lmf-composed" })
            {
                var step = new FusionLayerStep(kind, SeedDims, ScaleRank, ScaleOut, batch, inputGrads, ctx.SeedFor("fused-vs-composed"));
                var t = Timing.Measure(step.Run, config.TimeBudget);
                best[(kind, inputGrads)] = t.BestSeconds;
                table.Add(kind == "lmf" ? "fused op (Tensor.LowRankFusion)" : "composed tensor ops", inputGrads ? "parameters and inputs" : "parameters",
                    $"{t.BestSeconds * 1e3:0.000}", $"{t.MedianSeconds * 1e3:0.000}", $"{step.PeakBytes() / 1048576.0:0.00}");
                ctx.Runs.Add(new RunRecord
                {
                    Model = kind + "-layer", Modality = "benchmark", Variant = $"B={batch} R={ScaleRank} H={ScaleOut}" + (inputGrads ? " +input grads" : ""),
                    TestAccuracy = double.NaN, MacroF1 = double.NaN,
                    Metrics = new() { ["step_seconds"] = t.BestSeconds, ["median_step_seconds"] = t.MedianSeconds, ["peak_bytes"] = step.PeakBytes() },
                });
            }
        ctx.Report.Heading("The fused LMF op against composed tensor ops", 3)
            .Paragraph($"The same layer two ways: the fused op (one GEMM per modality for all ranks, one SIMD pass for the Hadamard product, " +
                       $"the rank sum and every exclusive product) and LowRankFusion.Composed (concatenate 1s, matmul, multiply, weight, sum). " +
                       $"{ctx.Options.Threads} thread(s). Speed-up of the fused op: {best[("lmf-composed", false)] / best[("lmf", false)]:0.0}× " +
                       $"(parameter gradients), {best[("lmf-composed", true)] / best[("lmf", true)]:0.0}× (with input gradients). " +
                       "The side-by-side comparison with PyTorch is `bench/peers/compare.py lmf` (README).")
            .Table(table);
    }

    private static double[] Epochs(int n) => [.. Enumerable.Range(1, n).Select(e => (double)e)];
}
