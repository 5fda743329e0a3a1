// Elementwise kernels: every SIMD variant against its naive reference, every op, every length in
// Check.Lengths() (0–40, around the vector widths, ragged sizes, and 1<<20, which crosses
// ElementwiseKernels.ParallelThreshold so the threaded path runs too); in-place aliasing; backward
// ops against central finite differences of the forward scalar op.
//
// Tolerances: ops whose vector form is the same IEEE arithmetic as the scalar form (relu, square,
// add, …) must match bit for bit; ops through VectorMath (exp, log, tanh, sigmoid, silu) may differ
// from MathF by a few ulp: rel 1e-6 (about 8 ulp) plus abs 1e-6 where results pass through 0
// (silu' has a root near x = −1.28, where the fused and unfused forms differ in the last bits).
// Run: dotnet test --filter "FullyQualifiedName~ElementwiseTests"

using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Simd;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class ElementwiseTests
{
    private delegate void UnaryKernel(ReadOnlySpan<float> x, Span<float> y);
    private delegate void BinaryKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z);
    private delegate void ScalarKernel(ReadOnlySpan<float> x, float s, Span<float> z);

    /// <summary>One unary op: its two kernels, an input range inside its domain, and its tolerance.</summary>
    private sealed record UnaryCase(UnaryKernel Naive, UnaryKernel Simd, float Lo, float Hi, bool Exact)
    {
        public static UnaryCase Of<TOp>(float lo, float hi, bool exact) where TOp : IUnaryOp =>
            new((x, y) => ElementwiseKernels.UnaryNaive<TOp>(x, y), (x, y) => ElementwiseKernels.UnarySimd<TOp>(x, y), lo, hi, exact);
    }

    /// <summary>One binary op: same-shape, scalar-right and scalar-left kernels.</summary>
    private sealed record BinaryCase(
        BinaryKernel Naive, BinaryKernel Simd, ScalarKernel ScalarNaive, ScalarKernel ScalarSimd,
        ScalarKernel LeftNaive, ScalarKernel LeftSimd, float Lo, float Hi, bool Exact)
    {
        public static BinaryCase Of<TOp>(float lo, float hi, bool exact) where TOp : IBinaryOp => new(
            (x, y, z) => ElementwiseKernels.BinaryNaive<TOp>(x, y, z), (x, y, z) => ElementwiseKernels.BinarySimd<TOp>(x, y, z),
            (x, s, z) => ElementwiseKernels.ScalarNaive<TOp>(x, s, z), (x, s, z) => ElementwiseKernels.ScalarSimd<TOp>(x, s, z),
            (x, s, z) => ElementwiseKernels.ScalarLeftNaive<TOp>(s, x, z), (x, s, z) => ElementwiseKernels.ScalarLeftSimd<TOp>(s, x, z),
            lo, hi, exact);
    }

    private static readonly Dictionary<string, UnaryCase> UnaryOps = new()
    {
        ["relu"] = UnaryCase.Of<Relu>(-4f, 4f, exact: true),
        ["silu"] = UnaryCase.Of<Silu>(-12f, 12f, exact: false),
        ["sigmoid"] = UnaryCase.Of<Sigmoid>(-20f, 20f, exact: false),
        ["tanh"] = UnaryCase.Of<Tanh>(-5f, 5f, exact: false),
        ["exp"] = UnaryCase.Of<Exp>(-80f, 80f, exact: false),
        ["log"] = UnaryCase.Of<Log>(1e-3f, 50f, exact: false),
        ["square"] = UnaryCase.Of<Square>(-100f, 100f, exact: true),
        ["sqrt"] = UnaryCase.Of<Sqrt>(0f, 100f, exact: true),
        ["neg"] = UnaryCase.Of<Neg>(-1f, 1f, exact: true),
        ["abs"] = UnaryCase.Of<Abs>(-1f, 1f, exact: true),
    };

    // Backward ops are binary (first operand, dy); their forward input ranges are those of their op.
    private static readonly Dictionary<string, BinaryCase> BackwardOps = new()
    {
        ["relu_backward"] = BinaryCase.Of<ReluBackward>(-4f, 4f, exact: true),
        ["silu_backward"] = BinaryCase.Of<SiluBackward>(-12f, 12f, exact: false),
        ["sigmoid_backward"] = BinaryCase.Of<SigmoidBackward>(0f, 1f, exact: true),
        ["tanh_backward"] = BinaryCase.Of<TanhBackward>(-1f, 1f, exact: true),
        ["sqrt_backward"] = BinaryCase.Of<SqrtBackward>(0.01f, 10f, exact: true),
        ["square_backward"] = BinaryCase.Of<SquareBackward>(-10f, 10f, exact: true),
        ["log_backward"] = BinaryCase.Of<LogBackward>(0.01f, 10f, exact: true),
    };

    private static readonly Dictionary<string, BinaryCase> BinaryOps = new()
    {
        ["add"] = BinaryCase.Of<Add>(-10f, 10f, exact: true),
        ["sub"] = BinaryCase.Of<Sub>(-10f, 10f, exact: true),
        ["mul"] = BinaryCase.Of<Mul>(-10f, 10f, exact: true),
        ["div"] = BinaryCase.Of<Div>(-10f, 10f, exact: true),
        ["maximum"] = BinaryCase.Of<Maximum>(-10f, 10f, exact: true),
        ["minimum"] = BinaryCase.Of<Minimum>(-10f, 10f, exact: true),
    };

    public static IEnumerable<object[]> UnaryByLength() => Cross(UnaryOps.Keys);
    public static IEnumerable<object[]> BinaryByLength() => Cross(BinaryOps.Keys.Concat(BackwardOps.Keys));
    public static IEnumerable<object[]> UnaryNames() => UnaryOps.Keys.Select(k => new object[] { k });
    public static IEnumerable<object[]> BinaryNames() => BinaryOps.Keys.Concat(BackwardOps.Keys).Select(k => new object[] { k });

    private static IEnumerable<object[]> Cross(IEnumerable<string> names) =>
        from name in names from length in Check.Lengths() select new object[] { name, (int)length[0] };

    // ------------------------------------------------------------------ SIMD vs naive

    [Theory]
    [MemberData(nameof(UnaryByLength))]
    public void UnarySimd_MatchesNaive(string op, int n)
    {
        var c = UnaryOps[op];
        float[] x = Inputs(n, c.Lo, c.Hi, seed: n);
        var expected = new float[n];
        var actual = new float[n];
        c.Naive(x, expected);
        c.Simd(x, actual);
        Close(expected, actual, c.Exact, $"{op} n={n}");
    }

    [Theory]
    [MemberData(nameof(BinaryByLength))]
    public void BinarySimd_MatchesNaive(string op, int n)
    {
        var c = BinaryOps.TryGetValue(op, out var b) ? b : BackwardOps[op];
        float[] x = Inputs(n, c.Lo, c.Hi, seed: n), y = Inputs(n, -2f, 2f, seed: n + 1);
        var expected = new float[n];
        var actual = new float[n];
        c.Naive(x, y, expected);
        c.Simd(x, y, actual);
        Close(expected, actual, c.Exact, $"{op} n={n}");
    }

    [Theory]
    [MemberData(nameof(BinaryByLength))]
    public void ScalarSimd_MatchesNaive(string op, int n)
    {
        var c = BinaryOps.TryGetValue(op, out var b) ? b : BackwardOps[op];
        float[] x = Inputs(n, c.Lo, c.Hi, seed: n);
        var expected = new float[n];
        var actual = new float[n];
        c.ScalarNaive(x, 1.75f, expected);
        c.ScalarSimd(x, 1.75f, actual);
        Close(expected, actual, c.Exact, $"{op} x op s, n={n}");
        c.LeftNaive(x, -0.5f, expected);
        c.LeftSimd(x, -0.5f, actual);
        Close(expected, actual, c.Exact, $"{op} s op x, n={n}");
    }

    // ------------------------------------------------------------------ in place (output aliases an input)

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void UnarySimd_InPlace_MatchesNaive(string op)
    {
        var c = UnaryOps[op];
        foreach (int n in new[] { 37, 6 * 512 + 7, 1 << 20 })
        {
            float[] x = (float[])Inputs(n, c.Lo, c.Hi, seed: 7).Clone();
            var expected = new float[n];
            c.Naive(x, expected);
            c.Simd(x, x);
            Close(expected, x, c.Exact, $"{op} in place n={n}");
        }
    }

    [Theory]
    [MemberData(nameof(BinaryNames))]
    public void BinarySimd_InPlace_MatchesNaive(string op)
    {
        var c = BinaryOps.TryGetValue(op, out var b) ? b : BackwardOps[op];
        foreach (int n in new[] { 37, 6 * 512 + 7, 1 << 20 })
        {
            float[] x = (float[])Inputs(n, c.Lo, c.Hi, seed: 7).Clone(), y = Inputs(n, -2f, 2f, seed: 8);
            var expected = new float[n];
            c.Naive(x, y, expected);
            float[] intoX = (float[])x.Clone(), intoY = (float[])y.Clone();
            c.Simd(intoX, y, intoX);
            Close(expected, intoX, c.Exact, $"{op} into x n={n}");
            c.Simd(x, intoY, intoY);
            Close(expected, intoY, c.Exact, $"{op} into y n={n}");
            c.ScalarNaive(x, 3f, expected);
            c.ScalarSimd(x, 3f, x);
            Close(expected, x, c.Exact, $"{op} scalar into x n={n}");
        }
    }

    // ------------------------------------------------------------------ semantics the docs promise

    [Fact]
    public void Maximum_PropagatesNaN_InBothOperandOrders()
    {
        float[] a = { float.NaN, 1f, -0f, 0f, 2f, float.NaN, 3f, 4f };
        float[] b = { 1f, float.NaN, 0f, -0f, 1f, float.NaN, -3f, float.PositiveInfinity };
        foreach (var (x, y) in new[] { (a, b), (b, a) })
        {
            var naive = new float[8];
            var simd = new float[8];
            ElementwiseKernels.BinaryNaive<Maximum>(x, y, naive);
            ElementwiseKernels.BinarySimd<Maximum>(x, y, simd);
            Assert.True(float.IsNaN(naive[0]) && float.IsNaN(naive[1]) && float.IsNaN(simd[0]) && float.IsNaN(simd[1]));
            Assert.False(float.IsNegative(simd[2]) || float.IsNegative(simd[3]), "max(−0, +0) must be +0");
            Assert.Equal(naive, simd);
        }
    }

    [Fact]
    public void Relu_PropagatesNaN_AndZeroesNegatives()
    {
        float[] x = { float.NaN, -1f, 2f, float.NegativeInfinity, -0f, 5f, -3f, 0.5f };
        var y = new float[8];
        ElementwiseKernels.UnarySimd<Relu>(x, y);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(new[] { 0f, 2f, 0f, 0f, 5f, 0f, 0.5f }, y[1..]);
    }

    [Fact]
    public void AddInto_AccumulatesAndFillSets()
    {
        foreach (int n in new[] { 0, 13, 1 << 20 })
        {
            float[] src = Inputs(n, -1f, 1f, 3), dst = (float[])Inputs(n, -1f, 1f, 4).Clone();
            var expected = new float[n];
            ElementwiseKernels.BinaryNaive<Add>(dst, src, expected);
            ElementwiseKernels.AddInto(src, dst);
            Close(expected, dst, exact: true, $"AddInto n={n}");
            ElementwiseKernels.Fill(dst, 2.5f);
            Assert.All(dst, v => Assert.Equal(2.5f, v));
        }
    }

    [Fact]
    public void Kernels_RejectMismatchedLengths()
    {
        var x = new float[5];
        Assert.Throws<ArgumentException>(() => ElementwiseKernels.UnarySimd<Relu>(x, new float[4]));
        Assert.Throws<ArgumentException>(() => ElementwiseKernels.UnaryNaive<Relu>(x, new float[6]));
        Assert.Throws<ArgumentException>(() => ElementwiseKernels.BinarySimd<Add>(x, new float[4], new float[5]));
        Assert.Throws<ArgumentException>(() => ElementwiseKernels.BinaryNaive<Add>(x, new float[5], new float[4]));
        Assert.Throws<ArgumentException>(() => ElementwiseKernels.ScalarSimd<Mul>(x, 2f, new float[4]));
        Assert.Throws<ArgumentException>(() => ElementwiseKernels.ScalarLeftSimd<Sub>(2f, x, new float[6]));
        Assert.Throws<ArgumentException>(() => ElementwiseKernels.AddInto(x, new float[4]));
    }

    // ------------------------------------------------------------------ backward vs finite differences

    /// <summary>Backward op, forward op it differentiates, and which first operand it takes.</summary>
    private sealed record GradCase(
        Func<float, float> Forward, Func<float, float> FirstOperand, BinaryKernel Naive, BinaryKernel Simd, double Lo, double Hi);

    private static GradCase Grad<TForward, TBackward>(bool takesOutput, double lo, double hi)
        where TForward : IUnaryOp where TBackward : IBinaryOp => new(
            x => TForward.Invoke(x),
            takesOutput ? x => TForward.Invoke(x) : x => x,
            (a, dy, dx) => ElementwiseKernels.BinaryNaive<TBackward>(a, dy, dx),
            (a, dy, dx) => ElementwiseKernels.BinarySimd<TBackward>(a, dy, dx),
            lo, hi);

    private static readonly Dictionary<string, GradCase> GradCases = new()
    {
        ["relu"] = Grad<Relu, ReluBackward>(takesOutput: false, -3, 3),
        ["silu"] = Grad<Silu, SiluBackward>(takesOutput: false, -8, 8),
        ["sigmoid"] = Grad<Sigmoid, SigmoidBackward>(takesOutput: true, -8, 8),
        ["tanh"] = Grad<Tanh, TanhBackward>(takesOutput: true, -4, 4),
        ["sqrt"] = Grad<Sqrt, SqrtBackward>(takesOutput: true, 0.05, 10),
        ["square"] = Grad<Square, SquareBackward>(takesOutput: false, -5, 5),
        ["log"] = Grad<Log, LogBackward>(takesOutput: false, 0.05, 10),
        // The header's claim: exp's backward is Mul with the forward output.
        ["exp"] = Grad<Exp, Mul>(takesOutput: true, -5, 5),
    };

    public static IEnumerable<object[]> GradNames() => GradCases.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(GradNames))]
    public void Backward_MatchesFiniteDifference(string op)
    {
        var c = GradCases[op];
        const int n = 53;
        var rng = new Random(11);
        var x = new float[n];
        var first = new float[n];
        var dy = new float[n];
        var expected = new float[n];
        for (int i = 0; i < n; i++)
        {
            double v;
            do v = c.Lo + (c.Hi - c.Lo) * rng.NextDouble();
            while (op == "relu" && Math.Abs(v) < 0.05); // skip the kink, where the derivative is not defined
            x[i] = (float)v;
            first[i] = c.FirstOperand(x[i]);
            dy[i] = (float)(rng.NextDouble() * 2 - 1);
            // 4-point central stencil in double over the float forward op: error O(h⁴) plus
            // the forward op's rounding (about 1e-7·|f|) divided by h.
            double h = 1e-2 * Math.Max(1.0, Math.Abs(x[i]));
            double f(double t) => c.Forward((float)t);
            double slope = (-f(x[i] + 2 * h) + 8 * f(x[i] + h) - 8 * f(x[i] - h) + f(x[i] - 2 * h)) / (12 * h);
            expected[i] = (float)(slope * dy[i]);
        }
        var naive = new float[n];
        var simd = new float[n];
        c.Naive(first, dy, naive);
        c.Simd(first, dy, simd);
        Check.Close(expected, naive, abs: 2e-4f, rel: 2e-3f, what: $"{op} naive backward vs finite differences");
        Check.Close(expected, simd, abs: 2e-4f, rel: 2e-3f, what: $"{op} SIMD backward vs finite differences");
    }

    [Fact]
    public void NegBackward_IsNeg()
    {
        // d(−x)/dx = −1: the gradient of Neg is Neg applied to dy, exactly.
        float[] dy = Inputs(19, -1f, 1f, 5);
        var dx = new float[19];
        ElementwiseKernels.UnarySimd<Neg>(dy, dx);
        for (int i = 0; i < dy.Length; i++) Assert.Equal(-dy[i], dx[i]);
    }

    // ------------------------------------------------------------------ helpers

    // Inputs are cached: the 1<<20 cases would otherwise spend most of their time in System.Random.
    // Callers must not write into a cached array (the in-place tests clone it first).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int, float, float, int), float[]> InputCache = new();

    /// <summary>Seeded uniform inputs in [lo, hi), with special values (±0, ±∞, NaN, tiny, huge) sprinkled in from n ≥ 24. Shared: do not modify.</summary>
    private static float[] Inputs(int n, float lo, float hi, int seed) =>
        InputCache.GetOrAdd((n, lo, hi, seed), key => MakeInputs(key.Item1, key.Item2, key.Item3, key.Item4));

    private static float[] MakeInputs(int n, float lo, float hi, int seed)
    {
        float[] x = Check.Random(n, seed, lo, hi);
        if (n >= 24)
        {
            float[] specials = { 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-30f, -1e-30f, float.MaxValue };
            for (int k = 0; k < specials.Length; k++)
                x[(k * 7919 + seed) % n] = specials[k];
        }
        return x;
    }

    private static void Close(float[] expected, float[] actual, bool exact, string what)
    {
        if (exact) Check.Close(expected, actual, abs: 0f, rel: 0f, what: what);
        else Check.Close(expected, actual, abs: 1e-6f, rel: 1e-6f, what: what);
    }
}
