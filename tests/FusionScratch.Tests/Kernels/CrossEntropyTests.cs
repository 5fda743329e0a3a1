// Fused softmax-cross-entropy: Simd against Naive, the loss against −log_softmax at the label,
// the backward pass against finite differences of the summed loss, and label validation.

using FusionScratch.Kernels;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class CrossEntropyTests
{
    private static readonly int[] Dims = { 1, 3, 17, 64, 129 };

    public static IEnumerable<object[]> Shapes()
    {
        foreach (int r in Dims)
            foreach (int c in Dims.Append(1000))
                yield return new object[] { r, c };
        yield return new object[] { 300, 1000 }; // split across threads
    }

    private delegate void Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int rows, int cols, Span<float> probs, Span<float> losses);
    private delegate void Backward(ReadOnlySpan<float> probs, ReadOnlySpan<int> labels, ReadOnlySpan<float> dLosses, int rows, int cols, Span<float> dLogits);

    private static readonly Forward[] Forwards = { SoftmaxKernels.CrossEntropyForwardNaive, SoftmaxKernels.CrossEntropyForwardSimd };
    private static readonly Backward[] Backwards = { SoftmaxKernels.CrossEntropyBackwardNaive, SoftmaxKernels.CrossEntropyBackwardSimd };

    private static int[] Labels(int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        var labels = new int[rows];
        for (int r = 0; r < rows; r++) labels[r] = rng.Next(cols);
        return labels;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void CrossEntropyForward_Simd_MatchesNaive(int rows, int cols)
    {
        var logits = Check.Random(rows * cols, 1, -10f, 10f);
        var labels = Labels(rows, cols, 2);
        var probsN = new float[rows * cols];
        var probsS = new float[rows * cols];
        var lossN = new float[rows];
        var lossS = new float[rows];
        SoftmaxKernels.CrossEntropyForwardNaive(logits, labels, rows, cols, probsN, lossN);
        SoftmaxKernels.CrossEntropyForwardSimd(logits, labels, rows, cols, probsS, lossS);
        Check.Close(probsN, probsS, abs: 1e-7f, rel: 1e-5f, what: $"probs {rows}×{cols}");
        Check.Close(lossN, lossS, abs: 1e-5f, rel: 1e-5f, what: $"losses {rows}×{cols}");
    }

    [Theory, MemberData(nameof(Shapes))]
    public void CrossEntropyBackward_Simd_MatchesNaive(int rows, int cols)
    {
        var probs = new float[rows * cols];
        SoftmaxKernels.SoftmaxNaive(Check.Random(rows * cols, 3, -5f, 5f), rows, cols, probs);
        var labels = Labels(rows, cols, 4);
        var dLosses = Check.Random(rows, 5);
        var expected = new float[rows * cols];
        var actual = new float[rows * cols];
        SoftmaxKernels.CrossEntropyBackwardNaive(probs, labels, dLosses, rows, cols, expected);
        SoftmaxKernels.CrossEntropyBackwardSimd(probs, labels, dLosses, rows, cols, actual);
        Check.Close(expected, actual, abs: 0f, rel: 0f, what: $"dLogits {rows}×{cols}"); // same multiplications: exact
    }

    [Theory]
    [InlineData(5, 3)]
    [InlineData(9, 129)]
    [InlineData(300, 1000)]
    public void CrossEntropyForward_EqualsMinusLogSoftmaxAtLabel(int rows, int cols)
    {
        var logits = Check.Random(rows * cols, 6, -10f, 10f);
        var labels = Labels(rows, cols, 7);
        var logProbs = new float[rows * cols];
        SoftmaxKernels.LogSoftmaxNaive(logits, rows, cols, logProbs);
        var softmax = new float[rows * cols];
        SoftmaxKernels.SoftmaxNaive(logits, rows, cols, softmax);
        var expected = new float[rows];
        for (int r = 0; r < rows; r++) expected[r] = -logProbs[r * cols + labels[r]];
        foreach (var forward in Forwards)
        {
            var probs = new float[rows * cols];
            var losses = new float[rows];
            forward(logits, labels, rows, cols, probs, losses);
            Check.Close(expected, losses, abs: 1e-5f, rel: 1e-5f, what: "loss vs −log_softmax");
            Check.Close(softmax, probs, abs: 1e-7f, rel: 1e-5f, what: "probs vs softmax");
        }
    }

    [Fact]
    public void CrossEntropyForward_HugeLogits_GiveFiniteLoss()
    {
        // Row 0's label has probability e^(−2e4): it underflows to 0, so −log(prob) would be +∞.
        var logits = new float[] { 1e4f, 0f, -1e4f, /* row 1 */ 1e4f, 1e4f, -1e4f };
        var labels = new[] { 2, 0 };
        foreach (var forward in Forwards)
        {
            var probs = new float[6];
            var losses = new float[2];
            forward(logits, labels, 2, 3, probs, losses);
            Assert.Equal(2e4f, losses[0], 1e-1f);
            Assert.Equal(MathF.Log(2f), losses[1], 1e-6f);
            Assert.All(probs, p => Assert.True(float.IsFinite(p)));
        }
    }

    [Theory]
    [InlineData(3, 7)]
    [InlineData(2, 17)]
    public void CrossEntropyBackward_MatchesFiniteDifferenceOfSummedLoss(int rows, int cols)
    {
        // L(logits) = Σr dLosses[r]·loss[r]; the backward pass must give ∂L/∂logits.
        var logits = Check.Random(rows * cols, 8, -2f, 2f);
        var labels = Labels(rows, cols, 9);
        var dLosses = Check.Random(rows, 10, 0.5f, 2f);
        int n = rows * cols;
        for (int v = 0; v < Forwards.Length; v++)
        {
            var forward = Forwards[v];
            var probs = new float[n];
            var losses = new float[rows];
            forward(logits, labels, rows, cols, probs, losses);
            var dLogits = new float[n];
            Backwards[v](probs, labels, dLosses, rows, cols, dLogits);

            var xp = (float[])logits.Clone();
            double Loss()
            {
                forward(xp, labels, rows, cols, new float[n], losses);
                double l = 0;
                for (int r = 0; r < rows; r++) l += (double)dLosses[r] * losses[r];
                return l;
            }
            var fd = new float[n];
            const float h = 1e-2f;
            for (int i = 0; i < n; i++)
            {
                float plus = logits[i] + h, minus = logits[i] - h;
                xp[i] = plus;
                double lp = Loss();
                xp[i] = minus;
                double lm = Loss();
                xp[i] = logits[i];
                fd[i] = (float)((lp - lm) / ((double)plus - minus));
            }
            Check.Close(fd, dLogits, abs: 5e-4f, rel: 1e-3f, what: $"variant {v + 1}: dLogits vs finite difference");
        }
    }

    [Theory]
    [InlineData(3, 17)]
    [InlineData(300, 1000)]
    public void CrossEntropyBackward_InPlace_MatchesOutOfPlace(int rows, int cols)
    {
        var labels = Labels(rows, cols, 11);
        var dLosses = Check.Random(rows, 12);
        foreach (var backward in Backwards)
        {
            var probs = new float[rows * cols];
            SoftmaxKernels.SoftmaxNaive(Check.Random(rows * cols, 13), rows, cols, probs);
            var expected = new float[rows * cols];
            backward(probs, labels, dLosses, rows, cols, expected);
            backward(probs, labels, dLosses, rows, cols, probs);
            Check.Close(expected, probs, abs: 0f, rel: 0f, what: "in place");
        }
    }

    [Theory]
    [InlineData(4, 5, 5)]
    [InlineData(4, 5, -1)]
    [InlineData(300, 1000, 1000)] // large enough for threads: must still throw the plain exception
    public void LabelOutOfRange_ThrowsNamingRowAndLabel(int rows, int cols, int badLabel)
    {
        var logits = Check.Random(rows * cols, 14);
        var labels = Labels(rows, cols, 15);
        int badRow = rows - 2;
        labels[badRow] = badLabel;
        var probs = new float[rows * cols];
        var losses = new float[rows];
        var dLosses = new float[rows];
        foreach (var forward in Forwards)
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => forward(logits, labels, rows, cols, probs, losses));
            Assert.Contains($"row {badRow}", ex.Message);
            Assert.Contains($"label {badLabel}", ex.Message);
            Assert.All(probs, p => Assert.Equal(0f, p)); // checked before anything is written
        }
        foreach (var backward in Backwards)
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => backward(probs, labels, dLosses, rows, cols, new float[rows * cols]));
            Assert.Contains($"row {badRow}", ex.Message);
            Assert.Contains($"label {badLabel}", ex.Message);
        }
    }

    [Fact]
    public void WrongLength_ThrowsNamingTheShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            SoftmaxKernels.CrossEntropyForwardSimd(new float[6], new int[2], 2, 3, new float[6], new float[3]));
        Assert.Contains("losses has 3 elements, expected rows = 2", ex.Message);
        ex = Assert.Throws<ArgumentException>(() =>
            SoftmaxKernels.CrossEntropyBackwardNaive(new float[6], new int[3], new float[2], 2, 3, new float[6]));
        Assert.Contains("labels has 3 elements", ex.Message);
    }
}
