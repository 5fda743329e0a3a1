// RegressionTrainer — trains models with real-valued outputs on the mean squared error: the
// regression counterpart of Trainer. The loop (captured steps, validation, early stopping on the
// lowest validation MSE with its weights restored, checkpoints, determinism) is TrainingLoop.cs;
// this file adds float targets gathered per batch, the MSE, and Predict. Accuracy fields of the
// result are NaN.

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
        Gather(source, width, rows, dst);
        return dst;
    }

    /// <summary>Copies the listed rows of <paramref name="width"/> values into <paramref name="destination"/>, one after another.</summary>
    internal static void Gather(float[] source, int width, ReadOnlySpan<int> rows, Span<float> destination)
    {
        for (int i = 0; i < rows.Length; i++) source.AsSpan(rows[i] * width, width).CopyTo(destination.Slice(i * width, width));
    }
}

public static class RegressionTrainer
{
    /// <summary>Trains <paramref name="model"/> on the MSE; see the file header. Patience 0 never stops early.</summary>
    public static TrainResult Fit(Module<Tensor, Tensor> model, Optimizer optimizer, RegressionData train, RegressionData? validation,
        TrainOptions options, Action<EpochStats>? onEpoch = null, CancellationToken cancel = default)
    {
        if (options.AugmentLabeled is not null)
            throw new ArgumentException("regression trainer: AugmentLabeled needs class labels; use Augment");
        return TrainingLoop.Run(model, optimizer, new RegressionTask(train), validation is null ? null : new RegressionTask(validation),
            options, onEpoch, cancel);
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
            var x = Tensor.Zeros(count, data.Features);
            RegressionData.Gather(data.X, data.Features, rows.AsSpan(b0, count), x.Span);
            var y = model.Forward(x.To(model.Device));
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

    /// <summary>Mean squared error on float targets, for TrainingLoop.</summary>
    private sealed class RegressionTask(RegressionData data) : TrainingTask
    {
        private sealed class Batch(Tensor x, Tensor y) : TrainingBatch(x)
        {
            public readonly Tensor Y = y;
        }

        public override string Who => "regression trainer";
        public override int Count => data.Count;
        public override bool HasAccuracy => false;

        public override TrainingBatch NewBatch(int count) =>
            new Batch(Tensor.Zeros(count, data.Features), Tensor.Zeros(count, data.Outputs));

        public override void Fill(TrainingBatch batch, ReadOnlySpan<int> rows, TrainOptions options, Rng rng)
        {
            var b = (Batch)batch;
            RegressionData.Gather(data.X, data.Features, rows, b.X.Span);
            RegressionData.Gather(data.Y, data.Outputs, rows, b.Y.Span);
            options.Augment?.Invoke(b.X.Span, rows.Length, rng);
        }

        public override Tensor Loss(Tensor output, TrainingBatch batch)
        {
            if (output.Rank != 2 || output.Shape[1] != data.Outputs)
                throw new ArgumentException($"regression trainer: model gives shape {output.Shape}, expected (N, {data.Outputs})");
            return Losses.Mse(output, ((Batch)batch).Y.To(output.Device)); // targets uploaded when training on a GPU
        }

        public override int Correct(Tensor output, TrainingBatch batch) => 0;

        public override (double Loss, double Accuracy) Evaluate(Module<Tensor, Tensor> model, int batchSize) =>
            (Predict(model, data, batchSize).Mse, double.NaN);
    }
}
