using FusionScratch.Models.Backbone;
using FusionScratch.Models.Fusion;
using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Models.Training;
using FusionScratch.Tensors;

namespace FusionScratch.Tests.Tensors;

/// <summary>
/// A captured step replays exactly what the eager step computes: the same model trained for a
/// few steps on changing batches, once eagerly and once by Capture + Replay, ends with bitwise
/// equal weights and losses. Models cover every op family (conv, depthwise, pooling, batch norm,
/// dropout, squeeze-excitation, slices and concatenation, the fused LMF op, tensor fusion,
/// reductions, broadcasting, strided views).
/// </summary>
public class CapturedStepTests
{
    private const int Batch = 8;

    /// <summary>A model, its optimizer and the sample shape it reads.</summary>
    private sealed record Case(Module<Tensor, Tensor> Model, Optimizer Optimizer, int[] Sample, int Classes);

    private static Case Build(string name)
    {
        var rng = new Rng(11);
        switch (name)
        {
            case "reference-cnn":
            {
                var m = ReferenceCnn.Build(rng);
                return new(m, new Sgd(m.Parameters(), lr: 0.05f, momentum: 0.9f), [1, 28, 28], 10);
            }
            case "small-cnn-bn-dropout":
            {
                var m = new SmallCnn(8, 12, 16, 10, rng, batchNorm: true, dropout: 0.3f);
                return new(m, new Adam(m.Parameters(), lr: 3e-3f), [784], 10);
            }
            case "efficientnet-lite":
            {
                MBConvStage[] stages = [new(1, 3, 1, 8, 1), new(4, 3, 2, 12, 1), new(4, 5, 1, 12, 1)];
                var m = new EfficientNetLite(10, rng, dropout: 0.2f, stages: stages, headChannels: 24);
                return new(m, new AdamW(m.Parameters(), lr: 3e-3f), [784], 10);
            }
            case "branch-concat":
            {
                var m = new BranchFusion([6, 5],
                    [new Sequential(new Linear(6, 8, rng), new Tanh()), new Sequential(new Linear(5, 7, rng), new Sigmoid())],
                    new Sequential(new Linear(15, 12, rng), new SiLU(), new Linear(12, 4, rng)));
                return new(m, new Sgd(m.Parameters(), lr: 0.1f, momentum: 0.5f), [11], 4);
            }
            case "lmf":
            {
                var m = new BranchFusion([6, 5, 4],
                    [new Linear(6, 5, rng), new Sequential(new Linear(5, 4, rng), new ReLU()), new Linear(4, 3, rng)],
                    new LowRankFusion([5, 4, 3], 3, 4, rng));
                return new(m, new Adam(m.Parameters(), lr: 1e-2f), [15], 4);
            }
            case "tfn":
            {
                var m = new BranchFusion([6, 5], [new Linear(6, 3, rng), new Linear(5, 2, rng)], new TensorFusion([3, 2], 4, rng));
                return new(m, new Adam(m.Parameters(), lr: 1e-2f), [11], 4);
            }
            default: throw new ArgumentException(name);
        }
    }

    public static TheoryData<string> Models => new() { "reference-cnn", "small-cnn-bn-dropout", "efficientnet-lite", "branch-concat", "lmf", "tfn" };

    /// <summary>Trains <paramref name="steps"/> steps on seeded batches; returns the losses and the final state (parameters and buffers).</summary>
    private static (float[] Losses, float[] State) Train(string name, bool captured, int steps)
    {
        var c = Build(name);
        c.Model.Train();
        var x = Tensor.Zeros([Batch, .. c.Sample]);
        var labels = new int[Batch];
        var data = new Rng(3);
        var losses = new float[steps];
        CapturedStep? step = null;
        try
        {
            for (int s = 0; s < steps; s++)
            {
                Span<float> xs = x.Span;
                for (int i = 0; i < xs.Length; i++) xs[i] = data.Uniform(-1f, 1f);
                for (int i = 0; i < Batch; i++) labels[i] = data.NextInt(c.Classes);
                c.Optimizer.ZeroGrad();
                Tensor loss;
                if (!captured)
                {
                    loss = Losses.CrossEntropy(c.Model.Forward(x), labels);
                    loss.Backward();
                }
                else
                {
                    if (step is null)
                        step = CapturedStep.Capture(() =>
                        {
                            var l = Losses.CrossEntropy(c.Model.Forward(x), labels);
                            l.Backward();
                            return l;
                        });
                    else step.Replay();
                    loss = step.Output;
                }
                losses[s] = loss.Item();
                c.Optimizer.Step();
            }
        }
        finally
        {
            step?.Dispose();
        }
        return (losses, c.Model.StateTensors().SelectMany(t => t.Value.ToArray()).ToArray());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Replay_GivesTheSameLossesAndWeights_AsEagerSteps(string model)
    {
        var eager = Train(model, captured: false, steps: 4);
        var replayed = Train(model, captured: true, steps: 4);
        Assert.Equal(eager.Losses, replayed.Losses);
        Assert.Equal(eager.State, replayed.State);
        // The weights moved, and the losses differ from step to step (new batches were read).
        Assert.NotEqual(Train(model, captured: false, steps: 1).State, eager.State);
        Assert.True(eager.Losses.Distinct().Count() > 1);
    }

    [Fact]
    public void Replay_ReadsStridedViewsAndBroadcasts_AfterTheirSourcesChange()
    {
        // y = Σ (a·bᵀ + broadcast row) ⊙ max over a transposed view: strided inputs are packed by
        // recorded kernels, so a replay sees the sources' new values.
        var rng = new Rng(1);
        var a = Tensor.Rand(new Shape(5, 3), rng).RequireGrad();
        var b = Tensor.Rand(new Shape(4, 3), rng);
        var row = Tensor.Rand(new Shape(4), rng);
        Tensor Step() => ((Tensor.MatMul(a, b.T) + row) * a.T.Contiguous().Max(0).Unsqueeze(1).Expand(5, 4)).Slice(1, 1, 3).Sum();
        using var captured = CapturedStep.Capture(() =>
        {
            var l = Step();
            l.Backward();
            return l;
        });
        for (int round = 0; round < 3; round++)
        {
            foreach (var t in new[] { a, b, row })
                for (int i = 0; i < t.Numel; i++) t.Span[i] = rng.Uniform(-2f, 2f);
            a.ZeroGrad();
            captured.Replay();
            float replayed = captured.Output.Item();
            float[] replayedGrad = a.Grad!.ToArray();
            a.ZeroGrad();
            var eager = Step();
            eager.Backward();
            Assert.Equal(eager.Item(), replayed);
            Assert.Equal(a.Grad!.ToArray(), replayedGrad);
        }
    }

    [Fact]
    public void WhatAReplayCouldNotReproduce_IsRefusedAtCapture()
    {
        var rng = new Rng(2);
        var w = Tensor.Rand(new Shape(3, 2), rng).RequireGrad();
        var opt = new Sgd([w], lr: 0.1f);
        int[] labels = [0, 1, 1];

        var random = Assert.Throws<InvalidOperationException>(() => CapturedStep.Capture(() => Tensor.Randn(new Shape(2), rng)));
        Assert.Contains("Tensor.Randn", random.Message);
        var span = Assert.Throws<InvalidOperationException>(() => CapturedStep.Capture(() => Tensor.CrossEntropy(w, labels.AsSpan())));
        Assert.Contains("int[]", span.Message);
        var step = Assert.Throws<InvalidOperationException>(() => CapturedStep.Capture(() =>
        {
            var l = Tensor.CrossEntropy(w, labels);
            l.Backward();
            opt.Step();
            return l;
        }));
        Assert.Contains("after Replay()", step.Message);
        var nested = Assert.Throws<InvalidOperationException>(() => CapturedStep.Capture(() => CapturedStep.Capture(() => w.Sum()).Output));
        Assert.Contains("do not nest", nested.Message);
        using (new TensorArena().Begin())
            Assert.Throws<InvalidOperationException>(() => CapturedStep.Capture(() => w.Sum()));
        // A failed capture leaves nothing recording: eager ops and a new capture work.
        Assert.False(CapturedStep.IsCapturing);
        using var ok = CapturedStep.Capture(() => w.Square().Sum());
        ok.Replay();
        Assert.Equal(w.ToArray().Sum(v => v * v), ok.Output.Item(), 5);
    }

    [Fact]
    public void TheStepsTensors_DieWithIt()
    {
        var x = Tensor.Ones(4, 4);
        var step = CapturedStep.Capture(() => (x * 3f).Sum());
        Tensor output = step.Output;
        Assert.Equal(48f, output.Item());
        step.Dispose();
        Assert.Throws<ObjectDisposedException>(() => output.Item());
        Assert.Throws<ObjectDisposedException>(() => step.Replay());
    }

    [Fact]
    public void Trainer_WithCapturedSteps_MatchesEagerTraining()
    {
        // Same seeds, one run replaying captured steps (including the smaller last batch) and
        // one eager: identical history and weights.
        (TrainResult Result, float[] Weights) Fit(bool capture)
        {
            var rng = new Rng(8);
            var model = new SmallCnn(6, 8, 12, 3, rng, batchNorm: true, dropout: 0.2f);
            var data = new Rng(9);
            var x = new float[70 * 784];
            for (int i = 0; i < x.Length; i++) x[i] = data.NextFloat();
            var y = Enumerable.Range(0, 70).Select(i => i % 3).ToArray();
            var train = new LabeledData(x, y, [784], 3);
            var result = Trainer.Fit(model, new Adam(model.Parameters(), lr: 3e-3f), train, train,
                new TrainOptions { Epochs = 3, BatchSize = 16, Seed = 4, CaptureSteps = capture });
            return (result, model.StateTensors().SelectMany(t => t.Value.ToArray()).ToArray());
        }
        var eager = Fit(false);
        var captured = Fit(true);
        Assert.Equal(eager.Result.TrainLoss, captured.Result.TrainLoss);
        Assert.Equal(eager.Result.TrainAccuracy, captured.Result.TrainAccuracy);
        Assert.Equal(eager.Result.ValAccuracy, captured.Result.ValAccuracy);
        Assert.Equal(eager.Weights, captured.Weights);
    }

    [Fact]
    public void RegressionTrainer_WithCapturedSteps_MatchesEagerTraining()
    {
        // The regression task runs the same loop (TrainingLoop): an LMF regressor, MSE, a smaller
        // last batch, early stopping on the validation MSE; captured and eager end equal.
        (TrainResult Result, float[] Weights) Fit(bool capture)
        {
            var rng = new Rng(12);
            var model = new BranchFusion([4, 3], [new Linear(4, 5, rng), new Linear(3, 4, rng)], new LowRankFusion([5, 4], 2, 2, rng));
            var data = new Rng(13);
            var x = new float[90 * 7];
            for (int i = 0; i < x.Length; i++) x[i] = data.Uniform(-1f, 1f);
            var y = new float[90 * 2];
            for (int i = 0; i < 90; i++) (y[2 * i], y[2 * i + 1]) = (x[7 * i] * x[7 * i + 4], x[7 * i + 1] - x[7 * i + 6]);
            var all = new RegressionData(x, y, 7, 2);
            var train = all.Take(Enumerable.Range(0, 70).ToArray());
            var val = all.Take(Enumerable.Range(70, 20).ToArray());
            var result = RegressionTrainer.Fit(model, new Adam(model.Parameters(), lr: 1e-2f), train, val,
                new TrainOptions { Epochs = 4, BatchSize = 32, Seed = 5, Patience = 2, CaptureSteps = capture });
            return (result, model.StateTensors().SelectMany(t => t.Value.ToArray()).ToArray());
        }
        var eager = Fit(false);
        var captured = Fit(true);
        Assert.Equal(eager.Result.TrainLoss, captured.Result.TrainLoss);
        Assert.Equal(eager.Result.ValLoss, captured.Result.ValLoss);
        Assert.Equal(eager.Weights, captured.Weights);
        Assert.True(eager.Result.TrainLoss[^1] < eager.Result.TrainLoss[0], "the regressor did not learn");
        Assert.All(eager.Result.TrainAccuracy, a => Assert.True(double.IsNaN(a)));
    }
}
