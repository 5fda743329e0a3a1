// Each model learns: an MLP on a two-spiral problem the test generates itself, trained with SGD
// (momentum) and with Adam, must classify ≥ 97 % of held-out points drawn from the same spirals.

using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Tensors;

namespace FusionScratch.Tests.Models;

public class MlpLearnsTests
{
    /// <summary>
    /// Two interleaved spirals (class 0 and its point reflection, class 1), 1.5 turns each,
    /// radius growing linearly with the angle, Gaussian noise σ = 0.02.
    /// </summary>
    internal static (Tensor X, int[] Y) TwoSpirals(int perClass, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[perClass * 2 * 2];
        var y = new int[perClass * 2];
        for (int i = 0; i < perClass; i++)
        {
            float t = 0.25f + 0.75f * rng.NextFloat();      // radius in [0.25, 1)
            float angle = 3f * MathF.PI * t;                  // 1.5 turns
            for (int c = 0; c < 2; c++)
            {
                int k = 2 * i + c;
                float sign = c == 0 ? 1f : -1f;
                x[2 * k] = sign * t * MathF.Cos(angle) + 0.02f * rng.Normal();
                x[2 * k + 1] = sign * t * MathF.Sin(angle) + 0.02f * rng.Normal();
                y[k] = c;
            }
        }
        return (Tensor.Wrap(x, perClass * 2, 2), y);
    }

    private static Sequential Mlp(Rng rng) => new(
        new Linear(2, 64, rng), new Tanh(),
        new Linear(64, 64, rng), new Tanh(),
        new Linear(64, 2, rng));

    private static double Accuracy(Sequential model, Tensor x, int[] y)
    {
        using var _ = Tensor.NoGrad();
        model.Eval();
        int[] pred = model.Forward(x).ArgMax(1);
        model.Train();
        return pred.Zip(y).Count(p => p.First == p.Second) / (double)y.Length;
    }

    private static double Train(Func<Sequential, Optimizer> makeOptimizer, int steps)
    {
        var (xTrain, yTrain) = TwoSpirals(300, seed: 1);
        var (xTest, yTest) = TwoSpirals(200, seed: 2);
        var model = Mlp(new Rng(3));
        var opt = makeOptimizer(model);
        for (int step = 0; step < steps; step++)
        {
            opt.ZeroGrad();
            var loss = Losses.CrossEntropy(model.Forward(xTrain), yTrain);
            loss.Backward();
            opt.Step();
        }
        return Accuracy(model, xTest, yTest);
    }

    [Fact]
    public void Mlp_WithSgdMomentum_SeparatesTwoSpirals()
    {
        double acc = Train(m => new Sgd(m.Parameters(), lr: 0.1f, momentum: 0.9f), steps: 1500);
        Assert.True(acc >= 0.97, $"test accuracy {acc:P1} < 97 %");
    }

    [Fact]
    public void Mlp_WithAdam_SeparatesTwoSpirals()
    {
        double acc = Train(m => new Adam(m.Parameters(), lr: 0.01f), steps: 800);
        Assert.True(acc >= 0.97, $"test accuracy {acc:P1} < 97 %");
    }

    [Fact]
    public void Mlp_WithAdamW_SeparatesTwoSpirals()
    {
        double acc = Train(m => new AdamW(m.Parameters(), lr: 0.01f, weightDecay: 1e-4f), steps: 800);
        Assert.True(acc >= 0.97, $"test accuracy {acc:P1} < 97 %");
    }

    [Fact]
    public void Regression_WithMseLoss_FitsALinearMap()
    {
        // y = x·[2, −3]ᵀ + 0.5 recovered by one Linear layer.
        var rng = new Rng(9);
        var x = Tensor.Rand(new Shape(128, 2), rng, -1, 1);
        var xs = x.ToArray();
        var ys = new float[128];
        for (int i = 0; i < 128; i++) ys[i] = 2 * xs[2 * i] - 3 * xs[2 * i + 1] + 0.5f;
        var y = Tensor.Wrap(ys, 128, 1);
        var layer = new Linear(2, 1, rng);
        var opt = new Sgd(layer.Parameters(), lr: 0.1f, momentum: 0.5f);
        for (int i = 0; i < 300; i++)
        {
            opt.ZeroGrad();
            Losses.Mse(layer.Forward(x), y).Backward();
            opt.Step();
        }
        Assert.Equal(2f, layer.Weight[0, 0], 2);
        Assert.Equal(-3f, layer.Weight[0, 1], 2);
        Assert.Equal(0.5f, layer.Bias![0], 2);
    }
}
