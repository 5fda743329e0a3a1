// Trainer — trains classifiers (logits out) with cross-entropy on a LabeledData split, and scores
// them (Predict, Accuracy). The loop itself — batches, captured steps, validation, early
// stopping, checkpoints, determinism — is TrainingLoop.cs, shared with RegressionTrainer; this
// file adds what is particular to classification: integer labels gathered per batch (with the
// label-aware augmentation hook), cross-entropy, accuracy, early stopping on validation accuracy.

using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Training;

/// <summary>
/// A labelled split: <see cref="X"/> holds <see cref="Count"/> samples of shape
/// <see cref="SampleShape"/> row after row (row-major), <see cref="Y"/> their classes in [0, Classes).
/// </summary>
public sealed record LabeledData(float[] X, int[] Y, int[] SampleShape, int Classes)
{
    public int Count => Y.Length;
    public int Features { get; } = SampleShape.Aggregate(1, (a, b) => a * b);

    /// <summary>Checks that the arrays agree and hold no NaN; the message names the split.</summary>
    public void Validate(string name)
    {
        if (X.Length != Count * Features)
            throw new ArgumentException($"{name}: {X.Length} values for {Count} samples of {Features} features");
        for (int i = 0; i < Y.Length; i++)
            if ((uint)Y[i] >= (uint)Classes)
                throw new ArgumentException($"{name}: label {Y[i]} of sample {i} is outside [0, {Classes})");
        int bad = Array.FindIndex(X, v => !float.IsFinite(v));
        if (bad >= 0)
            throw new ArgumentException($"{name}: non-finite value {X[bad]} in sample {bad / Features}, feature {bad % Features}");
    }
}

/// <summary>How to train.</summary>
public sealed record TrainOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 64;
    /// <summary>Seed of the Rng that shuffles batches (and feeds augmentation).</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Stop after this many epochs without a better validation accuracy (0: never).</summary>
    public int Patience { get; init; }
    /// <summary>Learning rate for an epoch (0-based), e.g. a cosine or step schedule; null keeps the optimizer's.</summary>
    public Func<int, float>? LearningRateAt { get; init; }
    /// <summary>Changes a gathered batch in place before the forward pass (data augmentation): (batch rows, count, rng).</summary>
    public Action<Span<float>, int, Rng>? Augment { get; init; }
    /// <summary>Like <see cref="Augment"/> but also sees the batch's labels (class-dependent augmentation, e.g. flips only where a class allows them): (batch rows, labels, rng).</summary>
    public Action<Span<float>, int[], Rng>? AugmentLabeled { get; init; }
    /// <summary>Where to save a checkpoint after every epoch (null: none).</summary>
    public string? CheckpointPath { get; init; }
    /// <summary>Continue from <see cref="CheckpointPath"/> when it exists.</summary>
    public bool Resume { get; init; }
    /// <summary>Record each batch size's step once and replay it (TrainingLoop.cs); false runs every step eagerly. Steps on a GPU always run eagerly.</summary>
    public bool CaptureSteps { get; init; } = true;
    /// <summary>Where to train: the model moves there (Module.To) for the run and back afterwards; null trains where the model is.</summary>
    public Device? Device { get; init; }

    /// <summary>Throws unless epochs and batch size are ≥ 1 and the training split has rows; <paramref name="who"/> starts the message.</summary>
    internal void Check(string who, int trainCount)
    {
        if (Epochs < 1 || BatchSize < 1)
            throw new ArgumentException($"{who}: epochs and batch size must be ≥ 1, got {Epochs} and {BatchSize}");
        if (trainCount == 0) throw new ArgumentException($"{who}: the training split is empty");
    }
}

/// <summary>One finished epoch, as reported to progress displays.</summary>
public readonly record struct EpochStats(int Epoch, int Epochs, double TrainLoss, double TrainAccuracy,
    double ValLoss, double ValAccuracy, double Seconds, bool Resumed);

/// <summary>What a training run did: the per-epoch history and where it stopped.</summary>
public sealed record TrainResult(
    IReadOnlyList<double> TrainLoss, IReadOnlyList<double> TrainAccuracy,
    IReadOnlyList<double> ValLoss, IReadOnlyList<double> ValAccuracy,
    int EpochsRun, int BestEpoch, bool StoppedEarly, double Seconds, bool ResumedFromCheckpoint);

/// <summary>Predictions of a classifier on a split.</summary>
public sealed record Prediction(int[] Labels, float[] Probabilities, int Classes, double Loss);

public static class Trainer
{
    /// <summary>Trains <paramref name="model"/> (logits out) with cross-entropy; see the file header and TrainingLoop.cs.</summary>
    public static TrainResult Fit(Module<Tensor, Tensor> model, Optimizer optimizer, LabeledData train, LabeledData? validation,
        TrainOptions options, Action<EpochStats>? onEpoch = null, CancellationToken cancel = default) =>
        TrainingLoop.Run(model, optimizer, new ClassificationTask(train), validation is null ? null : new ClassificationTask(validation),
            options, onEpoch, cancel);

    /// <summary>Class probabilities, arg-max labels and mean cross-entropy of <paramref name="model"/> on <paramref name="data"/> (eval mode).</summary>
    public static Prediction Predict(Module<Tensor, Tensor> model, LabeledData data, int batchSize = 256)
    {
        bool wasTraining = model.Training;
        model.Eval();
        using var noGrad = Tensor.NoGrad();
        var labels = new int[data.Count];
        var probabilities = new float[data.Count * data.Classes];
        double lossSum = 0;
        var arena = new TensorArena();
        var all = Enumerable.Range(0, data.Count).ToArray();
        for (int b0 = 0; b0 < data.Count; b0 += batchSize)
        {
            int count = Math.Min(batchSize, data.Count - b0);
            using var scope = arena.Begin();
            var rows = all.AsSpan(b0, count);
            var x = Tensor.Zeros(BatchShape(data, count));
            Gather(data, rows, x.Span);
            var logits = model.Forward(x.To(model.Device)).To(Device.Cpu); // scored on the host
            CheckLogits(logits, data.Classes);
            lossSum += Losses.CrossEntropy(logits, data.Y.AsSpan(b0, count)).Item() * count;
            logits.Softmax(1).Span.CopyTo(probabilities.AsSpan(b0 * data.Classes));
            logits.ArgMax(1, labels.AsSpan(b0, count));
        }
        model.Train(wasTraining);
        return new Prediction(labels, probabilities, data.Classes, data.Count == 0 ? double.NaN : lossSum / data.Count);
    }

    /// <summary>Fraction of <paramref name="predicted"/> equal to <paramref name="truth"/>.</summary>
    public static double Accuracy(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth)
    {
        int hits = 0;
        for (int i = 0; i < truth.Length; i++) if (predicted[i] == truth[i]) hits++;
        return truth.Length == 0 ? double.NaN : hits / (double)truth.Length;
    }

    /// <summary>(count, …SampleShape).</summary>
    private static Shape BatchShape(LabeledData data, int count)
    {
        var dims = new int[data.SampleShape.Length + 1];
        dims[0] = count;
        data.SampleShape.CopyTo(dims, 1);
        return new Shape(dims);
    }

    /// <summary>Copies the rows of <paramref name="data"/> listed in <paramref name="rows"/> into a (count, …SampleShape) buffer.</summary>
    private static void Gather(LabeledData data, ReadOnlySpan<int> rows, Span<float> x)
    {
        int d = data.Features;
        for (int i = 0; i < rows.Length; i++)
            data.X.AsSpan(rows[i] * d, d).CopyTo(x.Slice(i * d, d));
    }

    private static void CheckLogits(Tensor logits, int classes)
    {
        if (logits.Rank != 2 || logits.Shape[1] != classes)
            throw new ArgumentException($"trainer: model gives logits of shape {logits.Shape}, expected (N, {classes})");
    }

    /// <summary>Cross-entropy on integer labels, for TrainingLoop.</summary>
    private sealed class ClassificationTask(LabeledData data) : TrainingTask
    {
        private sealed class Batch(Tensor x, int count) : TrainingBatch(x)
        {
            public readonly int[] Labels = new int[count];
            public readonly int[] Predicted = new int[count];
        }

        public override string Who => "trainer";
        public override int Count => data.Count;
        public override bool HasAccuracy => true;

        public override TrainingBatch NewBatch(int count) => new Batch(Tensor.Zeros(BatchShape(data, count)), count);

        public override void Fill(TrainingBatch batch, ReadOnlySpan<int> rows, TrainOptions options, Rng rng)
        {
            var b = (Batch)batch;
            Span<float> x = b.X.Span;
            Gather(data, rows, x);
            options.Augment?.Invoke(x, rows.Length, rng);
            for (int i = 0; i < rows.Length; i++) b.Labels[i] = data.Y[rows[i]];
            options.AugmentLabeled?.Invoke(x, b.Labels, rng);
        }

        public override Tensor Loss(Tensor output, TrainingBatch batch)
        {
            CheckLogits(output, data.Classes);
            return Losses.CrossEntropy(output, ((Batch)batch).Labels);
        }

        public override int Correct(Tensor output, TrainingBatch batch)
        {
            var b = (Batch)batch;
            output.ArgMax(1, b.Predicted);
            int hits = 0;
            for (int i = 0; i < b.Labels.Length; i++) if (b.Predicted[i] == b.Labels[i]) hits++;
            return hits;
        }

        public override (double Loss, double Accuracy) Evaluate(Module<Tensor, Tensor> model, int batchSize)
        {
            var p = Predict(model, data, batchSize);
            return (p.Loss, Accuracy(p.Labels, data.Y));
        }
    }
}
