// Broadcast kernels: BroadcastSimd against BroadcastNaive for every binary op over shapes that
// exercise each inner-loop path (both operands contiguous, one broadcast along the row, both
// broadcast, a transposed operand), rank 0, empty shapes and outputs large enough to use threads;
// BroadcastNaive itself against a hand-written loop; clear errors on inconsistent arguments.
// Same scalar op on both sides, so results must match bit for bit.
// Run: dotnet test --filter "FullyQualifiedName~BroadcastTests"

using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Simd;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class BroadcastTests
{
    private delegate void BroadcastKernel(
        ReadOnlySpan<float> x, ReadOnlySpan<int> xStrides, ReadOnlySpan<float> y, ReadOnlySpan<int> yStrides,
        ReadOnlySpan<int> outDims, Span<float> z);

    private static (BroadcastKernel Naive, BroadcastKernel Simd) Kernels<TOp>() where TOp : IBinaryOp => (
        (x, xs, y, ys, d, z) => ElementwiseKernels.BroadcastNaive<TOp>(x, xs, y, ys, d, z),
        (x, xs, y, ys, d, z) => ElementwiseKernels.BroadcastSimd<TOp>(x, xs, y, ys, d, z));

    private static readonly Dictionary<string, (BroadcastKernel Naive, BroadcastKernel Simd)> Ops = new()
    {
        ["add"] = Kernels<Add>(),
        ["sub"] = Kernels<Sub>(),
        ["mul"] = Kernels<Mul>(),
        ["div"] = Kernels<Div>(),
        ["maximum"] = Kernels<Maximum>(),
        ["minimum"] = Kernels<Minimum>(),
    };

    // Shapes written "a|b": each operand's dims, numpy broadcasting rules (aligned on the right).
    private static readonly string[] ShapePairs =
    {
        "2,3,4|3,1",        // y broadcast along the last dim: scalar-right rows
        "5,1,7|1,6,1",      // both operands broadcast, on different dims
        "3,1|1,4",          // outer product
        "2,1,3|2,4,3",      // x repeated along the middle dim: contiguous rows
        "7,9|7,9",          // same shape: merges to one flat run
        "4,5|",             // y a scalar (rank 0)
        "|6",               // x a scalar
        "|",                // rank 0 output
        "1|6",
        "0,3|3",            // empty output
        "17,33,5|33,1",
        "300,1001|300,1",   // 300 300 elements: rows split across threads
        "1024,1024|1024",   // 1M elements, y a row vector repeated
        "600,700|600,700",  // same shape, 420 000 elements: the flat kernel on threads
        "512,1000|",        // y a scalar, 512 000 elements
    };

    public static IEnumerable<object[]> Cases() =>
        from op in Ops.Keys from shapes in ShapePairs select new object[] { op, shapes };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BroadcastSimd_MatchesNaive(string op, string shapes)
    {
        var (a, b) = Parse(shapes);
        int[] outDims = BroadcastShape(a, b);
        float[] x = Check.Random(Count(a), 1, -3f, 3f), y = Check.Random(Count(b), 2, -3f, 3f);
        int[] xs = BroadcastStrides(a, outDims), ys = BroadcastStrides(b, outDims);
        var (naive, simd) = Ops[op];
        var expected = new float[Count(outDims)];
        var actual = new float[expected.Length];
        naive(x, xs, y, ys, outDims, expected);
        simd(x, xs, y, ys, outDims, actual);
        Check.Close(expected, actual, abs: 0f, rel: 0f, what: $"{op} ({shapes}) → ({string.Join(",", outDims)})");
    }

    [Theory]
    [InlineData("both broadcast along the row")]
    [InlineData("transposed x")]
    [InlineData("transposed y, sliced x")]
    public void BroadcastSimd_MatchesNaive_OnExplicitStrides(string layout)
    {
        // Layouts BroadcastStrides does not produce: they reach the fill and the strided-loop paths.
        int[] outDims = { 6, 10 };
        float[] x = Check.Random(200, 3), y = Check.Random(200, 4);
        var (xs, ys) = layout switch
        {
            "both broadcast along the row" => (new[] { 1, 0 }, new[] { 2, 0 }),
            "transposed x" => (new[] { 1, 6 }, new[] { 10, 1 }),
            _ => (new[] { 20, 2 }, new[] { 1, 6 }),
        };
        foreach (var (naive, simd) in Ops.Values)
        {
            var expected = new float[60];
            var actual = new float[60];
            naive(x, xs, y, ys, outDims, expected);
            simd(x, xs, y, ys, outDims, actual);
            Check.Close(expected, actual, abs: 0f, rel: 0f, what: layout);
        }
    }

    [Fact]
    public void BroadcastNaive_MatchesHandWrittenLoop()
    {
        // (2,3,4) − (3,1): z[i,j,k] = x[i,j,k] − y[j]
        float[] x = Check.Random(24, 5), y = Check.Random(3, 6);
        var z = new float[24];
        ElementwiseKernels.BroadcastNaive<Sub>(x, new[] { 12, 4, 1 }, y, new[] { 0, 1, 0 }, new[] { 2, 3, 4 }, z);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                    Assert.Equal(x[i * 12 + j * 4 + k] - y[j], z[i * 12 + j * 4 + k]);
    }

    [Fact]
    public void BroadcastSimd_InPlace_IntoFullShapeOperand()
    {
        // z aliases x (x has the output's shape): x += bias row, the layer's "add bias" step.
        int[] outDims = { 37, 53 };
        float[] x = Check.Random(37 * 53, 7), bias = Check.Random(53, 8);
        var expected = new float[x.Length];
        ElementwiseKernels.BroadcastNaive<Add>(x, new[] { 53, 1 }, bias, new[] { 0, 1 }, outDims, expected);
        ElementwiseKernels.BroadcastSimd<Add>(x, new[] { 53, 1 }, bias, new[] { 0, 1 }, outDims, x);
        Check.Close(expected, x, abs: 0f, rel: 0f, what: "in place");
    }

    [Fact]
    public void Broadcast_RejectsInconsistentArguments()
    {
        var x = new float[12];
        var y = new float[4];
        var z = new float[12];
        int[] dims = { 3, 4 }, xs = { 4, 1 }, ys = { 0, 1 };
        var rankMismatch = Assert.Throws<ArgumentException>(() =>
            ElementwiseKernels.BroadcastSimd<Add>(x, new[] { 1 }, y, ys, dims, z));
        Assert.Contains("rank mismatch", rankMismatch.Message);
        Assert.Throws<ArgumentException>(() => ElementwiseKernels.BroadcastNaive<Add>(x, xs, y, new[] { 0 }, dims, z));
        var wrongOut = Assert.Throws<ArgumentException>(() => ElementwiseKernels.BroadcastSimd<Add>(x, xs, y, ys, dims, new float[11]));
        Assert.Contains("output length", wrongOut.Message);
        var outOfRange = Assert.Throws<ArgumentException>(() => ElementwiseKernels.BroadcastSimd<Add>(x, xs, y, new[] { 1, 1 }, dims, z));
        Assert.Contains("reach element", outOfRange.Message);
        Assert.Throws<ArgumentException>(() => ElementwiseKernels.BroadcastSimd<Add>(x, new[] { 4, -1 }, y, ys, dims, z));
        Assert.Throws<ArgumentException>(() =>
            ElementwiseKernels.BroadcastSimd<Add>(x, new int[9], y, new int[9], new int[] { 1, 1, 1, 1, 1, 1, 1, 1, 12 }, z));
    }

    // ------------------------------------------------------------------ helpers (numpy broadcasting)

    /// <summary>Output shape of broadcasting a with b: aligned on the right, a 1 stretches to the other dim.</summary>
    internal static int[] BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var dims = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            int da = d - (rank - a.Length) >= 0 ? a[d - (rank - a.Length)] : 1;
            int db = d - (rank - b.Length) >= 0 ? b[d - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1) throw new ArgumentException($"cannot broadcast {da} with {db}");
            dims[d] = da == 1 ? db : da;
        }
        return dims;
    }

    /// <summary>Strides (in elements) that read a contiguous operand of <paramref name="shape"/> as <paramref name="outDims"/>: 0 on stretched or missing dims.</summary>
    internal static int[] BroadcastStrides(int[] shape, int[] outDims)
    {
        var strides = new int[outDims.Length];
        int stride = 1;
        for (int d = outDims.Length - 1, s = shape.Length - 1; d >= 0; d--, s--)
        {
            if (s < 0) continue; // missing leading dim: stride 0
            strides[d] = shape[s] == 1 ? 0 : stride;
            stride *= shape[s];
        }
        return strides;
    }

    private static (int[] A, int[] B) Parse(string shapes)
    {
        static int[] Dims(string s) => s.Length == 0 ? Array.Empty<int>() : s.Split(',').Select(int.Parse).ToArray();
        var parts = shapes.Split('|');
        return (Dims(parts[0]), Dims(parts[1]));
    }

    private static int Count(int[] dims) => dims.Aggregate(1, (p, d) => p * d);
}
