// A study the tests register with the runner: an MLP on two spirals, generated here, trained
// through RunContext.Train (progress, checkpoints, --resume) and reported like a real study
// (results.json, report.md with a headline table, two PNG plots). It lets the runner's frame be
// tested end to end — determinism, atomic writes, resume — without the real datasets.

using FusionScratch.Models.Metrics;
using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Models.Training;
using FusionScratch.Runner.Experiments;
using FusionScratch.Runner.Reports;
using FusionScratch.Tensors;
using FusionScratch.Tests.Models;

namespace FusionScratch.Tests.Runner;

/// <param name="name">The study's name ("spirals"; the GPU run test registers a tiny "spirals-tiny").</param>
/// <param name="quickPerClass">Training points per class with --quick.</param>
/// <param name="quickEpochs">Epochs with --quick.</param>
internal sealed class SpiralsExperiment(string name = "spirals", int quickPerClass = 150, int quickEpochs = 6) : IExperiment
{
    public string Name => name;
    public string Title => "test study: an MLP on two spirals";

    public void Run(RunContext ctx)
    {
        int perClass = ctx.Options.Quick ? quickPerClass : 300;
        var (xTrain, yTrain) = MlpLearnsTests.TwoSpirals(perClass, ctx.SeedFor("train-data"));
        var (xTest, yTest) = MlpLearnsTests.TwoSpirals(perClass / 2, ctx.SeedFor("test-data"));
        var train = new LabeledData(xTrain.ToArray(), yTrain, [2], 2);
        var test = new LabeledData(xTest.ToArray(), yTest, [2], 2);
        ctx.Data = new DataDescription
        {
            Summary = "Two interleaved spirals in the plane, one per class.",
            Generated = ["two spirals, 1.5 turns, Gaussian noise σ = 0.02, seeded from --seed"],
            Split = "train and test drawn independently from the same generator",
            Sizes = new() { ["train"] = train.Count, ["test"] = test.Count },
        };

        var model = new Sequential(new Linear(2, 32, new Rng(ctx.SeedFor("init"))), new Tanh(), new Linear(32, 32, new Rng(ctx.SeedFor("init2"))), new Tanh(), new Linear(32, 2, new Rng(ctx.SeedFor("init3"))));
        var opt = new Adam(model.Parameters(), lr: 0.01f);
        var options = ctx.TrainOptions("mlp", epochs: ctx.Options.Quick ? quickEpochs : 20, batchSize: 32);
        var result = ctx.Train("mlp", (o, onEpoch, cancel) => Trainer.Fit(model, opt, train, test, o, onEpoch, cancel), options);
        var prediction = Trainer.Predict(model, test);
        var report = ClassificationReport.From(yTest, prediction.Labels, 2);
        ctx.Runs.Add(new RunRecord
        {
            Model = "mlp", Modality = "xy", TestAccuracy = report.Accuracy, MacroF1 = report.MacroF1,
            Metrics = new() { ["test_loss"] = prediction.Loss, ["epochs"] = result.EpochsRun },
            TrainSeconds = result.Seconds,
        });
        var table = new MarkdownTable("model", "test accuracy", "macro F1").Add("mlp", report.Accuracy, report.MacroF1);
        var epochs = Enumerable.Range(1, result.EpochsRun).Select(e => (double)e).ToArray();
        Plots.Lines(ctx.PathFor("loss.png"), "training loss", "epoch", "cross-entropy", [new Plots.Series("mlp", epochs, [.. result.TrainLoss])]);
        Plots.Confusion(ctx.PathFor("confusion.png"), "confusion (test)", report.Confusion, ["inner", "outer"]);
        ctx.Report.Heading("Results").Table(table, headline: true).Image("loss.png", "loss").Image("confusion.png", "confusion");
    }
}
