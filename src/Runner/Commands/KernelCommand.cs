// `fusion kernel <op> [--variant N] [--m M --n N --k K]` — llm.c-style probe: runs an op's
// variants on one problem, checks each against variant 1 (the naive reference) and prints time
// and GFLOP/s. With no --variant every variant runs, so one screen shows the op getting faster.

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
        var m = new Option<int>("--m") { Description = "Rows of op(A) and C", DefaultValueFactory = _ => 512 };
        var n = new Option<int>("--n") { Description = "Columns of op(B) and C", DefaultValueFactory = _ => 512 };
        var k = new Option<int>("--k") { Description = "Inner dimension", DefaultValueFactory = _ => 512 };
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
