// KernelProbes — the problem each `fusion kernel <op>` runs its variants on. Each probe makes
// seeded inputs once, then says, per variant, which calls to time and check (ProbeHarness.cs
// does the rest). Default problems are the sizes the engine meets in training; --quick shrinks
// them to milliseconds (tests, smoke checks).
//
//   matmul                 C(M×N) = A(M×K)·B(K×N), 512³ by default (--m --n --k)
//   conv2d                 the reference CNN's second layer: x (128,32,26,26), 3×3, 32 → 64, pad 0;
//                          forward, input gradient, weight gradient
//   depthwise              the MBConv network's six depthwise layers at batch 128, three directions
//   relu, exp, … add, …    one elementwise op over 1<<22 floats (GB/s: bytes read + written)
//   reduce                 sum, mean, max, argmax of a 4096×1024 matrix along the last axis, then
//                          along the first (the two code paths of the SIMD variant)
//   softmax, crossentropy  4096 rows of 1024 along the last axis, forward and backward
//   pool                   max, average, global average pooling of (128,64,28,28), 3×3 stride 2 pad 1
//   batchnorm              (128,64,28,28): training forward, eval forward, backward
//   copy                   a 2048×2048 matrix: its transpose, a column slice, a broadcast row
// GB/s counts each array read or written once (the compulsory traffic), so it is comparable with
// a memcpy's; the kernels may touch the data more often than that.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Pool;
using FusionScratch.Tensors;

namespace FusionScratch.Runner.Commands;

internal static class KernelProbes
{
    /// <summary>Runs the probe of <paramref name="op"/> (one of <see cref="KernelRegistry.Ops"/>); the exit code of <see cref="ProbeHarness.Run"/>.</summary>
    public static int Run(string op, ProbeOptions o, int m, int n, int k) => op switch
    {
        "matmul" => MatMul(o, m, n, k),
        "conv2d" => Conv2d(o),
        "depthwise" => Depthwise(o),
        "reduce" => Reduce(o),
        "softmax" => Softmax(o),
        "crossentropy" => CrossEntropy(o),
        "pool" => Pool(o),
        "batchnorm" => BatchNorm(o),
        "copy" => Copy(o),
        _ when KernelRegistry.Unary.TryGetValue(op, out var unary) => Unary(op, unary, o),
        _ when KernelRegistry.Binary.TryGetValue(op, out var binary) => Binary(op, binary, o),
        _ => throw new ArgumentException($"no probe for op '{op}'"), // the argument accepts only KernelRegistry.Ops
    };

    // ------------------------------------------------------------------ GEMM and convolutions

    private static int MatMul(ProbeOptions o, int M, int N, int K)
    {
        var rng = new Rng(1);
        var (a, b) = (Random(rng, M * K), Random(rng, K * N));
        // Tolerance grows with K: each output is a K-term float sum.
        var tol = new Tolerance(1e-4 + 1e-5 * K, 1e-5);
        return ProbeHarness.Run("matmul", $"matmul  C({M}×{N}) = A({M}×{K})·B({K}×{N})", KernelRegistry.MatMul, o, RateUnit.GflopPerSecond,
            new ProbeCase<GemmVariant>(null, v =>
            {
                var c = new float[M * N];
                return [new("", () => v.Kernel(a, false, b, false, M, N, K, 1f, 0f, c), () => c, 2.0 * M * N * K, tol)];
            }));
    }

    private static int Conv2d(ProbeOptions o)
    {
        var s = o.Quick ? new Conv2dShape(4, 8, 10, 10, 16, 3, 3) : new Conv2dShape(128, 32, 26, 26, 64, 3, 3);
        string header = $"conv2d  x({s.N},{s.C},{s.H},{s.W}) ⋆ w({s.K},{s.C},{s.R},{s.S}) stride {s.Stride} pad {s.Pad} → y({s.N},{s.K},{s.P},{s.Q})" +
                        (o.Quick ? "" : ", the reference CNN's second layer") + " (forward / input gradient / weight gradient)";
        return ProbeHarness.Run("conv2d", header, KernelRegistry.Conv2d, o, RateUnit.GflopPerSecond,
            ConvCase(null, s, s.WeightLength, s.C * s.R * s.S, s.K * s.R * s.S, new Rng(1)));
    }

    /// <summary>The depthwise layers of EfficientNetLite's stage table: (C, H = W, R = S, stride), pad R/2.</summary>
    private static readonly (int C, int H, int R, int Stride)[] DepthwiseShapes =
        [(16, 14, 3, 1), (64, 14, 3, 2), (96, 7, 3, 1), (96, 7, 5, 1), (160, 7, 5, 1), (160, 7, 3, 1)];

    private static int Depthwise(ProbeOptions o)
    {
        int batch = o.Quick ? 2 : 128;
        var rng = new Rng(1);
        var cases = DepthwiseShapes.Select(d =>
        {
            var s = new Conv2dShape(batch, d.C, d.H, d.H, d.C, d.R, d.R, d.Stride, d.R / 2);
            return ConvCase($"C={d.C} {d.H}×{d.H} {d.R}×{d.R} stride {d.Stride}", s, d.C * d.R * d.R, d.R * d.R, d.R * d.R, rng);
        }).ToArray();
        return ProbeHarness.Run("depthwise", $"depthwise conv2d, the MBConv net's layers at batch {batch} (forward / input gradient / weight gradient)",
            KernelRegistry.Depthwise, o, RateUnit.GflopPerSecond, cases);
    }

    /// <summary>
    /// A convolution's three directions on one shape. Tolerance: abs 1e-5 per summed term (an
    /// output sums <paramref name="forwardTerms"/> products, an input gradient
    /// <paramref name="inputTerms"/>, a weight gradient N·P·Q) plus rel 1e-5.
    /// </summary>
    private static ProbeCase<ConvVariant> ConvCase(string? title, Conv2dShape s, int weightLength, int forwardTerms, int inputTerms, Rng rng)
    {
        var (x, w, b, dy) = (Random(rng, s.InputLength), Random(rng, weightLength), Random(rng, s.K), Random(rng, s.OutputLength));
        double flops = 2.0 * s.OutputLength * forwardTerms; // one multiply-add per output per term, the same in every direction
        return new(title, v =>
        {
            if (!v.Handles(s)) return null;
            var (y, dx, dw, db) = (new float[s.OutputLength], new float[s.InputLength], new float[weightLength], new float[s.K]);
            return
            [
                new("fwd", () => v.Forward(x, w, b, s, y), () => y, flops, PerTerm(forwardTerms)),
                new("dx", () => v.BackwardInput(dy, w, s, dx), () => dx, flops, PerTerm(inputTerms)),
                new("dw", () => v.BackwardWeight(x, dy, s, dw, db), () => [.. dw, .. db], flops, PerTerm(s.N * s.P * s.Q)),
            ];
        });
    }

    private static Tolerance PerTerm(int terms) => new(1e-5 * terms, 1e-5);

    // ------------------------------------------------------------------ elementwise

    /// <summary>Floats per elementwise probe: 16 MB per operand, past every cache.</summary>
    private static int ElementwiseLength(ProbeOptions o) => o.Quick ? 4096 + 7 : 1 << 22;

    /// <summary>VectorMath's exp, log, tanh, sigmoid differ from MathF by a few ulp (the parity tests' tolerance).</summary>
    private static readonly Tolerance ElementwiseTolerance = new(1e-6, 1e-6);

    private static int Unary(string op, IReadOnlyList<UnaryVariant> variants, ProbeOptions o)
    {
        int n = ElementwiseLength(o);
        var (lo, hi) = op is "log" or "sqrt" ? (0.01f, 4f) : (-4f, 4f);
        var x = Random(new Rng(1), n, lo, hi);
        return ProbeHarness.Run(op, $"{op}  y = {op}(x) over {n} floats, x in [{lo}, {hi}]", variants, o, RateUnit.GBPerSecond,
            new ProbeCase<UnaryVariant>(null, v =>
            {
                var y = new float[n];
                return [new("", () => v.Kernel(x, y), () => y, 8.0 * n, ElementwiseTolerance)];
            }));
    }

    private static int Binary(string op, IReadOnlyList<BinaryVariant> variants, ProbeOptions o)
    {
        int n = ElementwiseLength(o);
        var rng = new Rng(1);
        var (x, y) = (Random(rng, n, -4f, 4f), op == "div" ? Random(rng, n, 0.25f, 4f) : Random(rng, n, -4f, 4f));
        return ProbeHarness.Run(op, $"{op}  z = {op}(x, y) over {n} floats", variants, o, RateUnit.GBPerSecond,
            new ProbeCase<BinaryVariant>(null, v =>
            {
                var z = new float[n];
                return [new("", () => v.Kernel(x, y, z), () => z, 12.0 * n, ElementwiseTolerance)];
            }));
    }

    // ------------------------------------------------------------------ reductions and softmax

    private static int Reduce(ProbeOptions o)
    {
        var (rows, cols) = o.Quick ? (64, 100) : (4096, 1024);
        var x = Random(new Rng(1), rows * cols);
        return ProbeHarness.Run("reduce", $"reduce  sum / mean / max / argmax of a {rows}×{cols} matrix", KernelRegistry.Reduce, o, RateUnit.GBPerSecond,
            ReduceCase($"last axis ({rows}×{cols} → {rows})", x, rows, cols, 1),
            ReduceCase($"first axis ({rows}×{cols} → {cols})", x, 1, rows, cols));
    }

    /// <summary>x viewed as (outer, axis, inner) reduced to (outer, inner). Sums differ by rounding (abs 1e-5 per term); max and argmax are exact.</summary>
    private static ProbeCase<ReduceVariant> ReduceCase(string title, float[] x, int outer, int axis, int inner) => new(title, v =>
    {
        var (sum, mean, max, argmax) = (new float[outer * inner], new float[outer * inner], new float[outer * inner], new int[outer * inner]);
        double bytes = 4.0 * (x.Length + outer * inner);
        return
        [
            new("sum", () => v.Sum(x, outer, axis, inner, sum), () => sum, bytes, new(1e-5 * axis, 1e-5)),
            new("mean", () => v.Mean(x, outer, axis, inner, mean), () => mean, bytes, new(1e-5, 1e-5)),
            new("max", () => v.Max(x, outer, axis, inner, max), () => max, bytes, default),
            new("argmax", () => v.ArgMax(x, outer, axis, inner, argmax), () => Floats(argmax), bytes, default),
        ];
    });

    /// <summary>Rows × columns of the softmax and cross-entropy probes.</summary>
    private static (int Rows, int Cols) SoftmaxSize(ProbeOptions o) => o.Quick ? (64, 100) : (4096, 1024);

    private static int Softmax(ProbeOptions o)
    {
        var (rows, cols) = SoftmaxSize(o);
        var rng = new Rng(1);
        var (x, dy) = (Random(rng, rows * cols, -4f, 4f), Random(rng, rows * cols));
        // The backward passes read the forward output: variant 1's, the same for every variant.
        var (y, logY) = (new float[x.Length], new float[x.Length]);
        KernelRegistry.Softmax[0].Softmax(x, rows, cols, y);
        KernelRegistry.Softmax[0].LogSoftmax(x, rows, cols, logY);
        double forwardBytes = 8.0 * x.Length, backwardBytes = 12.0 * x.Length;
        var tol = new Tolerance(1e-6, 1e-4);
        return ProbeHarness.Run("softmax", $"softmax  {rows} rows of {cols}, along the last axis (forward / backward)", KernelRegistry.Softmax, o, RateUnit.GBPerSecond,
            new ProbeCase<SoftmaxVariant>("softmax", v =>
            {
                var (yv, dx) = (new float[x.Length], new float[x.Length]);
                return
                [
                    new("fwd", () => v.Softmax(x, rows, cols, yv), () => yv, forwardBytes, tol),
                    new("dx", () => v.SoftmaxBackward(y, dy, rows, cols, dx), () => dx, backwardBytes, tol),
                ];
            }),
            new ProbeCase<SoftmaxVariant>("log-softmax", v =>
            {
                var (yv, dx) = (new float[x.Length], new float[x.Length]);
                return
                [
                    new("fwd", () => v.LogSoftmax(x, rows, cols, yv), () => yv, forwardBytes, new(1e-5, 1e-5)),
                    new("dx", () => v.LogSoftmaxBackward(logY, dy, rows, cols, dx), () => dx, backwardBytes, new(1e-5 * cols, 1e-5)),
                ];
            }));
    }

    private static int CrossEntropy(ProbeOptions o)
    {
        var (rows, cols) = SoftmaxSize(o);
        var rng = new Rng(1);
        var logits = Random(rng, rows * cols, -4f, 4f);
        var labels = Enumerable.Range(0, rows).Select(_ => rng.NextInt(cols)).ToArray();
        var dLosses = Enumerable.Repeat(1f / rows, rows).ToArray(); // the gradient of the batch mean
        var (probs, losses) = (new float[logits.Length], new float[rows]);
        KernelRegistry.CrossEntropy[0].Forward(logits, labels, rows, cols, probs, losses);
        var tol = new Tolerance(1e-6, 1e-4);
        return ProbeHarness.Run("crossentropy", $"crossentropy  fused softmax + cross-entropy, {rows} rows of {cols} classes (forward / backward)",
            KernelRegistry.CrossEntropy, o, RateUnit.GBPerSecond,
            new ProbeCase<CrossEntropyVariant>(null, v =>
            {
                var (p, l, dLogits) = (new float[logits.Length], new float[rows], new float[logits.Length]);
                return
                [
                    new("fwd", () => v.Forward(logits, labels, rows, cols, p, l), () => [.. p, .. l], 8.0 * logits.Length + 8.0 * rows, tol),
                    new("dx", () => v.Backward(probs, labels, dLosses, rows, cols, dLogits), () => dLogits, 8.0 * logits.Length + 8.0 * rows, tol),
                ];
            }));
    }

    // ------------------------------------------------------------------ pooling and batch norm

    private static int Pool(ProbeOptions o)
    {
        var s = o.Quick ? new PoolShape(2, 3, 9, 9, 3, 2, 1) : new PoolShape(128, 64, 28, 28, 3, 2, 1);
        var rng = new Rng(1);
        var (x, dy, dyGlobal) = (Random(rng, s.N * s.C * s.H * s.W), Random(rng, s.OutputLength), Random(rng, s.N * s.C));
        var (y, argmax) = (new float[s.OutputLength], new int[s.OutputLength]);
        KernelRegistry.Pool[0].MaxForward(x, s, y, argmax); // the max backward scatters to variant 1's argmax
        double inBytes = 4.0 * x.Length, outBytes = 4.0 * y.Length, globalBytes = 4.0 * (x.Length + dyGlobal.Length);
        var avgTol = new Tolerance(1e-6, 1e-5);
        string window = $"{s.Kernel}×{s.Kernel} stride {s.Stride} pad {s.Pad} → ({s.N},{s.C},{s.P},{s.Q})";
        return ProbeHarness.Run("pool", $"pool  x({s.N},{s.C},{s.H},{s.W}) (forward / input gradient)", KernelRegistry.Pool, o, RateUnit.GBPerSecond,
            new ProbeCase<PoolVariant>($"max {window}", v =>
            {
                var (yv, av, dx) = (new float[y.Length], new int[y.Length], new float[x.Length]);
                return
                [
                    new("fwd", () => v.MaxForward(x, s, yv, av), () => [.. yv, .. Floats(av)], inBytes + 2 * outBytes, default),
                    new("dx", () => v.MaxBackward(dy, argmax, s, dx), () => dx, inBytes + 2 * outBytes, avgTol),
                ];
            }),
            new ProbeCase<PoolVariant>($"average {window}", v =>
            {
                var (yv, dx) = (new float[y.Length], new float[x.Length]);
                return
                [
                    new("fwd", () => v.AvgForward(x, s, yv), () => yv, inBytes + outBytes, avgTol),
                    new("dx", () => v.AvgBackward(dy, s, dx), () => dx, inBytes + outBytes, avgTol),
                ];
            }),
            new ProbeCase<PoolVariant>($"global average → ({s.N},{s.C})", v =>
            {
                var (yv, dx) = (new float[dyGlobal.Length], new float[x.Length]);
                return
                [
                    new("fwd", () => v.GlobalForward(x, s.N, s.C, s.H, s.W, yv), () => yv, globalBytes, new(1e-5, 1e-5)),
                    new("dx", () => v.GlobalBackward(dyGlobal, s.N, s.C, s.H, s.W, dx), () => dx, globalBytes, avgTol),
                ];
            }));
    }

    private static int BatchNorm(ProbeOptions o)
    {
        var (N, C, H, W) = o.Quick ? (4, 8, 5, 5) : (128, 64, 28, 28);
        int L = H * W, length = N * C * L;
        const float eps = 1e-5f, momentum = 0.1f;
        var rng = new Rng(1);
        var (x, dy) = (Random(rng, length, -2f, 3f), Random(rng, length));
        var (gamma, beta) = (Random(rng, C, 0.5f, 1.5f), Random(rng, C));
        var (runningMean, runningVar) = (Random(rng, C), Random(rng, C, 0.5f, 2f));
        // The backward reads the forward's statistics: variant 1's, the same for every variant.
        var (mean, invStd) = (new float[C], new float[C]);
        KernelRegistry.BatchNorm[0].TrainingForward(x, gamma, beta, N, C, L, eps, momentum, new float[length], mean, invStd, [], []);
        double bytes = 8.0 * length;
        // dgamma and dbeta sum N·L terms each.
        var tol = new Tolerance(1e-5, 1e-4);
        return ProbeHarness.Run("batchnorm", $"batchnorm  x({N},{C},{H},{W}), statistics per channel over N·H·W", KernelRegistry.BatchNorm, o, RateUnit.GBPerSecond,
            new ProbeCase<BatchNormVariant>(null, v =>
            {
                var (y, m, s, rm, rv) = (new float[length], new float[C], new float[C], runningMean.ToArray(), runningVar.ToArray());
                var (ye, dx, dGamma, dBeta) = (new float[length], new float[length], new float[C], new float[C]);
                return
                [
                    new("train", () => v.TrainingForward(x, gamma, beta, N, C, L, eps, momentum, y, m, s, rm, rv), () => [.. y, .. m, .. s, .. rm, .. rv], bytes, tol),
                    new("eval", () => v.EvalForward(x, gamma, beta, runningMean, runningVar, N, C, L, eps, ye), () => ye, bytes, tol),
                    new("dx", () => v.Backward(x, dy, mean, invStd, gamma, N, C, L, true, dx, dGamma, dBeta), () => [.. dx, .. dGamma, .. dBeta],
                        12.0 * length, new(1e-5 + 1e-6 * N * L, 1e-4)),
                ];
            }));
    }

    // ------------------------------------------------------------------ layout

    private static int Copy(ProbeOptions o)
    {
        int n = o.Quick ? 67 : 2048;
        var x = Random(new Rng(1), n * n);
        return ProbeHarness.Run("copy", $"copy  strided views of a {n}×{n} matrix into contiguous memory", KernelRegistry.Copy, o, RateUnit.GBPerSecond,
            CopyCase($"transpose ({n},{n}) strides (1,{n})", x, [n, n], [1, n], 8.0 * n * n),
            CopyCase($"column slice ({n},{n / 2}) strides ({n},1)", x, [n, n / 2], [n, 1], 8.0 * n * (n / 2)),
            CopyCase($"broadcast row ({n},{n}) strides (0,1)", x, [n, n], [0, 1], 4.0 * n + 4.0 * n * n));
    }

    private static ProbeCase<CopyVariant> CopyCase(string title, float[] x, int[] dims, int[] strides, double bytes) => new(title, v =>
    {
        var y = new float[dims[0] * dims[1]];
        return [new("", () => v.Kernel(x, strides, dims, y), () => y, bytes, default)];
    });

    // ------------------------------------------------------------------ inputs

    private static float[] Random(Rng rng, int length, float lo = -1f, float hi = 1f)
    {
        var data = new float[length];
        for (int i = 0; i < length; i++) data[i] = rng.Uniform(lo, hi);
        return data;
    }

    /// <summary>Indices as floats, to check them like any output (exact below 2^24).</summary>
    private static float[] Floats(int[] indices) => [.. indices.Select(i => (float)i)];
}
