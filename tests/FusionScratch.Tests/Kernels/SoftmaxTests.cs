// SoftmaxKernels (softmax, log-softmax, their backward passes): Simd against Naive over ragged
// shapes, the invariants (rows sum to 1, huge logits stay finite, in place works), and the
// backward kernels against central finite differences of the forward kernel.

using FusionScratch.Kernels;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class SoftmaxTests
{
    private static readonly int[] Dims = { 1, 3, 17, 64, 129 };

    /// <summary>rows × cols from Dims × (Dims ∪ {1000}), plus one matrix large enough to be split across threads.</summary>
    public static IEnumerable<object[]> Shapes()
    {
        foreach (int r in Dims)
            foreach (int c in Dims.Append(1000))
                yield return new object[] { r, c };
        yield return new object[] { 300, 1000 };
        yield return new object[] { 0, 5 };
        yield return new object[] { 4, 0 };
    }

    private delegate void Forward(ReadOnlySpan<float> x, int rows, int cols, Span<float> y);
    private delegate void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx);

    [Theory, MemberData(nameof(Shapes))]
    public void Softmax_Simd_MatchesNaive(int rows, int cols)
    {
        var x = Check.Random(rows * cols, 1, -10f, 10f);
        var expected = new float[rows * cols];
        var actual = new float[rows * cols];
        SoftmaxKernels.SoftmaxNaive(x, rows, cols, expected);
        SoftmaxKernels.SoftmaxSimd(x, rows, cols, actual);
        Check.Close(expected, actual, abs: 1e-7f, rel: 1e-5f, what: $"softmax {rows}×{cols}");
    }

    [Theory, MemberData(nameof(Shapes))]
    public void LogSoftmax_Simd_MatchesNaive(int rows, int cols)
    {
        var x = Check.Random(rows * cols, 2, -10f, 10f);
        var expected = new float[rows * cols];
        var actual = new float[rows * cols];
        SoftmaxKernels.LogSoftmaxNaive(x, rows, cols, expected);
        SoftmaxKernels.LogSoftmaxSimd(x, rows, cols, actual);
        Check.Close(expected, actual, abs: 1e-5f, rel: 1e-5f, what: $"log-softmax {rows}×{cols}");
    }

    [Theory, MemberData(nameof(Shapes))]
    public void SoftmaxBackward_Simd_MatchesNaive(int rows, int cols)
    {
        var y = new float[rows * cols];
        SoftmaxKernels.SoftmaxNaive(Check.Random(rows * cols, 3, -5f, 5f), rows, cols, y);
        var dy = Check.Random(rows * cols, 4);
        var expected = new float[rows * cols];
        var actual = new float[rows * cols];
        SoftmaxKernels.SoftmaxBackwardNaive(y, dy, rows, cols, expected);
        SoftmaxKernels.SoftmaxBackwardSimd(y, dy, rows, cols, actual);
        Check.Close(expected, actual, abs: 1e-6f, rel: 1e-4f, what: $"softmax backward {rows}×{cols}");
    }

    [Theory, MemberData(nameof(Shapes))]
    public void LogSoftmaxBackward_Simd_MatchesNaive(int rows, int cols)
    {
        var y = new float[rows * cols];
        SoftmaxKernels.LogSoftmaxNaive(Check.Random(rows * cols, 5, -5f, 5f), rows, cols, y);
        var dy = Check.Random(rows * cols, 6);
        var expected = new float[rows * cols];
        var actual = new float[rows * cols];
        SoftmaxKernels.LogSoftmaxBackwardNaive(y, dy, rows, cols, expected);
        SoftmaxKernels.LogSoftmaxBackwardSimd(y, dy, rows, cols, actual);
        // dx = dy − e^y·Σdy subtracts nearly equal numbers, so compare against the size of Σdy.
        Check.Close(expected, actual, abs: 1e-6f * Math.Max(1, cols), rel: 1e-4f, what: $"log-softmax backward {rows}×{cols}");
    }

    [Theory]
    [InlineData(5, 3)]
    [InlineData(7, 129)]
    [InlineData(300, 1000)]
    public void Softmax_RowsSumToOne(int rows, int cols)
    {
        var x = Check.Random(rows * cols, 7, -20f, 20f);
        var y = new float[rows * cols];
        foreach (Forward softmax in new Forward[] { SoftmaxKernels.SoftmaxNaive, SoftmaxKernels.SoftmaxSimd })
        {
            softmax(x, rows, cols, y);
            for (int r = 0; r < rows; r++)
            {
                double s = 0;
                for (int c = 0; c < cols; c++)
                {
                    Assert.InRange(y[r * cols + c], 0f, 1f);
                    s += y[r * cols + c];
                }
                Assert.Equal(1.0, s, 1e-5);
            }
        }
    }

    [Fact]
    public void Softmax_HugeLogits_GiveNoNaN()
    {
        const int rows = 4, cols = 37;
        var x = Check.Random(rows * cols, 8, -1e4f, 1e4f);
        x[0] = 1e4f; x[1] = 1e4f; // row 0: a tie at the top
        foreach (var (softmax, logSoftmax) in new (Forward, Forward)[]
                 {
                     (SoftmaxKernels.SoftmaxNaive, SoftmaxKernels.LogSoftmaxNaive),
                     (SoftmaxKernels.SoftmaxSimd, SoftmaxKernels.LogSoftmaxSimd),
                 })
        {
            var y = new float[rows * cols];
            var logY = new float[rows * cols];
            softmax(x, rows, cols, y);
            logSoftmax(x, rows, cols, logY);
            Assert.All(y, v => Assert.True(float.IsFinite(v), $"softmax gave {v}"));
            Assert.All(logY, v => Assert.True(float.IsFinite(v), $"log-softmax gave {v}"));
            Assert.Equal(0.5f, y[0], 1e-6f);
            Assert.Equal(0.5f, y[1], 1e-6f);
            Assert.Equal(-MathF.Log(2f), logY[0], 1e-6f);
        }
    }

    [Theory]
    [InlineData(3, 17)]
    [InlineData(300, 1000)]
    public void Softmax_InPlace_MatchesOutOfPlace(int rows, int cols)
    {
        foreach (var (softmax, name) in new (Forward, string)[]
                 {
                     (SoftmaxKernels.SoftmaxNaive, "softmax naive"), (SoftmaxKernels.SoftmaxSimd, "softmax simd"),
                     (SoftmaxKernels.LogSoftmaxNaive, "log-softmax naive"), (SoftmaxKernels.LogSoftmaxSimd, "log-softmax simd"),
                 })
        {
            var x = Check.Random(rows * cols, 9, -5f, 5f);
            var expected = new float[rows * cols];
            softmax(x, rows, cols, expected);
            softmax(x, rows, cols, x);
            Check.Close(expected, x, abs: 0f, rel: 0f, what: name);
        }
    }

    [Theory]
    [InlineData(3, 7)]
    [InlineData(2, 17)]
    public void SoftmaxBackward_MatchesFiniteDifference(int rows, int cols)
    {
        var x = Check.Random(rows * cols, 10, -2f, 2f);
        var dy = Check.Random(rows * cols, 11);
        foreach (var (forward, backward) in new (Forward, Backward)[]
                 {
                     (SoftmaxKernels.SoftmaxNaive, SoftmaxKernels.SoftmaxBackwardNaive),
                     (SoftmaxKernels.SoftmaxSimd, SoftmaxKernels.SoftmaxBackwardSimd),
                 })
            BackwardMatchesFiniteDifference(forward, backward, x, dy, rows, cols);
    }

    [Theory]
    [InlineData(3, 7)]
    [InlineData(2, 17)]
    public void LogSoftmaxBackward_MatchesFiniteDifference(int rows, int cols)
    {
        var x = Check.Random(rows * cols, 12, -2f, 2f);
        var dy = Check.Random(rows * cols, 13);
        foreach (var (forward, backward) in new (Forward, Backward)[]
                 {
                     (SoftmaxKernels.LogSoftmaxNaive, SoftmaxKernels.LogSoftmaxBackwardNaive),
                     (SoftmaxKernels.LogSoftmaxSimd, SoftmaxKernels.LogSoftmaxBackwardSimd),
                 })
            BackwardMatchesFiniteDifference(forward, backward, x, dy, rows, cols);
    }

    [Fact]
    public void WrongLength_ThrowsNamingTheShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => SoftmaxKernels.SoftmaxSimd(new float[5], 2, 3, new float[6]));
        Assert.Contains("x has 5 elements, expected rows×cols = 2×3 = 6", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => SoftmaxKernels.LogSoftmaxBackwardNaive(new float[6], new float[6], 2, 3, new float[7]));
        Assert.Contains("dx has 7 elements", ex.Message);
    }

    /// <summary>
    /// With L(x) = Σ dy·forward(x), backward(forward(x), dy) must equal ∂L/∂x. The reference is a
    /// central difference per element, (L(x + h) − L(x − h)) / (2h), with L summed in double from
    /// the float forward kernel; h = 1e-2 balances truncation (h²) against float rounding (ε/h).
    /// </summary>
    private static void BackwardMatchesFiniteDifference(Forward forward, Backward backward, float[] x, float[] dy, int rows, int cols)
    {
        int n = rows * cols;
        var y = new float[n];
        forward(x, rows, cols, y);
        var dx = new float[n];
        backward(y, dy, rows, cols, dx);

        var fd = new float[n];
        var xp = (float[])x.Clone();
        var yp = new float[n];
        double Loss()
        {
            forward(xp, rows, cols, yp);
            double l = 0;
            for (int i = 0; i < n; i++) l += (double)dy[i] * yp[i];
            return l;
        }
        const float h = 1e-2f;
        for (int i = 0; i < n; i++)
        {
            float plus = x[i] + h, minus = x[i] - h;
            xp[i] = plus;
            double lp = Loss();
            xp[i] = minus;
            double lm = Loss();
            xp[i] = x[i];
            fd[i] = (float)((lp - lm) / ((double)plus - minus)); // the step actually taken in float
        }
        Check.Close(fd, dx, abs: 5e-4f, rel: 1e-3f, what: $"backward vs finite difference {rows}×{cols}");
    }
}
