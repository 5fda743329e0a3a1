// TrainingLoop — the one mini-batch loop behind Trainer (classifiers, cross-entropy) and
// RegressionTrainer (real-valued outputs, mean squared error). What differs between them — the
// targets a batch carries, the loss, whether there is an accuracy, how validation is scored — is
// a TrainingTask; everything else is here once:
//
//   for epoch in [start, Epochs):
//       learning rate for the epoch (TrainOptions.LearningRateAt), shuffle with the seeded Rng
//       for each batch: gather rows (and augment) → forward → loss → backward → optimizer step
//       validation (eval mode, no graph); early stopping on the best validation accuracy, or the
//       lowest validation loss for a task without accuracy; its weights restored at the end
//       save a checkpoint (model, optimizer, epoch, Rng, history) and report the epoch
// With TrainOptions.Device the model moves there for the run (Module.To) and back at the end;
// batches are uploaded to it, and validation scores on the host.
//
// Determinism: with the same seed and thread count every step does the same float operations in
// the same order (the kernels split work by fixed ranges, never by timing), so two runs give equal
// weights and metrics; a run resumed from a checkpoint continues with the same Rng state and
// optimizer buffers and ends with the same metrics as an uninterrupted one.
//
// Steady state allocates nothing: every batch is gathered into the same input tensor and target
// buffer (one pair per batch size: the full one and the last, smaller one), and the forward,
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

/// <summary>One batch size's buffers: the gathered inputs, the task's targets, and its captured step.</summary>
internal abstract class TrainingBatch(Tensor x)
{
    public Tensor X { get; } = x;
    public CapturedStep? Step;
    public Tensor? Output;
}

/// <summary>What the loop trains on: a split, its batches' targets, the loss and the validation score.</summary>
internal abstract class TrainingTask
{
    /// <summary>Starts error messages ("trainer", "regression trainer").</summary>
    public abstract string Who { get; }

    /// <summary>Rows in the training split.</summary>
    public abstract int Count { get; }

    /// <summary>Whether the task has an accuracy (early stopping on it) or only a loss (early stopping on the lowest).</summary>
    public abstract bool HasAccuracy { get; }

    /// <summary>Buffers for batches of <paramref name="count"/> rows (allocated once per batch size).</summary>
    public abstract TrainingBatch NewBatch(int count);

    /// <summary>Writes the inputs and targets of <paramref name="rows"/> into <paramref name="batch"/>, augmented as the options say.</summary>
    public abstract void Fill(TrainingBatch batch, ReadOnlySpan<int> rows, TrainOptions options, Rng rng);

    /// <summary>The batch's loss of the model's output (a scalar tensor; called once per batch size when capturing).</summary>
    public abstract Tensor Loss(Tensor output, TrainingBatch batch);

    /// <summary>Correct predictions in the batch (0 for a task without accuracy).</summary>
    public abstract int Correct(Tensor output, TrainingBatch batch);

    /// <summary>Validation loss and accuracy (NaN without one) of the model on this task's split.</summary>
    public abstract (double Loss, double Accuracy) Evaluate(Module<Tensor, Tensor> model, int batchSize);
}

internal static class TrainingLoop
{
    public static TrainResult Run(Module<Tensor, Tensor> model, Optimizer optimizer, TrainingTask train, TrainingTask? validation,
        TrainOptions options, Action<EpochStats>? onEpoch, CancellationToken cancel)
    {
        options.Check(train.Who, train.Count);
        var home = model.Device;
        model.To(options.Device ?? home); // for the run; back home at the end
        try
        {
            return Loop(model, optimizer, train, validation, options, onEpoch, cancel);
        }
        finally
        {
            model.To(home);
            _ = optimizer.StateBuffers; // brings optimizer state kept on the device back to its host arrays
        }
    }

    private static TrainResult Loop(Module<Tensor, Tensor> model, Optimizer optimizer, TrainingTask train, TrainingTask? validation,
        TrainOptions options, Action<EpochStats>? onEpoch, CancellationToken cancel)
    {

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
        using var steps = new StepRunner(model, optimizer, train, options.CaptureSteps && model.Parameters().All(p => !p.IsOnGpu));
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
                var (loss, hits) = steps.Run(order.AsSpan(b0, count), options, rng);
                lossSum += loss * count;
                correct += hits;
            }
            series["train_loss"].Add(lossSum / train.Count);
            series["train_accuracy"].Add(train.HasAccuracy ? correct / (double)train.Count : double.NaN);

            var (valLoss, valAcc) = validation is { Count: > 0 } ? validation.Evaluate(model, options.BatchSize) : (double.NaN, double.NaN);
            series["val_loss"].Add(valLoss);
            series["val_accuracy"].Add(valAcc);

            // Early stopping on the validation accuracy (higher is better) or, without one, the loss (lower is better).
            double score = train.HasAccuracy ? valAcc : -valLoss;
            if (options.Patience > 0 && !double.IsNaN(score))
            {
                double bestScore = bestEpoch == 0 ? double.NaN
                    : train.HasAccuracy ? series["val_accuracy"][bestEpoch - 1] : -series["val_loss"][bestEpoch - 1];
                if (bestEpoch == 0 || score > bestScore)
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
            for (int i = 0; i < stateTensors.Length; i++) stateTensors[i].Value.CopyFrom(best[i]);
        model.Eval();
        return new TrainResult(series["train_loss"], series["train_accuracy"], series["val_loss"], series["val_accuracy"],
            series["train_loss"].Count, best is null ? series["train_loss"].Count : bestEpoch, stopped,
            priorSeconds + clock.Elapsed.TotalSeconds, resumed);
    }

    /// <summary>
    /// Runs training batches: gathers each into the buffers of its batch size, then forward, loss
    /// and backward — captured on a batch size's first batch and replayed after, or eagerly in a
    /// TensorArena scope — then the optimizer step. Owns the buffers and captured steps.
    /// </summary>
    private sealed class StepRunner(Module<Tensor, Tensor> model, Optimizer optimizer, TrainingTask task, bool capture) : IDisposable
    {
        private readonly Dictionary<int, TrainingBatch> _batches = [];
        private readonly TensorArena _arena = new();

        /// <summary>One optimizer step on <paramref name="rows"/>: the batch's mean loss and its correct predictions.</summary>
        public (float Loss, int Correct) Run(ReadOnlySpan<int> rows, TrainOptions options, Rng rng)
        {
            using var outside = TensorArena.Suspend(); // the buffers and captured steps outlive any caller's scope
            if (!_batches.TryGetValue(rows.Length, out TrainingBatch? batch))
                _batches[rows.Length] = batch = task.NewBatch(rows.Length);
            task.Fill(batch, rows, options, rng);

            optimizer.ZeroGrad();
            if (capture)
            {
                if (batch.Step is null)
                    batch.Step = CapturedStep.Capture(() =>
                    {
                        batch.Output = model.Forward(batch.X);
                        var loss = task.Loss(batch.Output, batch);
                        loss.Backward();
                        return loss;
                    });
                else batch.Step.Replay();
                optimizer.Step();
                return (batch.Step.Output.Item(), task.Correct(batch.Output!, batch));
            }
            using var scope = _arena.Begin();
            var output = model.Forward(batch.X.To(model.Device)); // a no-op on the CPU; one upload per batch on a GPU
            var lossTensor = task.Loss(output, batch);
            lossTensor.Backward();
            optimizer.Step();
            return (lossTensor.Item(), task.Correct(output, batch));
        }

        public void Dispose()
        {
            foreach (TrainingBatch batch in _batches.Values) batch.Step?.Dispose();
            _batches.Clear();
        }
    }
}
