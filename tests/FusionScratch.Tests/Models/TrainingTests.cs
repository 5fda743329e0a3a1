// The training plumbing studies rely on: classification metrics against hand-counted values,
// checkpoints (round trip, corruption refused, buffers included), the trainer's determinism and
// resume, early stopping, and atomic writes.

using FusionScratch.Models.IO;
using FusionScratch.Models.Metrics;
using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Models.Training;
using FusionScratch.Tensors;

namespace FusionScratch.Tests.Models;

public sealed class TrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fusion-training-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ClassificationReport_MatchesHandCountedValues()
    {
        //            truth: 0 0 0 1 1 2     predicted: 0 0 1 1 2 2
        var r = ClassificationReport.From([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 3);
        Assert.Equal(4 / 6.0, r.Accuracy, 12);
        // class 0: P 2/2, R 2/3; class 1: P 1/2, R 1/2; class 2: P 1/2, R 1/1
        double f0 = 2 * 1 * (2 / 3.0) / (1 + 2 / 3.0), f1 = 0.5, f2 = 2 * 0.5 * 1 / 1.5;
        Assert.Equal((f0 + f1 + f2) / 3, r.MacroF1, 12);
        Assert.Equal((3 * f0 + 2 * f1 + 1 * f2) / 6, r.WeightedF1, 12);
        Assert.Equal(1, r.Confusion[0, 1]);
        Assert.Equal(1, r.Confusion[1, 2]);
        Assert.Equal(3, r.PerClass[0].Support);
    }

    [Fact]
    public void ClassificationReport_ClassNeverPredicted_ScoresZero_NotNaN()
    {
        var r = ClassificationReport.From([0, 1, 1], [0, 0, 0], 2);
        Assert.Equal(0, r.PerClass[1].Precision);
        Assert.Equal(0, r.PerClass[1].F1);
        Assert.False(double.IsNaN(r.MacroF1));
    }

    private static (Sequential Model, Adam Opt) Mlp(ulong seed)
    {
        var rng = new Rng(seed);
        var model = new Sequential(new Linear(2, 16, rng), new Tanh(), new Linear(16, 2, rng));
        return (model, new Adam(model.Parameters(), lr: 0.02f));
    }

    private static (LabeledData Train, LabeledData Val) Spirals()
    {
        var (x, y) = MlpLearnsTests.TwoSpirals(100, seed: 11);
        var (xv, yv) = MlpLearnsTests.TwoSpirals(50, seed: 12);
        return (new LabeledData(x.ToArray(), y, [2], 2), new LabeledData(xv.ToArray(), yv, [2], 2));
    }

    [Fact]
    public void Checkpoint_RoundTrips_ModelOptimizerRngAndSeries_AndRefusesACorruptFile()
    {
        var (model, opt) = Mlp(1);
        var bn = new BatchNorm2d(3);
        bn.RunningMean.Span[1] = 0.25f;
        var (train, _) = Spirals();
        Trainer.Fit(model, opt, train, null, new TrainOptions { Epochs = 1, BatchSize = 50 });
        var rng = new Rng(5);
        rng.Normal();
        string path = Path.Combine(_dir, "a.ckpt");
        Checkpoint.Capture(model, opt, 3, rng, new Dictionary<string, double[]> { ["loss"] = [1, 0.5] }).Save(path);
        var bnPath = Path.Combine(_dir, "bn.ckpt");
        var bnOpt = new Sgd(bn.Parameters(), 0.1f, momentum: 0.9f);
        Checkpoint.Capture(bn, bnOpt, 0, rng, new Dictionary<string, double[]>()).Save(bnPath);

        var (model2, opt2) = Mlp(2);
        var rng2 = new Rng(99);
        var ck = Checkpoint.Load(path);
        ck.Restore(model2, opt2, rng2);
        Assert.Equal(3, ck.Epoch);
        Assert.Equal([1.0, 0.5], ck.Series["loss"]);
        Assert.Equal(opt.StepCount, opt2.StepCount);
        Assert.Equal(rng.State, rng2.State);
        foreach (var ((_, a), (_, b)) in model.NamedParameters().Zip(model2.NamedParameters()))
            Assert.Equal(a.ToArray(), b.ToArray());
        for (int i = 0; i < opt.StateBuffers.Count; i++) Assert.Equal(opt.StateBuffers[i], opt2.StateBuffers[i]);

        var bn2 = new BatchNorm2d(3);
        Checkpoint.Load(bnPath).Restore(bn2, new Sgd(bn2.Parameters(), 0.1f, momentum: 0.9f), new Rng(1));
        Assert.Equal(0.25f, bn2.RunningMean.Span[1]);                    // buffers travel with parameters

        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path)).Message);
        File.WriteAllBytes(path, bytes.AsSpan(0, 20).ToArray());
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
    }

    [Fact]
    public void Trainer_IsDeterministic_AndResumeEqualsAnUninterruptedRun()
    {
        var (train, val) = Spirals();
        float[] Final(Action<Sequential, Adam> run, ulong seed)
        {
            var (m, o) = Mlp(seed);
            run(m, o);
            return m.Parameters().SelectMany(p => p.ToArray()).ToArray();
        }
        var opts = new TrainOptions { Epochs = 6, BatchSize = 16, Seed = 4 };
        var whole = Final((m, o) => Trainer.Fit(m, o, train, val, opts), 1);
        Assert.Equal(whole, Final((m, o) => Trainer.Fit(m, o, train, val, opts), 1));

        string path = Path.Combine(_dir, "resume.ckpt");
        var resumed = Final((m, o) =>
        {
            Assert.Throws<OperationCanceledException>(() => Trainer.Fit(m, o, train, val, opts with { CheckpointPath = path },
                e => { if (e.Epoch == 2) throw new OperationCanceledException(); }));
        }, 1);
        var continued = Final((m, o) =>
        {
            var r = Trainer.Fit(m, o, train, val, opts with { CheckpointPath = path, Resume = true });
            Assert.True(r.ResumedFromCheckpoint);
            Assert.Equal(6, r.EpochsRun);
        }, 3);                                                        // different init: all state comes from the checkpoint
        Assert.Equal(whole, continued);
    }

    [Fact]
    public void EarlyStopping_StopsAfterPatience_AndRestoresTheBestEpoch()
    {
        var (train, val) = Spirals();
        var (model, _) = Mlp(1);
        var sgd = new Sgd(model.Parameters(), lr: 1e-6f);               // too small to improve: accuracy stalls
        var r = Trainer.Fit(model, sgd, train, val, new TrainOptions { Epochs = 50, BatchSize = 50, Patience = 2 });
        Assert.True(r.StoppedEarly);
        Assert.True(r.EpochsRun < 50);
        double best = r.ValAccuracy.Max();
        Assert.Equal(best, r.ValAccuracy[r.BestEpoch - 1]);
        Assert.Equal(best, Trainer.Accuracy(Trainer.Predict(model, val).Labels, val.Y), 12);
    }

    [Fact]
    public void LabeledData_Validate_RejectsNaNAndBadLabels()
    {
        var nan = new LabeledData([1, float.NaN], [0], [2], 2);
        Assert.Contains("non-finite", Assert.Throws<ArgumentException>(() => nan.Validate("train")).Message);
        var bad = new LabeledData([1, 2], [5], [2], 2);
        Assert.Contains("label 5", Assert.Throws<ArgumentException>(() => bad.Validate("train")).Message);
    }

    [Fact]
    public void AtomicFile_FailedWrite_LeavesThePreviousContent()
    {
        string path = Path.Combine(_dir, "r.json");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("new, half"u8);
            throw new InvalidOperationException("crash mid-write");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }
}

public class StatsTests
{
    [Fact]
    public void MeanCi_UsesStudentT_OverSeeds()
    {
        // values 1..5: mean 3, s = √2.5; t(0.975, 4) = 2.7764
        var (mean, half) = FusionScratch.Models.Metrics.Stats.MeanCi([1.0, 2, 3, 4, 5]);
        Assert.Equal(3, mean, 12);
        Assert.Equal(2.7764451 * Math.Sqrt(2.5) / Math.Sqrt(5), half, 5);
        // two values: t(0.975, 1) = 12.706
        Assert.Equal(12.7062047 * Math.Sqrt(0.5) / Math.Sqrt(2), FusionScratch.Models.Metrics.Stats.MeanCi([1.0, 2]).HalfWidth, 4);
        Assert.True(double.IsNaN(FusionScratch.Models.Metrics.Stats.MeanCi([1.0]).HalfWidth));
    }
}
