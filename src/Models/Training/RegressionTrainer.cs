// RegressionTrainer — the mini-batch loop for models with real-valued outputs, trained on the
// mean squared error: the regression counterpart of Trainer (classifiers, cross-entropy).
//
//   for epoch in [0, Epochs):
//       shuffle the train indices with the seeded Rng
//       for each batch (in a TensorArena scope): gather rows → forward → MSE → backward → step
//       validation MSE (eval mode, no graph); early stopping on the best one, whose weights are
//       restored at the end
//
// Same determinism as Trainer: fixed seed and thread count give the same weights. No checkpoints:
// the regression models of the studies train in seconds. Accuracy fields of the result are NaN.

using System.Diagnostics;
using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Training;

/// <summary>A regression split: <see cref="Count"/> rows of <see cref="Features"/> inputs and <see cref="Outputs"/> targets, row-major.</summary>
public sealed record RegressionData(float[] X, float[] Y, int Features, int Outputs = 1)
{
    public int Count => Y.Length / Outputs;

    /// <summary>Checks that the arrays agree and hold no NaN; the message names the split.</summary>
    public void Validate(string name)
    {
        if (X.Length != (long)Count * Features || Y.Length != (long)Count * Outputs)
            throw new ArgumentException($"{name}: {X.Length} inputs and {Y.Length} targets do not make rows of {Features} features and {Outputs} outputs");
        int bad = Array.FindIndex(X, v => !float.IsFinite(v));
        if (bad >= 0) throw new ArgumentException($"{name}: non-finite input {X[bad]} in row {bad / Features}");
        bad = Array.FindIndex(Y, v => !float.IsFinite(v));
        if (bad >= 0) throw new ArgumentException($"{name}: non-finite target {Y[bad]} in row {bad / Outputs}");
    }

    /// <summary>The listed rows as a new split.</summary>
    public RegressionData Take(ReadOnlySpan<int> rows) => new(Gather(X, Features, rows), Gather(Y, Outputs, rows), Features, Outputs);

    internal static float[] Gather(float[] source, int width, ReadOnlySpan<int> rows)
    {
        var dst = new float[rows.Length * width];
        for (int i = 0; i < rows.Length; i++) source.AsSpan(rows[i] * width, width).CopyTo(dst.AsSpan(i * width, width));
        return dst;
    }
}

public static class RegressionTrainer
{
    /// <summary>Trains <paramref name="model"/> on the MSE; see the file header. Patience 0 never stops early.</summary>
    public static TrainResult Fit(Module<Tensor, Tensor> model, Optimizer optimizer, RegressionData train, RegressionData? validation,
        TrainOptions options, Action<EpochStats>? onEpoch = null, CancellationToken cancel = default)
    {
        options.Check("regression trainer", train.Count);

        var rng = new Rng(options.Seed);
        var trainLoss = new List<double>();
        var valLoss = new List<double>();
        var nan = new List<double>();
        var state = model.StateTensors().Select(t => t.Value).ToArray();
        float[][]? best = null;
        int bestEpoch = 0, sinceBest = 0;
        bool stopped = false;
        var clock = Stopwatch.StartNew();
        var arena = new TensorArena();
        var order = Enumerable.Range(0, train.Count).ToArray();
        for (int epoch = 0; epoch < options.Epochs && !stopped; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            var epochClock = Stopwatch.StartNew();
            if (options.LearningRateAt is { } schedule) optimizer.LearningRate = schedule(epoch);
            for (int i = 0; i < order.Length; i++) order[i] = i;
            rng.Shuffle(order.AsSpan());
            model.Train();
            double lossSum = 0;
            for (int b0 = 0; b0 < order.Length; b0 += options.BatchSize)
            {
                int count = Math.Min(options.BatchSize, order.Length - b0);
                using var scope = arena.Begin();
                var rows = order.AsSpan(b0, count);
                var x = Tensor.Wrap(RegressionData.Gather(train.X, train.Features, rows), count, train.Features);
                var y = Tensor.Wrap(RegressionData.Gather(train.Y, train.Outputs, rows), count, train.Outputs);
                optimizer.ZeroGrad();
                var loss = Losses.Mse(model.Forward(x), y);
                loss.Backward();
                optimizer.Step();
                lossSum += loss.Item() * count;
            }
            trainLoss.Add(lossSum / train.Count);
            double val = validation is { Count: > 0 } ? Predict(model, validation).Mse : double.NaN;
            valLoss.Add(val);
            nan.Add(double.NaN);

            if (options.Patience > 0 && !double.IsNaN(val))
            {
                if (bestEpoch == 0 || val < valLoss[bestEpoch - 1])
                {
                    bestEpoch = epoch + 1;
                    sinceBest = 0;
                    best = state.Select(t => t.ToArray()).ToArray();
                }
                else if (++sinceBest >= options.Patience) stopped = true;
            }
            onEpoch?.Invoke(new EpochStats(epoch + 1, options.Epochs, trainLoss[^1], double.NaN, val, double.NaN, epochClock.Elapsed.TotalSeconds, false));
        }
        if (best is not null)
            for (int i = 0; i < state.Length; i++) best[i].CopyTo(state[i].Span);
        model.Eval();
        return new TrainResult(trainLoss, nan, valLoss, nan, trainLoss.Count, best is null ? trainLoss.Count : bestEpoch, stopped,
            clock.Elapsed.TotalSeconds, false);
    }

    /// <summary>Predictions (rows × outputs) and their mean squared error on <paramref name="data"/> (eval mode, no graph).</summary>
    public static (float[] Predictions, double Mse) Predict(Module<Tensor, Tensor> model, RegressionData data, int batchSize = 256)
    {
        bool wasTraining = model.Training;
        model.Eval();
        using var noGrad = Tensor.NoGrad();
        var predictions = new float[data.Y.Length];
        var arena = new TensorArena();
        var rows = Enumerable.Range(0, data.Count).ToArray();
        double squares = 0;
        for (int b0 = 0; b0 < data.Count; b0 += batchSize)
        {
            int count = Math.Min(batchSize, data.Count - b0);
            using var scope = arena.Begin();
            var x = Tensor.Wrap(RegressionData.Gather(data.X, data.Features, rows.AsSpan(b0, count)), count, data.Features);
            var y = model.Forward(x);
            if (y.Rank != 2 || y.Shape[1] != data.Outputs)
                throw new ArgumentException($"regression trainer: model gives shape {y.Shape}, expected (N, {data.Outputs})");
            var p = y.ToArray();
            p.CopyTo(predictions, b0 * data.Outputs);
            for (int i = 0; i < p.Length; i++)
            {
                double d = p[i] - data.Y[b0 * data.Outputs + i];
                squares += d * d;
            }
        }
        model.Train(wasTraining);
        return (predictions, data.Count == 0 ? double.NaN : squares / data.Y.Length);
    }
}
