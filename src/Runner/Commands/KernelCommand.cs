// `fusion kernel <op> [--variant N] [--m M --n N --k K]` — llm.c-style probe: runs an op's
// variants on one problem, checks each against variant 1 (the naive reference) and prints time
// and GFLOP/s. With no --variant every variant runs, so one screen shows the op getting faster.
// Ops: matmul (one M×N×K problem) and depthwise (the MBConv network's six depthwise layers,
// each direction: forward, input gradient, weight gradient).

using System.CommandLine;
using FusionScratch.Kernels;
using FusionScratch.Runner.Bench;
using FusionScratch.Tensors;

namespace FusionScratch.Runner.Commands;

public static class KernelCommand
{
    public static Command Build()
    {
        var op = new Argument<string>("op") { Description = $"Op to probe: {string.Join(", ", KernelRegistry.Ops)}" };
        op.AcceptOnlyFromAmong(KernelRegistry.Ops);
        var variant = new Option<int?>("--variant") { Description = "Run only this variant (default: all)" };
        var m = new Option<int>("--m") { Description = "matmul: rows of op(A) and C", DefaultValueFactory = _ => 512 };
        var n = new Option<int>("--n") { Description = "matmul: columns of op(B) and C", DefaultValueFactory = _ => 512 };
        var k = new Option<int>("--k") { Description = "matmul: inner dimension", DefaultValueFactory = _ => 512 };
        var seconds = new Option<double>("--seconds") { Description = "Time budget per variant", DefaultValueFactory = _ => 1.0 };
        var cmd = new Command("kernel", "Run an op's kernel variants, check each against the naive one, print time and GFLOP/s")
            { op, variant, m, n, k, seconds };
        cmd.SetAction(parse =>
        {
            Parallelism.Threads = parse.GetValue(Program.Threads);
            int M = parse.GetValue(m), N = parse.GetValue(n), K = parse.GetValue(k);
            if (M < 1 || N < 1 || K < 1)
            {
                Console.Error.WriteLine($"fusion kernel: sizes must be positive, got m={M} n={N} k={K}");
                return 2;
            }
            int? only = parse.GetValue(variant);
            if (parse.GetValue(op) == "depthwise") return RunDepthwise(only, parse.GetValue(seconds));
            var variants = KernelRegistry.MatMul;
            if (only is int v && variants.All(x => x.Number != v))
            {
                Console.Error.WriteLine($"fusion kernel: matmul has no variant {v} (variants: {string.Join(", ", variants.Select(x => x.Number))})");
                return 2;
            }
            return RunMatMul(variants, only, M, N, K, parse.GetValue(seconds));
        });
        return cmd;
    }

    /// <summary>The depthwise layers of EfficientNetLite's stage table at batch 128: (C, H = W, R = S, stride), pad R/2.</summary>
    private static readonly (int C, int H, int R, int Stride)[] DepthwiseShapes =
        [(16, 14, 3, 1), (64, 14, 3, 2), (96, 7, 3, 1), (96, 7, 5, 1), (160, 7, 5, 1), (160, 7, 3, 1)];

    private static int RunDepthwise(int? only, double budget)
    {
        var variants = KernelRegistry.Depthwise;
        if (only is int v && variants.All(x => x.Number != v))
        {
            Console.Error.WriteLine($"fusion kernel: depthwise has no variant {v} (variants: {string.Join(", ", variants.Select(x => x.Number))})");
            return 2;
        }
        Console.WriteLine($"depthwise conv2d, the MBConv net's layers at batch 128 (forward / input gradient / weight gradient)  threads {Parallelism.Threads}");
        foreach (var x in variants) Console.WriteLine($"  {x.Number}. {x.Name,-6} {x.Summary}");
        var rng = new Rng(1);
        int failures = 0;
        foreach (var (C, H, R, stride) in DepthwiseShapes)
        {
            var s = new Conv2dShape(128, C, H, H, C, R, R, stride, R / 2);
            float[] Random(int length) => Tensor.Rand(new Shape(length), rng, -1, 1).ToArray();
            var (x, w, b, dy) = (Random(s.InputLength), Random(C * R * R), Random(C), Random(s.OutputLength));
            var (y0, dx0, dw0, db0) = (new float[s.OutputLength], new float[s.InputLength], new float[C * R * R], new float[C]);
            variants[0].Forward(x, w, b, s, y0);
            variants[0].BackwardInput(dy, w, s, dx0);
            variants[0].BackwardWeight(x, dy, s, dw0, db0);
            double flops = 2.0 * s.OutputLength * R * R;
            Console.WriteLine($"C={C} {H}×{H} {R}×{R} stride {stride}:");
            foreach (var variant in variants)
            {
                if ((only is int o && variant.Number != o) || !variant.Handles(s)) continue;
                var (y, dx, dw, db) = (new float[y0.Length], new float[dx0.Length], new float[dw0.Length], new float[db0.Length]);
                variant.Forward(x, w, b, s, y);
                variant.BackwardInput(dy, w, s, dx);
                variant.BackwardWeight(x, dy, s, dw, db);
                // Tolerance: each output sums R·R products; each weight gradient N·P·Q of them.
                float diff = Math.Max(MaxDiff(y, y0) / (R * R), Math.Max(MaxDiff(dx, dx0) / (R * R), MaxDiff(dw, dw0) / (s.N * s.P * s.Q)));
                bool ok = diff <= 1e-5f;
                if (!ok) failures++;
                var tf = Timing.Measure(() => variant.Forward(x, w, b, s, y), budget / 3, minRepeats: 3);
                var ti = Timing.Measure(() => variant.BackwardInput(dy, w, s, dx), budget / 3, minRepeats: 3);
                var tw = Timing.Measure(() => variant.BackwardWeight(x, dy, s, dw, db), budget / 3, minRepeats: 3);
                Console.WriteLine($"  {variant.Number}. {variant.Name,-6} fwd {tf.BestSeconds * 1e3,8:F3} ms {flops / tf.BestSeconds / 1e9,6:F1} GFLOP/s  " +
                                  $"dx {ti.BestSeconds * 1e3,8:F3} ms {flops / ti.BestSeconds / 1e9,6:F1}  dw {tw.BestSeconds * 1e3,8:F3} ms {flops / tw.BestSeconds / 1e9,6:F1}  " +
                                  $"{(ok ? "ok" : $"MISMATCH (max scaled |Δ| {diff:E1})")}");
            }
        }
        return failures == 0 ? 0 : 1;
    }

    private static float MaxDiff(float[] a, float[] b)
    {
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = MathF.Max(max, MathF.Abs(a[i] - b[i]));
        return max;
    }

    private static int RunMatMul(IReadOnlyList<GemmVariant> variants, int? only, int M, int N, int K, double budget)
    {
        var rng = new Rng(1);
        var a = Tensor.Rand(new Shape(M, K), rng, -1, 1).ToArray();
        var b = Tensor.Rand(new Shape(K, N), rng, -1, 1).ToArray();
        var reference = new float[M * N];
        variants[0].Kernel(a, false, b, false, M, N, K, 1f, 0f, reference);
        double flops = 2.0 * M * N * K;
        Console.WriteLine($"matmul  C({M}×{N}) = A({M}×{K})·B({K}×{N})  threads {Parallelism.Threads}");
        int failures = 0;
        foreach (var v in variants)
        {
            if (only is int o && v.Number != o) continue;
            var c = new float[M * N];
            v.Kernel(a, false, b, false, M, N, K, 1f, 0f, c);
            // Tolerance grows with K: each output is a K-term float sum.
            float maxDiff = 0, tol = 1e-5f * K + 1e-4f;
            for (int i = 0; i < c.Length; i++) maxDiff = MathF.Max(maxDiff, MathF.Abs(c[i] - reference[i]));
            bool ok = maxDiff <= tol;
            if (!ok) failures++;
            var t = Timing.Measure(() => v.Kernel(a, false, b, false, M, N, K, 1f, 0f, c), budget, minRepeats: 3);
            Console.WriteLine($"  {v.Number}. {v.Name,-8} {t.BestSeconds * 1e3,10:F3} ms {flops / t.BestSeconds / 1e9,8:F1} GFLOP/s  " +
                              $"max |Δ| {maxDiff:E1} {(ok ? "ok" : "MISMATCH")}   {v.Summary}");
        }
        return failures == 0 ? 0 : 1;
    }
}
