// Conv2dKernels: the naive convolution against hand-computed cases and its backward against the
// adjoint identities; im2col + GEMM against naive in all three directions over ragged shapes
// (odd H×W, C = 3/5, K = 1…17, 1×1 / 3×3 / 5×5, stride 1/2, pad 0/1/2, N = 1/3), including the
// 1×1 straight-to-GEMM path, the several-images-per-GEMM path (small P·Q), one image per GEMM
// (P·Q ≥ 256), the transposed weight GEMM (C·R·S < K) and the threaded im2col / col2im;
// the image-parallel variant 3 on one and two threads against naive, repeating bit for bit on
// two threads; Conv2dShape's validation.

using FusionScratch.Kernels;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class Conv2dTests
{
    /// <summary>(N, C, H, W, K, R, stride, pad) — square filters R = S.</summary>
    public static IEnumerable<object[]> RaggedShapes()
    {
        int i = 0;
        foreach (int r in new[] { 1, 3, 5 })
            foreach (int stride in new[] { 1, 2 })
                foreach (int pad in new[] { 0, 1, 2 })
                {
                    int c = i % 2 == 0 ? 3 : 5;
                    int k = new[] { 1, 4, 17, 8 }[i % 4];
                    int n = i % 3 == 0 ? 3 : 1;
                    yield return new object[] { n, c, 7, 9, k, r, stride, pad };
                    i++;
                }
        // One image per GEMM (P·Q ≥ 256), with and without the threaded im2col / col2im.
        yield return new object[] { 3, 3, 17, 19, 6, 3, 1, 1 };
        yield return new object[] { 1, 16, 20, 20, 8, 5, 1, 2 };
        // 1×1 straight to GEMM (no im2col), small and large planes; 1×1 with stride 2 via im2col.
        yield return new object[] { 3, 5, 7, 9, 4, 1, 1, 0 };
        yield return new object[] { 2, 5, 16, 17, 3, 1, 1, 0 };
        yield return new object[] { 3, 5, 7, 9, 4, 1, 2, 0 };
        // The reference CNN's first layer: C·R·S = 9 < K = 32, so the weight GEMM runs transposed.
        yield return new object[] { 3, 1, 28, 28, 32, 3, 1, 0 };
        // Single-pixel output and a filter as large as the padded input.
        yield return new object[] { 3, 2, 3, 3, 5, 3, 1, 0 };
        yield return new object[] { 1, 3, 2, 3, 2, 5, 2, 2 };
    }

    [Theory, MemberData(nameof(RaggedShapes))]
    public void Conv2d_Im2Col_MatchesNaive(int N, int C, int H, int W, int K, int R, int stride, int pad)
    {
        var s = new Conv2dShape(N, C, H, W, K, R, R, stride, pad);
        var x = Check.Random(s.InputLength, 1);
        var w = Check.Random(s.WeightLength, 2);
        var b = Check.Random(K, 3);
        var dy = Check.Random(s.OutputLength, 4);
        float tol = 1e-5f * (C * R * R + 1);

        foreach (bool withBias in new[] { true, false })
        {
            var bias = withBias ? b : [];
            var expected = new float[s.OutputLength];
            Conv2dKernels.ForwardNaive(x, w, bias, s, expected);
            var actual = NaNs(s.OutputLength); // every output must be written
            Conv2dKernels.ForwardIm2Col(x, w, bias, s, actual);
            Check.Close(expected, actual, tol, 1e-5f, $"forward {s} bias={withBias}");
        }

        var dxExpected = new float[s.InputLength];
        Conv2dKernels.BackwardInputNaive(dy, w, s, dxExpected);
        var dxActual = NaNs(s.InputLength);
        Conv2dKernels.BackwardInputIm2Col(dy, w, s, dxActual);
        Check.Close(dxExpected, dxActual, 1e-5f * (K * R * R + 1), 1e-5f, $"backward input {s}");

        var dwExpected = new float[s.WeightLength];
        var dbExpected = new float[K];
        Conv2dKernels.BackwardWeightNaive(x, dy, s, dwExpected, dbExpected);
        var dwActual = NaNs(s.WeightLength);
        var dbActual = NaNs(K);
        Conv2dKernels.BackwardWeightIm2Col(x, dy, s, dwActual, dbActual);
        float tolW = 1e-5f * (N * s.P * s.Q + 1);
        Check.Close(dwExpected, dwActual, tolW, 1e-5f, $"backward weight {s}");
        Check.Close(dbExpected, dbActual, tolW, 1e-5f, $"backward bias {s}");
        Conv2dKernels.BackwardWeightIm2Col(x, dy, s, dwActual, []); // no bias gradient wanted
        Check.Close(dwExpected, dwActual, tolW, 1e-5f, $"backward weight without bias {s}");
    }

    /// <summary>
    /// Shapes where variant 3 really splits the batch on two threads (at least two image groups):
    /// several small images per GEMM with a ragged last group, one image per GEMM, 1×1 straight
    /// to GEMM, the transposed weight GEMM (C·R·S &lt; K), stride 2 with padding, and a batch of 2.
    /// </summary>
    public static IEnumerable<object[]> ThreadedShapes()
    {
        yield return new object[] { 8, 3, 9, 7, 5, 3, 1, 1 };     // P·Q = 63: 5 images per GEMM, groups of 5 and 3
        yield return new object[] { 6, 4, 17, 19, 7, 3, 1, 1 };   // P·Q = 323: one image per GEMM
        yield return new object[] { 5, 6, 16, 17, 9, 1, 1, 0 };   // 1×1
        yield return new object[] { 4, 1, 28, 28, 32, 3, 1, 0 };  // C·R·S = 9 < K = 32
        yield return new object[] { 7, 5, 33, 31, 6, 3, 2, 1 };   // stride 2, pad 1
        yield return new object[] { 2, 3, 17, 19, 6, 3, 1, 1 };   // one image per thread
    }

    [Theory, MemberData(nameof(ThreadedShapes))]
    public void Conv2d_ImageParallel_OnOneAndTwoThreads_MatchesNaive(int N, int C, int H, int W, int K, int R, int stride, int pad)
    {
        var s = new Conv2dShape(N, C, H, W, K, R, R, stride, pad);
        Assert.True(Conv2dKernels.ImageChunks(s, 2, 0) >= 2, $"{s} does not take the threaded path");
        var x = Check.Random(s.InputLength, 11);
        var w = Check.Random(s.WeightLength, 12);
        var b = Check.Random(K, 13);
        var dy = Check.Random(s.OutputLength, 14);
        var yExpected = new float[s.OutputLength];
        Conv2dKernels.ForwardNaive(x, w, b, s, yExpected);
        var dxExpected = new float[s.InputLength];
        Conv2dKernels.BackwardInputNaive(dy, w, s, dxExpected);
        var dwExpected = new float[s.WeightLength];
        var dbExpected = new float[K];
        Conv2dKernels.BackwardWeightNaive(x, dy, s, dwExpected, dbExpected);
        float tolW = 1e-5f * (N * s.P * s.Q + 1);

        foreach (int threads in new[] { 1, 2 })
        {
            var y = NaNs(s.OutputLength);
            Conv2dKernels.ForwardImageParallel(x, w, b, s, y, threads, minMultiplyAddsPerThread: 0);
            Check.Close(yExpected, y, 1e-5f * (C * R * R + 1), 1e-5f, $"forward {s} on {threads} threads");
            var dx = NaNs(s.InputLength);
            Conv2dKernels.BackwardInputImageParallel(dy, w, s, dx, threads, minMultiplyAddsPerThread: 0);
            Check.Close(dxExpected, dx, 1e-5f * (K * R * R + 1), 1e-5f, $"backward input {s} on {threads} threads");
            var dw = NaNs(s.WeightLength);
            var db = NaNs(K);
            Conv2dKernels.BackwardWeightImageParallel(x, dy, s, dw, db, threads, minMultiplyAddsPerThread: 0);
            Check.Close(dwExpected, dw, tolW, 1e-5f, $"backward weight {s} on {threads} threads");
            Check.Close(dbExpected, db, tolW, 1e-5f, $"backward bias {s} on {threads} threads");
            dw = NaNs(s.WeightLength);
            Conv2dKernels.BackwardWeightImageParallel(x, dy, s, dw, [], threads, minMultiplyAddsPerThread: 0); // no bias gradient wanted
            Check.Close(dwExpected, dw, tolW, 1e-5f, $"backward weight without bias {s} on {threads} threads");
        }
    }

    [Fact]
    public void Conv2d_ImageParallel_OnTwoThreads_RepeatsBitForBit()
    {
        // Whichever thread runs which chunk, and when, each sum has the same terms in the same
        // order: ten runs give identical bits in all three directions.
        var s = new Conv2dShape(16, 8, 20, 20, 16, 3, 3, stride: 1, pad: 1);
        Assert.True(Conv2dKernels.ImageChunks(s, 2, 0) >= 2);
        var x = Check.Random(s.InputLength, 21);
        var w = Check.Random(s.WeightLength, 22);
        var b = Check.Random(s.K, 23);
        var dy = Check.Random(s.OutputLength, 24);
        float[]? y0 = null, dx0 = null, dw0 = null, db0 = null;
        for (int run = 0; run < 10; run++)
        {
            var y = new float[s.OutputLength];
            var dx = new float[s.InputLength];
            var dw = new float[s.WeightLength];
            var db = new float[s.K];
            Conv2dKernels.ForwardImageParallel(x, w, b, s, y, 2, minMultiplyAddsPerThread: 0);
            Conv2dKernels.BackwardInputImageParallel(dy, w, s, dx, 2, minMultiplyAddsPerThread: 0);
            Conv2dKernels.BackwardWeightImageParallel(x, dy, s, dw, db, 2, minMultiplyAddsPerThread: 0);
            if (run == 0)
            {
                (y0, dx0, dw0, db0) = (y, dx, dw, db);
                continue;
            }
            Assert.Equal(y0, y);
            Assert.Equal(dx0, dx);
            Assert.Equal(dw0, dw);
            Assert.Equal(db0, db);
        }
    }

    [Fact]
    public void Conv2d_ImageParallel_SplitsOnlyWhenItPays()
    {
        var batch = new Conv2dShape(128, 32, 26, 26, 64, 3, 3);
        Assert.Equal(1, Conv2dKernels.ImageChunks(batch, 1, 0));                // one thread: variant 2
        Assert.Equal(2 * Conv2dKernels.ChunksPerThread, Conv2dKernels.ImageChunks(batch, 2, GemmJob.MinMultiplyAddsPerThread));
        Assert.Equal(1, Conv2dKernels.ImageChunks(batch, 2, long.MaxValue / 4)); // too little work per thread
        var one = new Conv2dShape(1, 32, 26, 26, 64, 3, 3);
        Assert.Equal(1, Conv2dKernels.ImageChunks(one, 2, 0));                  // one image: the GEMM threads itself
        var small = new Conv2dShape(3, 3, 9, 7, 5, 3, 3, stride: 1, pad: 1);     // 5 images per GEMM: one group
        Assert.Equal(1, Conv2dKernels.ImageChunks(small, 2, 0));
    }

    [Fact]
    public void Conv2d_Naive_MatchesHandComputedCases()
    {
        // x = 1…9 as a 3×3 image; w = [[1, 0], [0, −1]]: y[p,q] = x[p,q] − x[p+1,q+1] = −4, plus bias 0.5.
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var s = new Conv2dShape(1, 1, 3, 3, 1, 2, 2);
        var y = new float[4];
        Conv2dKernels.ForwardNaive(x, [1, 0, 0, -1], [0.5f], s, y);
        Assert.Equal(new float[] { -3.5f, -3.5f, -3.5f, -3.5f }, y);

        // 3×3 box filter, pad 1, stride 2: each output sums the image pixels of its window.
        var s2 = new Conv2dShape(1, 1, 3, 3, 1, 3, 3, stride: 2, pad: 1);
        Assert.Equal((2, 2), (s2.P, s2.Q));
        var y2 = new float[4];
        Conv2dKernels.ForwardNaive(x, Enumerable.Repeat(1f, 9).ToArray(), [], s2, y2);
        Assert.Equal(new float[] { 1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9 }, y2);

        // Two input channels, two filters, 1×1: y[k] = Σc w[k,c]·x[c].
        float[] x3 = [1, 2, 3, 4, 10, 20, 30, 40];           // (1,2,2,2)
        float[] w3 = [1, 1, 2, -1];                            // (2,2,1,1)
        var y3 = new float[8];
        Conv2dKernels.ForwardNaive(x3, w3, [], new Conv2dShape(1, 2, 2, 2, 2, 1, 1), y3);
        Assert.Equal(new float[] { 11, 22, 33, 44, -8, -16, -24, -32 }, y3);

        // Backward of the first case with dy = 1: dx is the sum of the filter over the outputs
        // reading each pixel; dw[r,s] sums the pixels tap (r,s) reads; db = 4.
        var dx = new float[9];
        Conv2dKernels.BackwardInputNaive([1, 1, 1, 1], [1, 0, 0, -1], s, dx);
        Assert.Equal(new float[] { 1, 1, 0, 1, 0, -1, 0, -1, -1 }, dx);
        var dw = new float[4];
        var db = new float[1];
        Conv2dKernels.BackwardWeightNaive(x, [1, 1, 1, 1], s, dw, db);
        Assert.Equal(new float[] { 1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9 }, dw);
        Assert.Equal(4f, db[0]);
    }

    [Theory]
    [InlineData(2, 3, 7, 9, 4, 3, 1, 1)]
    [InlineData(1, 2, 8, 5, 3, 5, 2, 2)]
    public void Conv2d_NaiveBackward_IsTheAdjointOfForward(int N, int C, int H, int W, int K, int R, int stride, int pad)
    {
        // y = conv(x, w) is linear in x and in w, so ⟨conv(x, w), dy⟩ = ⟨x, dx⟩ = ⟨w, dw⟩.
        var s = new Conv2dShape(N, C, H, W, K, R, R, stride, pad);
        var x = Check.Random(s.InputLength, 5);
        var w = Check.Random(s.WeightLength, 6);
        var dy = Check.Random(s.OutputLength, 7);
        var y = new float[s.OutputLength];
        Conv2dKernels.ForwardNaive(x, w, [], s, y);
        var dx = new float[s.InputLength];
        Conv2dKernels.BackwardInputNaive(dy, w, s, dx);
        var dw = new float[s.WeightLength];
        Conv2dKernels.BackwardWeightNaive(x, dy, s, dw, []);
        double ydy = Dot(y, dy), xdx = Dot(x, dx), wdw = Dot(w, dw);
        Assert.True(Math.Abs(ydy - xdx) < 1e-3 * (1 + Math.Abs(ydy)), $"⟨y,dy⟩ = {ydy}, ⟨x,dx⟩ = {xdx}");
        Assert.True(Math.Abs(ydy - wdw) < 1e-3 * (1 + Math.Abs(ydy)), $"⟨y,dy⟩ = {ydy}, ⟨w,dw⟩ = {wdw}");
    }

    [Fact]
    public void Conv2d_Im2Col_ThenCol2Im_IsTheAdjointPair()
    {
        var s = new Conv2dShape(2, 3, 7, 9, 1, 3, 3, stride: 2, pad: 1);
        int crs = 27, cols = 2 * s.P * s.Q;
        var x = Check.Random(s.InputLength, 8);
        var g = Check.Random(crs * cols, 9);
        var col = new float[crs * cols];
        Conv2dKernels.Im2Col(x, s, 2, col);
        var back = new float[s.InputLength];
        Conv2dKernels.Col2Im(g, s, 2, back);
        double a = Dot(col, g), b = Dot(x, back);
        Assert.True(Math.Abs(a - b) < 1e-4 * (1 + Math.Abs(a)), $"⟨im2col x, g⟩ = {a}, ⟨x, col2im g⟩ = {b}");
    }

    [Fact]
    public void Conv2dShape_RejectsBadDimensionsWithClearMessages()
    {
        Assert.Contains("stride", Assert.Throws<ArgumentException>(() => new Conv2dShape(1, 1, 5, 5, 1, 3, 3, stride: 0)).Message);
        Assert.Contains("padding", Assert.Throws<ArgumentException>(() => new Conv2dShape(1, 1, 5, 5, 1, 3, 3, pad: -1)).Message);
        Assert.Contains("does not fit", Assert.Throws<ArgumentException>(() => new Conv2dShape(1, 1, 2, 5, 1, 3, 3)).Message);
        Assert.Throws<ArgumentException>(() => new Conv2dShape(1, 0, 5, 5, 1, 3, 3));
        var s = new Conv2dShape(2, 3, 5, 5, 4, 3, 3, pad: 1);
        Assert.Equal((5, 5), (s.P, s.Q));
        var ex = Assert.Throws<ArgumentException>(() =>
            Conv2dKernels.ForwardIm2Col(new float[10], new float[s.WeightLength], [], s, new float[s.OutputLength]));
        Assert.Contains("(2,3,5,5)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() =>
            Conv2dKernels.ForwardNaive(new float[s.InputLength], new float[s.WeightLength], new float[3], s, new float[s.OutputLength]));
        Assert.Contains("bias", ex.Message);
    }

    [Fact]
    public void Conv2d_EmptyBatch_ZeroesWeightGradient()
    {
        var s = new Conv2dShape(0, 2, 5, 5, 3, 3, 3);
        var dw = NaNs(s.WeightLength);
        var db = NaNs(3);
        Conv2dKernels.BackwardWeightIm2Col([], [], s, dw, db);
        Assert.All(dw, v => Assert.Equal(0f, v));
        Assert.All(db, v => Assert.Equal(0f, v));
    }

    internal static float[] NaNs(int n)
    {
        var a = new float[n];
        Array.Fill(a, float.NaN);
        return a;
    }

    internal static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }
}

/// <summary>
/// Steady state allocates nothing: after one warm-up call, the single-threaded paths of every
/// fast conv-family kernel (scratch from ArrayPool, argument checks that build their messages
/// only on failure) allocate 0 bytes. Shapes stay below the threading thresholds here; the
/// threaded paths are checked process-wide in ThreadedKernelAllocationTests.
/// </summary>
public class ConvKernelAllocationTests
{
    /// <summary>
    /// Bytes allocated by three calls after a warm-up, the least of three rounds: a gen-2 GC
    /// caused by other tests running in parallel may trim ArrayPool's buckets, and the next rent
    /// then allocates once — the pool's doing, not a per-call allocation of the kernel's (seen
    /// once in CI). A kernel that allocates per call allocates in every round.
    /// </summary>
    private static long Allocated(Action run)
    {
        run(); // warm-up: JIT, ArrayPool buckets, thread-local state
        long least = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 3; i++) run();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }

    [Fact]
    public void ConvKernels_SteadyState_AllocateNothing()
    {
        var s = new Conv2dShape(2, 3, 9, 9, 4, 3, 3, stride: 1, pad: 1);
        var small = new Conv2dShape(3, 3, 5, 5, 4, 3, 3, stride: 2, pad: 1); // several images per GEMM
        var dws = new Conv2dShape(2, 3, 9, 11, 3, 3, 3, stride: 2, pad: 1);
        var ps = new FusionScratch.Kernels.Pool.PoolShape(2, 3, 9, 11, 3, 2, 1);
        float[] x = new float[1024], w = new float[108], b = new float[4], y = new float[1024], dy = new float[1024],
                dx = new float[1024], dw = new float[108], db = new float[4], m = new float[3], v = new float[3], g = new float[3];
        int[] arg = new int[1024];
        foreach (var (name, run) in new (string, Action)[]
        {
            ("conv forward", () => Conv2dKernels.ForwardIm2Col(x.AsSpan(0, s.InputLength), w, b, s, y.AsSpan(0, s.OutputLength))),
            ("conv backward input", () => Conv2dKernels.BackwardInputIm2Col(dy.AsSpan(0, s.OutputLength), w, s, dx.AsSpan(0, s.InputLength))),
            ("conv backward weight", () => Conv2dKernels.BackwardWeightIm2Col(x.AsSpan(0, s.InputLength), dy.AsSpan(0, s.OutputLength), s, dw, db)),
            ("conv forward, batched images", () => Conv2dKernels.ForwardIm2Col(x.AsSpan(0, small.InputLength), w, b, small, y.AsSpan(0, small.OutputLength))),
            ("conv backward weight, batched", () => Conv2dKernels.BackwardWeightIm2Col(x.AsSpan(0, small.InputLength), dy.AsSpan(0, small.OutputLength), small, dw, db)),
            ("depthwise forward", () => DepthwiseConv2dKernels.ForwardSimd(x.AsSpan(0, dws.InputLength), w.AsSpan(0, 27), b.AsSpan(0, 3), dws, y.AsSpan(0, dws.OutputLength))),
            ("depthwise backward input", () => DepthwiseConv2dKernels.BackwardInputSimd(dy.AsSpan(0, dws.OutputLength), w.AsSpan(0, 27), dws, dx.AsSpan(0, dws.InputLength))),
            ("depthwise backward weight", () => DepthwiseConv2dKernels.BackwardWeightSimd(x.AsSpan(0, dws.InputLength), dy.AsSpan(0, dws.OutputLength), dws, dw.AsSpan(0, 27), db.AsSpan(0, 3))),
            ("max pool", () => FusionScratch.Kernels.Pool.PoolKernels.MaxPool2dSimd(x.AsSpan(0, ps.InputLength), ps, y.AsSpan(0, ps.OutputLength), arg.AsSpan(0, ps.OutputLength))),
            ("max pool backward", () => FusionScratch.Kernels.Pool.PoolKernels.MaxPool2dBackwardParallel(dy.AsSpan(0, ps.OutputLength), arg.AsSpan(0, ps.OutputLength), ps, dx.AsSpan(0, ps.InputLength))),
            ("avg pool", () => FusionScratch.Kernels.Pool.PoolKernels.AvgPool2dSimd(x.AsSpan(0, ps.InputLength), ps, y.AsSpan(0, ps.OutputLength))),
            ("avg pool backward", () => FusionScratch.Kernels.Pool.PoolKernels.AvgPool2dBackwardSimd(dy.AsSpan(0, ps.OutputLength), ps, dx.AsSpan(0, ps.InputLength))),
            ("batch norm", () => FusionScratch.Kernels.Norm.BatchNorm2dKernels.ForwardTrainingSimd(x.AsSpan(0, 198), g, g, 2, 3, 33, 1e-5f, 0.1f, y.AsSpan(0, 198), m, v, [], [])),
            ("batch norm backward", () => FusionScratch.Kernels.Norm.BatchNorm2dKernels.BackwardSimd(x.AsSpan(0, 198), dy.AsSpan(0, 198), m, v, g, 2, 3, 33, true, dx.AsSpan(0, 198), db.AsSpan(0, 3), dw.AsSpan(0, 3))),
        })
            Assert.True(Allocated(run) == 0, $"{name} allocated {Allocated(run)} bytes in steady state");
    }
}

/// <summary>
/// The threaded paths allocate nothing either: the conv kernels' parallel loops pass their state
/// to static lambdas (no closures) and take their scratch and partial sums from ArrayPool. Worker
/// threads allocate too, so this counts the whole process, alone (SerialTests), and takes the best
/// of several windows, since the test runner allocates now and then on its own threads.
/// </summary>
[Collection(nameof(SerialTests))]
public class ThreadedKernelAllocationTests
{
    private static long AllocatedProcessWide(Action run)
    {
        for (int i = 0; i < 3; i++) run(); // warm-up: JIT, workers, ArrayPool buckets on every thread
        long best = long.MaxValue;
        for (int window = 0; window < 10 && best != 0; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < 3; i++) run();
            best = Math.Min(best, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        return best;
    }

    [Fact]
    public void ThreadedKernels_SteadyState_AllocateNothing()
    {
        var s = new Conv2dShape(16, 8, 20, 20, 16, 3, 3, stride: 1, pad: 1);
        var x = Check.Random(s.InputLength, 1);
        var w = Check.Random(s.WeightLength, 2);
        var b = Check.Random(s.K, 3);
        var dy = Check.Random(s.OutputLength, 4);
        var y = new float[s.OutputLength];
        var dx = new float[s.InputLength];
        var dw = new float[s.WeightLength];
        var db = new float[s.K];
        var big = Check.Random(1 << 20, 5);
        var big2 = new float[1 << 20];
        int saved = Parallelism.Threads;
        Parallelism.Threads = 2; // alone in this collection: nothing else reads the setting meanwhile
        try
        {
            foreach (var (name, run) in new (string, Action)[]
            {
                ("conv forward, images on 2 threads", () => Conv2dKernels.ForwardImageParallel(x, w, b, s, y, 2, 0)),
                ("conv backward input, images on 2 threads", () => Conv2dKernels.BackwardInputImageParallel(dy, w, s, dx, 2, 0)),
                ("conv backward weight, images on 2 threads", () => Conv2dKernels.BackwardWeightImageParallel(x, dy, s, dw, db, 2, 0)),
                ("conv forward, variant 2 (threaded im2col and GEMM)", () => Conv2dKernels.ForwardIm2Col(x, w, b, s, y)),
                ("elementwise add, 1M floats", () => FusionScratch.Kernels.Elementwise.ElementwiseKernels.AddInto(big, big2)),
                ("softmax 1024×1024", () => SoftmaxKernels.SoftmaxSimd(big, 1024, 1024, big2)),
                ("sum over rows, 1024×1024", () => ReduceKernels.SumSimd(big, 1024, 1024, 1, big2.AsSpan(0, 1024))),
            })
            {
                long bytes = AllocatedProcessWide(run);
                Assert.True(bytes == 0, $"{name}: every window of 3 warm calls allocated (at least {bytes} bytes, process-wide)");
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }
}
