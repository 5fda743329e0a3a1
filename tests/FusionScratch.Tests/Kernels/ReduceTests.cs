// ReduceKernels: every Simd variant against its Naive reference over ragged (outer, axis, inner)
// shapes, the whole-span helpers against scalar loops, and the documented edge cases
// (axis = 0, NaN, ties, bad lengths).

using FusionScratch.Kernels;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class ReduceTests
{
    private static readonly int[] Dims = { 1, 3, 17, 64, 129 };

    /// <summary>Every (outer, axis, inner) from Dims³, plus large shapes that cross the threading threshold on each split path.</summary>
    public static IEnumerable<object[]> Shapes()
    {
        foreach (int o in Dims)
            foreach (int a in Dims)
                foreach (int i in Dims)
                    yield return new object[] { o, a, i };
        yield return new object[] { 2048, 100, 1 };   // threads split outer, contiguous rows
        yield return new object[] { 1, 300, 1000 };   // threads split columns of inner
        yield return new object[] { 64, 17, 300 };    // threads split outer, strided axis
    }

    private static float[] Input(int outer, int axis, int inner, int seed) => Check.Random(outer * axis * inner, seed);

    [Theory, MemberData(nameof(Shapes))]
    public void Sum_Simd_MatchesNaive(int outer, int axis, int inner)
    {
        var x = Input(outer, axis, inner, 1);
        var expected = new float[outer * inner];
        var actual = new float[outer * inner];
        ReduceKernels.SumNaive(x, outer, axis, inner, expected);
        ReduceKernels.SumSimd(x, outer, axis, inner, actual);
        // A sum of `axis` values in [-1, 1] carries up to ~axis·ulp of rounding, in either order.
        Check.Close(expected, actual, abs: 2e-6f * axis, rel: 1e-5f, what: $"sum {outer}×{axis}×{inner}");
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Mean_Simd_MatchesNaive(int outer, int axis, int inner)
    {
        var x = Input(outer, axis, inner, 2);
        var expected = new float[outer * inner];
        var actual = new float[outer * inner];
        ReduceKernels.MeanNaive(x, outer, axis, inner, expected);
        ReduceKernels.MeanSimd(x, outer, axis, inner, actual);
        Check.Close(expected, actual, abs: 2e-6f, rel: 1e-5f, what: $"mean {outer}×{axis}×{inner}");
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Max_Simd_MatchesNaive(int outer, int axis, int inner)
    {
        var x = Input(outer, axis, inner, 3);
        var expected = new float[outer * inner];
        var actual = new float[outer * inner];
        ReduceKernels.MaxNaive(x, outer, axis, inner, expected);
        ReduceKernels.MaxSimd(x, outer, axis, inner, actual);
        Check.Close(expected, actual, abs: 0f, rel: 0f, what: $"max {outer}×{axis}×{inner}"); // max is exact
    }

    [Theory, MemberData(nameof(Shapes))]
    public void ArgMax_Simd_MatchesNaive(int outer, int axis, int inner)
    {
        var x = Input(outer, axis, inner, 4);
        var expected = new int[outer * inner];
        var actual = new int[outer * inner];
        ReduceKernels.ArgMaxNaive(x, outer, axis, inner, expected);
        ReduceKernels.ArgMaxSimd(x, outer, axis, inner, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Sum_Simd_WithInnerAboveOne_IsBitIdenticalToNaive()
    {
        // Each lane adds its own column in the naive order, so there is no rounding difference at all.
        var x = Check.Random(5 * 129 * 67, 5, -1e3f, 1e3f);
        var expected = new float[5 * 67];
        var actual = new float[5 * 67];
        ReduceKernels.SumNaive(x, 5, 129, 67, expected);
        ReduceKernels.SumSimd(x, 5, 129, 67, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Naive_MatchesDoublePrecisionLoop()
    {
        const int outer = 3, axis = 17, inner = 5;
        var x = Input(outer, axis, inner, 6);
        var sum = new float[outer * inner];
        var mean = new float[outer * inner];
        var max = new float[outer * inner];
        var argmax = new int[outer * inner];
        ReduceKernels.SumNaive(x, outer, axis, inner, sum);
        ReduceKernels.MeanNaive(x, outer, axis, inner, mean);
        ReduceKernels.MaxNaive(x, outer, axis, inner, max);
        ReduceKernels.ArgMaxNaive(x, outer, axis, inner, argmax);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double s = 0, m = double.NegativeInfinity;
                int arg = -1;
                for (int a = 0; a < axis; a++)
                {
                    double v = x[(o * axis + a) * inner + i];
                    s += v;
                    if (v > m) { m = v; arg = a; }
                }
                Assert.Equal(s, sum[o * inner + i], 1e-5);
                Assert.Equal(s / axis, mean[o * inner + i], 1e-6);
                Assert.Equal((float)m, max[o * inner + i]);
                Assert.Equal(arg, argmax[o * inner + i]);
            }
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(2, 37)]
    public void EmptyAxis_GivesSumZeroMeanNaNMaxMinusInfinity(int outer, int inner)
    {
        var x = Array.Empty<float>();
        var y = new float[outer * inner];
        foreach (var sum in new Action<float[]>[] { t => ReduceKernels.SumNaive(x, outer, 0, inner, t), t => ReduceKernels.SumSimd(x, outer, 0, inner, t) })
        {
            Array.Fill(y, 42f);
            sum(y);
            Assert.All(y, v => Assert.Equal(0f, v));
        }
        foreach (var mean in new Action<float[]>[] { t => ReduceKernels.MeanNaive(x, outer, 0, inner, t), t => ReduceKernels.MeanSimd(x, outer, 0, inner, t) })
        {
            Array.Fill(y, 42f);
            mean(y);
            Assert.All(y, v => Assert.True(float.IsNaN(v)));
        }
        foreach (var max in new Action<float[]>[] { t => ReduceKernels.MaxNaive(x, outer, 0, inner, t), t => ReduceKernels.MaxSimd(x, outer, 0, inner, t) })
        {
            Array.Fill(y, 42f);
            max(y);
            Assert.All(y, v => Assert.Equal(float.NegativeInfinity, v));
        }
    }

    [Fact]
    public void ArgMax_EmptyAxis_Throws()
    {
        var y = new int[6];
        Assert.Throws<ArgumentException>(() => ReduceKernels.ArgMaxNaive(Array.Empty<float>(), 2, 0, 3, y));
        Assert.Throws<ArgumentException>(() => ReduceKernels.ArgMaxSimd(Array.Empty<float>(), 2, 0, 3, y));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(19)]
    public void Max_PropagatesNaN_AndArgMax_ReturnsFirstNaN(int inner)
    {
        const int outer = 2, axis = 40;
        var x = Check.Random(outer * axis * inner, 7);
        // outer slice 0: NaN at a = 21 and a = 33 in every column; slice 1: no NaN
        for (int i = 0; i < inner; i++)
        {
            x[21 * inner + i] = float.NaN;
            x[33 * inner + i] = float.NaN;
        }
        var maxN = new float[outer * inner];
        var maxS = new float[outer * inner];
        var argN = new int[outer * inner];
        var argS = new int[outer * inner];
        ReduceKernels.MaxNaive(x, outer, axis, inner, maxN);
        ReduceKernels.MaxSimd(x, outer, axis, inner, maxS);
        ReduceKernels.ArgMaxNaive(x, outer, axis, inner, argN);
        ReduceKernels.ArgMaxSimd(x, outer, axis, inner, argS);
        for (int i = 0; i < inner; i++)
        {
            Assert.True(float.IsNaN(maxN[i]));
            Assert.True(float.IsNaN(maxS[i]));
            Assert.Equal(21, argN[i]);
            Assert.Equal(21, argS[i]);
            Assert.False(float.IsNaN(maxS[inner + i]));
        }
        Assert.Equal(argN, argS);
        Assert.True(float.IsNaN(ReduceKernels.Max(x)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(21)]
    public void ArgMax_OnTies_ReturnsFirstIndex(int inner)
    {
        const int outer = 3, axis = 50;
        var x = Check.Random(outer * axis * inner, 8);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                foreach (int a in new[] { 7 + o, 30, 49 })
                    x[(o * axis + a) * inner + i] = 5f;
        var argN = new int[outer * inner];
        var argS = new int[outer * inner];
        ReduceKernels.ArgMaxNaive(x, outer, axis, inner, argN);
        ReduceKernels.ArgMaxSimd(x, outer, axis, inner, argS);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                Assert.Equal(7 + o, argN[o * inner + i]);
                Assert.Equal(7 + o, argS[o * inner + i]);
            }
    }

    [Fact]
    public void WrongLength_ThrowsNamingTheShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => ReduceKernels.SumSimd(new float[11], 2, 3, 2, new float[4]));
        Assert.Contains("x has 11 elements, expected outer×axis×inner = 2×3×2 = 12", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => ReduceKernels.MaxNaive(new float[12], 2, 3, 2, new float[5]));
        Assert.Contains("y has 5 elements, expected outer×inner = 2×2 = 4", ex.Message);
        Assert.Throws<ArgumentException>(() => ReduceKernels.ArgMaxSimd(new float[12], 2, 3, 2, new int[3]));
        Assert.Throws<ArgumentException>(() => ReduceKernels.MeanSimd(new float[0], -1, 3, 2, new float[0]));
    }

    // ─── whole-span helpers ──────────────────────────────────────────────────────────────

    /// <summary>Lengths 0–40 and past the vector widths (6·512 + 7), up to 100 003.</summary>
    public static IEnumerable<object[]> Lengths() => Check.Lengths().Where(l => (int)l[0] <= 100_003);

    [Theory, MemberData(nameof(Lengths))]
    public void Sum_MatchesScalarLoop(int n)
    {
        var x = Check.Random(n, 10 + n);
        double exact = 0;
        foreach (float v in x) exact += v;
        float actual = ReduceKernels.Sum(x);
        Assert.True(Math.Abs(actual - exact) <= 1e-6 * n + 1e-6, $"n={n}: sum {actual}, exact {exact}");
    }

    [Theory, MemberData(nameof(Lengths))]
    public void Max_MatchesScalarLoop(int n)
    {
        var x = Check.Random(n, 20 + n);
        float expected = float.NegativeInfinity;
        foreach (float v in x) expected = MathF.Max(expected, v);
        Assert.Equal(expected, ReduceKernels.Max(x));
    }

    [Theory, MemberData(nameof(Lengths))]
    public void Dot_MatchesScalarLoop(int n)
    {
        var x = Check.Random(n, 30 + n);
        var y = Check.Random(n, 40 + n);
        double exact = 0;
        for (int i = 0; i < n; i++) exact += (double)x[i] * y[i];
        float actual = ReduceKernels.Dot(x, y);
        Assert.True(Math.Abs(actual - exact) <= 1e-6 * n + 1e-6, $"n={n}: dot {actual}, exact {exact}");
    }

    [Fact]
    public void Dot_LengthMismatch_Throws() =>
        Assert.Throws<ArgumentException>(() => ReduceKernels.Dot(new float[3], new float[4]));
}
