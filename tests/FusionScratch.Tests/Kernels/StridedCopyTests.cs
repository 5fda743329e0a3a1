// Strided copy: StridedFast against StridedNaive on transposes and permutations of ragged shapes
// (every path: blocked 8×8 transpose with edges, memmove rows, fill, gather), slices with offsets
// and steps, broadcasts (stride 0), rank 0, empty views, and copies large enough to use threads;
// StridedNaive itself against the transpose formula. A copy is exact: results must match bit for bit.
// Run: dotnet test --filter "FullyQualifiedName~StridedCopyTests"

using FusionScratch.Kernels.Layout;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class StridedCopyTests
{
    // "dims/perm": a contiguous tensor of dims, viewed with its axes permuted (view dim d = source dim perm[d]).
    public static IEnumerable<object[]> Permutations() => new[]
    {
        "37,53/1,0",            // ragged transpose: 8×8 blocks plus both edges
        "64,48/1,0",            // whole 8×8 blocks only
        "3,5,7/2,0,1",          // merges to a (7, 15) transpose
        "3,5,7/0,2,1", "3,5,7/1,0,2", "3,5,7/1,2,0", "3,5,7/2,1,0", "3,5,7/0,1,2",
        "4,6,9,10/0,1,3,2",     // batched transpose of the last two dims
        "2,3,4,5,6/4,2,0,3,1",  // a scramble: gather rows
        "5,1,9/2,1,0",          // size-1 dim dropped
        "600,700/1,0",          // 420 000 elements: transpose strips split across threads
        "1024,1024/0,1",        // contiguous: one memmove in chunks
        "4,700,300/0,2,1",      // batched transpose above the threading threshold
    }.Select(s => new object[] { s });

    [Theory]
    [MemberData(nameof(Permutations))]
    public void StridedFast_MatchesNaive_OnPermutations(string spec)
    {
        var parts = spec.Split('/');
        int[] dims = parts[0].Split(',').Select(int.Parse).ToArray();
        int[] perm = parts[1].Split(',').Select(int.Parse).ToArray();
        int[] strides = ContiguousStrides(dims);
        int[] viewDims = perm.Select(p => dims[p]).ToArray();
        int[] viewStrides = perm.Select(p => strides[p]).ToArray();
        float[] x = Check.Random(dims.Aggregate(1, (a, b) => a * b), 1);
        AssertFastMatchesNaive(x, viewStrides, viewDims, spec);
    }

    public static IEnumerable<object[]> Views() => new[]
    {
        // name, source length, offset, view dims, view strides
        new object[] { "slice (10,12) of (20,30) at (3,5)", 600, 3 * 30 + 5, new[] { 10, 12 }, new[] { 30, 1 } },
        new object[] { "every other row and column", 600, 1, new[] { 10, 15 }, new[] { 60, 2 } },
        new object[] { "transposed slice", 600, 31, new[] { 13, 9 }, new[] { 1, 30 } },
        new object[] { "broadcast row (7) to (5,7)", 7, 0, new[] { 5, 7 }, new[] { 0, 1 } },
        new object[] { "broadcast column (5,1) to (5,7)", 5, 0, new[] { 5, 7 }, new[] { 1, 0 } },
        new object[] { "broadcast scalar to (4,3,2)", 1, 0, new[] { 4, 3, 2 }, new[] { 0, 0, 0 } },
        new object[] { "rank 0", 3, 2, Array.Empty<int>(), Array.Empty<int>() },
        new object[] { "empty view", 10, 0, new[] { 3, 0, 2 }, new[] { 2, 1, 1 } },
        new object[] { "stride-3 gather above the threshold", 400 * 2100, 0, new[] { 400, 700 }, new[] { 2100, 3 } },
        new object[] { "broadcast (1000) to (1000,300): fill rows", 1000, 0, new[] { 1000, 300 }, new[] { 1, 0 } },
    };

    [Theory]
    [MemberData(nameof(Views))]
    public void StridedFast_MatchesNaive_OnSlicesAndBroadcasts(string name, int length, int offset, int[] dims, int[] strides)
    {
        float[] source = Check.Random(length, 2);
        AssertFastMatchesNaive(source.AsSpan(offset).ToArray(), strides, dims, name);
    }

    [Fact]
    public void StridedNaive_Transposes()
    {
        // (37,53) viewed as its transpose (53,37): y[i,j] = x[j,i].
        float[] x = Check.Random(37 * 53, 3);
        var y = new float[x.Length];
        CopyKernels.StridedNaive(x, new[] { 1, 53 }, new[] { 53, 37 }, y);
        for (int i = 0; i < 53; i++)
            for (int j = 0; j < 37; j++)
                Assert.Equal(x[j * 53 + i], y[i * 37 + j]);
    }

    [Fact]
    public void StridedCopy_RejectsInconsistentArguments()
    {
        var x = new float[20];
        var ex = Assert.Throws<ArgumentException>(() => CopyKernels.StridedFast(x, new[] { 5, 1 }, new[] { 4, 5 }, new float[19]));
        Assert.Contains("output length", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => CopyKernels.StridedNaive(x, new[] { 1 }, new[] { 4, 5 }, new float[20]));
        Assert.Contains("rank mismatch", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => CopyKernels.StridedFast(x, new[] { 6, 1 }, new[] { 4, 5 }, new float[20]));
        Assert.Contains("reach element", ex.Message);
        Assert.Throws<ArgumentException>(() => CopyKernels.StridedFast(x, new[] { -5, 1 }, new[] { 4, 5 }, new float[20]));
    }

    private static void AssertFastMatchesNaive(float[] x, int[] strides, int[] dims, string what)
    {
        int count = dims.Aggregate(1, (a, b) => a * b);
        var expected = new float[count];
        var actual = new float[count];
        CopyKernels.StridedNaive(x, strides, dims, expected);
        CopyKernels.StridedFast(x, strides, dims, actual);
        Check.Close(expected, actual, abs: 0f, rel: 0f, what: what);
    }

    private static int[] ContiguousStrides(int[] dims)
    {
        var strides = new int[dims.Length];
        for (int d = dims.Length - 1, s = 1; d >= 0; d--)
        {
            strides[d] = s;
            s *= dims[d];
        }
        return strides;
    }
}
