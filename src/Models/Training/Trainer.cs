// Trainer — the one mini-batch training loop every study uses for its classifiers.
//
//   for epoch in [start, Epochs):
//       shuffle the train indices with the run's Rng (seeded; saved in checkpoints)
//       for each batch: gather rows → forward → cross-entropy → backward → optimizer step
//       evaluate on the validation split (eval mode, no graph)
//       early stopping: remember the best validation accuracy's weights, stop after Patience
//                       epochs without improvement, restore the best weights at the end
//       save a checkpoint (model, optimizer, epoch, Rng, history) and report the epoch
//
// Determinism: with the same seed and thread count every step does the same float operations in
// the same order (the kernels split work by fixed ranges, never by timing), so two runs give equal
// weights and metrics; a run resumed from a checkpoint continues with the same Rng state and
// optimizer buffers and ends with the same metrics as an uninterrupted one.
// Steady state allocates nothing: every batch is gathered into the same input tensor and label
// array (one pair per batch size: the full one and the last, smaller one), and the forward,
// loss and backward of the first batch of each size are recorded as a CapturedStep that later
// batches replay — the same kernels on the same buffers, with none of the graph building
// (Tensors/Memory/CapturedStep.cs). The optimizer step runs eagerly after it. A model whose
// forward depends on its data, or that lives on a GPU, trains eagerly (CaptureSteps = false, or
// automatically for GPU parameters), each batch inside a TensorArena scope so that activations
// and gradients reuse the previous batch's buffers. Both paths run the same kernels in the same
// order, so they give the same weights (tested).

using System.Diagnostics;
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
    /// <summary>Record each batch size's step once and replay it (see the file header); false runs every step eagerly.</summary>
    public bool CaptureSteps { get; init; } = true;

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
    /// <summary>Trains <paramref name="model"/> (logits out) with cross-entropy; see the file header.</summary>
    public static TrainResult Fit(Module<Tensor, Tensor> model, Optimizer optimizer, LabeledData train, LabeledData? validation,
        TrainOptions options, Action<EpochStats>? onEpoch = null, CancellationToken cancel = default)
    {
        options.Check("trainer", train.Count);

        var rng = new Rng(options.Seed);
        var series = new Dictionary<string, List<double>>
        {
            ["train_loss"] = [], ["train_accuracy"] = [], ["val_loss"] = [], ["val_accuracy"] = [],
        };
        // Early stopping state: best epoch (1-based), epochs since it, stopped flag.
        int bestEpoch = 0, sinceBest = 0;
        bool stopped = false;
        float[][]? best = null;
        var stateTensors = model.StateTensors().ToArray();
        int start = 0;
        bool resumed = false;
        double priorSeconds = 0;

        if (options.Resume && options.CheckpointPath is { } resumePath && File.Exists(resumePath))
        {
            var ck = Checkpoint.Load(resumePath);
            ck.Restore(model, optimizer, rng);
            start = ck.Epoch;
            foreach (var key in series.Keys) series[key].AddRange(ck.Series.GetValueOrDefault(key, []));
            var es = ck.Series.GetValueOrDefault("early_stop", [0, 0, 0, 0]);
            (bestEpoch, sinceBest, stopped, priorSeconds) = ((int)es[0], (int)es[1], es[2] != 0, es[3]);
            if (stateTensors.All(t => ck.Tensors.ContainsKey("best." + t.Name)))
                best = stateTensors.Select(t => ck.Tensors["best." + t.Name]).ToArray();
            resumed = true;
        }

        var clock = Stopwatch.StartNew();
        using var steps = new StepRunner(model, optimizer, options.CaptureSteps && model.Parameters().All(p => !p.IsOnGpu));
        var order = new int[train.Count];
        for (int epoch = start; epoch < options.Epochs && !stopped; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            var epochClock = Stopwatch.StartNew();
            if (options.LearningRateAt is { } schedule) optimizer.LearningRate = schedule(epoch);
            for (int i = 0; i < order.Length; i++) order[i] = i;
            rng.Shuffle(order.AsSpan());

            model.Train();
            double lossSum = 0;
            long correct = 0;
            for (int b0 = 0; b0 < order.Length; b0 += options.BatchSize)
            {
                cancel.ThrowIfCancellationRequested();
                int count = Math.Min(options.BatchSize, order.Length - b0);
                var (loss, hits) = steps.Run(train, order.AsSpan(b0, count), options, rng);
                lossSum += loss * count;
                correct += hits;
            }
            series["train_loss"].Add(lossSum / train.Count);
            series["train_accuracy"].Add(correct / (double)train.Count);

            double valLoss = double.NaN, valAcc = double.NaN;
            if (validation is { Count: > 0 })
            {
                var p = Predict(model, validation, options.BatchSize);
                valLoss = p.Loss;
                valAcc = Accuracy(p.Labels, validation.Y);
            }
            series["val_loss"].Add(valLoss);
            series["val_accuracy"].Add(valAcc);

            if (options.Patience > 0 && !double.IsNaN(valAcc))
            {
                if (bestEpoch == 0 || valAcc > series["val_accuracy"][bestEpoch - 1])
                {
                    bestEpoch = epoch + 1;
                    sinceBest = 0;
                    best = stateTensors.Select(t => t.Value.ToArray()).ToArray();
                }
                else if (++sinceBest >= options.Patience) stopped = true;
            }

            double seconds = priorSeconds + clock.Elapsed.TotalSeconds;
            if (options.CheckpointPath is { } path)
            {
                var saved = series.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
                saved["early_stop"] = [bestEpoch, sinceBest, stopped ? 1 : 0, seconds];
                var extra = best is null ? null
                    : stateTensors.Select((t, i) => (t.Name, best[i])).ToDictionary(e => "best." + e.Name, e => e.Item2);
                Checkpoint.Capture(model, optimizer, epoch + 1, rng, saved, extra).Save(path);
            }
            onEpoch?.Invoke(new EpochStats(epoch + 1, options.Epochs, series["train_loss"][^1], series["train_accuracy"][^1],
                valLoss, valAcc, epochClock.Elapsed.TotalSeconds, resumed && epoch == start));
        }

        if (best is not null)
            for (int i = 0; i < stateTensors.Length; i++) best[i].CopyTo(stateTensors[i].Value.Span);
        model.Eval();
        return new TrainResult(series["train_loss"], series["train_accuracy"], series["val_loss"], series["val_accuracy"],
            series["train_loss"].Count, best is null ? series["train_loss"].Count : bestEpoch, stopped,
            priorSeconds + clock.Elapsed.TotalSeconds, resumed);
    }

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
            var logits = model.Forward(x);
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

    /// <summary>
    /// Runs training batches: gathers each into a buffer kept per batch size, then forward, loss
    /// and backward — captured on a batch size's first batch and replayed after, or eagerly in a
    /// TensorArena scope — then the optimizer step. Owns the buffers and captured steps.
    /// </summary>
    private sealed class StepRunner(Module<Tensor, Tensor> model, Optimizer optimizer, bool capture) : IDisposable
    {
        private sealed class Slot(Tensor x, int count)
        {
            public readonly Tensor X = x;
            public readonly int[] Labels = new int[count];
            public readonly int[] Predicted = new int[count];
            public CapturedStep? Step;
            public Tensor? Logits;
        }

        private readonly Dictionary<int, Slot> _slots = [];
        private readonly TensorArena _arena = new();

        /// <summary>One optimizer step on <paramref name="rows"/> of <paramref name="data"/>: the batch's mean loss and its correct predictions.</summary>
        public (float Loss, int Correct) Run(LabeledData data, ReadOnlySpan<int> rows, TrainOptions options, Rng rng)
        {
            using var outside = TensorArena.Suspend(); // the buffers and captured steps outlive any caller's scope
            int count = rows.Length;
            if (!_slots.TryGetValue(count, out Slot? slot))
                _slots[count] = slot = new Slot(Tensor.Zeros(BatchShape(data, count)), count);
            Span<float> x = slot.X.Span;
            Gather(data, rows, x);
            options.Augment?.Invoke(x, count, rng);
            for (int i = 0; i < count; i++) slot.Labels[i] = data.Y[rows[i]];
            options.AugmentLabeled?.Invoke(x, slot.Labels, rng);

            optimizer.ZeroGrad();
            if (capture)
            {
                if (slot.Step is null)
                    slot.Step = CapturedStep.Capture(() =>
                    {
                        slot.Logits = model.Forward(slot.X);
                        CheckLogits(slot.Logits, data.Classes);
                        var loss = Losses.CrossEntropy(slot.Logits, slot.Labels);
                        loss.Backward();
                        return loss;
                    });
                else slot.Step.Replay();
                optimizer.Step();
                return (slot.Step.Output.Item(), CountCorrect(slot.Logits!, slot.Labels, slot.Predicted));
            }
            using var scope = _arena.Begin();
            var logits = model.Forward(slot.X);
            CheckLogits(logits, data.Classes);
            var lossTensor = Losses.CrossEntropy(logits, slot.Labels);
            lossTensor.Backward();
            optimizer.Step();
            return (lossTensor.Item(), CountCorrect(logits, slot.Labels, slot.Predicted));
        }

        private static int CountCorrect(Tensor logits, int[] labels, int[] predicted)
        {
            logits.ArgMax(1, predicted);
            int hits = 0;
            for (int i = 0; i < labels.Length; i++) if (predicted[i] == labels[i]) hits++;
            return hits;
        }

        public void Dispose()
        {
            foreach (Slot slot in _slots.Values) slot.Step?.Dispose();
            _slots.Clear();
        }
    }
}
