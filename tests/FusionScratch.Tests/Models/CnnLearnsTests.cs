// A small CNN learns: conv3×3 + batch norm + ReLU + max pool + linear, trained with SGD momentum
// on a generated image task — is the bar in a noisy 12×12 image vertical or horizontal? — must
// classify ≥ 95 % of held-out images, evaluated in eval mode (batch norm on its running
// statistics). A second model with depthwise + pointwise convolution and global average pooling
// (the MBConv shape) must learn the same task.

using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Tensors;

namespace FusionScratch.Tests.Models;

public class CnnLearnsTests
{
    private const int Size = 12;

    /// <summary>
    /// Images (count, 1, 12, 12): background noise σ = 0.3, one bar of length 5–9 and intensity
    /// 0.7–1.3 at a random place; label 0 = vertical bar, 1 = horizontal bar (balanced).
    /// </summary>
    internal static (Tensor X, int[] Y) Bars(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[count * Size * Size];
        var y = new int[count];
        for (int i = 0; i < count; i++)
        {
            Span<float> img = x.AsSpan(i * Size * Size, Size * Size);
            for (int j = 0; j < img.Length; j++) img[j] = 0.3f * rng.Normal();
            int label = i % 2, len = 5 + rng.NextInt(5);
            int along = rng.NextInt(Size - len + 1), across = rng.NextInt(Size);
            float intensity = 0.7f + 0.6f * rng.NextFloat();
            for (int t = along; t < along + len; t++)
                img[label == 0 ? t * Size + across : across * Size + t] += intensity;
            y[i] = label;
        }
        return (Tensor.Wrap(x, count, 1, Size, Size), y);
    }

    private static double Accuracy(Sequential model, Tensor x, int[] y)
    {
        using var _ = Tensor.NoGrad();
        model.Eval();
        int[] pred = model.Forward(x).ArgMax(1);
        model.Train();
        return pred.Zip(y).Count(p => p.First == p.Second) / (double)y.Length;
    }

    private static double Train(Sequential model, int steps, float lr)
    {
        var (xTrain, yTrain) = Bars(512, seed: 1);
        var (xTest, yTest) = Bars(400, seed: 2);
        var opt = new Sgd(model.Parameters(), lr: lr, momentum: 0.9f);
        const int batch = 32;
        var xs = xTrain.ToArray();
        for (int step = 0; step < steps; step++)
        {
            int start = step * batch % 512;
            var xb = Tensor.FromArray(xs[(start * Size * Size)..((start + batch) * Size * Size)], batch, 1, Size, Size);
            var yb = yTrain[start..(start + batch)];
            opt.ZeroGrad();
            Losses.CrossEntropy(model.Forward(xb), yb).Backward();
            opt.Step();
        }
        return Accuracy(model, xTest, yTest);
    }

    [Fact]
    public void Cnn_ConvBatchNormReluPoolLinear_ClassifiesBarOrientation()
    {
        var rng = new Rng(3);
        var model = new Sequential(
            new Conv2d(1, 8, 3, rng, padding: 1), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(8 * 6 * 6, 2, rng));
        double acc = Train(model, steps: 160, lr: 0.05f);
        Assert.True(acc >= 0.95, $"held-out accuracy {acc:P1} < 95 %");
    }

    [Fact]
    public void Cnn_DepthwisePointwiseGlobalPool_ClassifiesBarOrientation()
    {
        var rng = new Rng(4);
        var model = new Sequential(
            new Conv2d(1, 8, 3, rng, padding: 1), new ReLU(),
            new DepthwiseConv2d(8, 3, rng, padding: 1), new BatchNorm2d(8), new ReLU(),
            new Conv2d(8, 16, 1, rng), new ReLU(), new AvgPool2d(2),
            new GlobalAvgPool2d(), new Linear(16, 2, rng));
        double acc = Train(model, steps: 240, lr: 0.05f);
        Assert.True(acc >= 0.95, $"held-out accuracy {acc:P1} < 95 %");
    }
}
