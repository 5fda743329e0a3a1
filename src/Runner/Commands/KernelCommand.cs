// `fusion kernel <op> [--variant N] [--m M --n N --k K] [--quick]` — llm.c-style probe: runs an
// op's variants on one problem, checks each against variant 1 (the naive reference) and prints
// time and GFLOP/s (GB/s for memory-bound ops). With no --variant every variant runs, so one
// screen shows the op getting faster. The ops and their problems: KernelProbes.cs; the variants:
// KernelRegistry (src/Kernels); checking and timing: ProbeHarness.cs.
// Exit codes: 0 every variant matched, 1 a mismatch, 2 a bad size or an unknown variant.

using System.CommandLine;
using FusionScratch.Kernels;

namespace FusionScratch.Runner.Commands;

public static class KernelCommand
{
    public static Command Build()
    {
        var op = new Argument<string>("op") { Description = $"Op to probe: {string.Join(", ", KernelRegistry.Ops)}" };
        // One line for an unknown op (AcceptOnlyFromAmong would list the ops one per line).
        op.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && !KernelRegistry.Ops.Contains(r.Tokens[0].Value))
                r.AddError($"fusion kernel: unknown op '{r.Tokens[0].Value}' (ops: {string.Join(", ", KernelRegistry.Ops)})");
        });
        var variant = new Option<int?>("--variant") { Description = "Run only this variant (default: all)" };
        var m = new Option<int?>("--m") { Description = "matmul: rows of op(A) and C (default 512; 64 with --quick)" };
        var n = new Option<int?>("--n") { Description = "matmul: columns of op(B) and C (default 512; 64 with --quick)" };
        var k = new Option<int?>("--k") { Description = "matmul: inner dimension (default 512; 64 with --quick)" };
        var seconds = new Option<double>("--seconds") { Description = "Time budget per variant", DefaultValueFactory = _ => 1.0 };
        var quick = new Option<bool>("--quick") { Description = "Small problems (milliseconds per op), for tests and smoke checks" };
        var cmd = new Command("kernel", "Run an op's kernel variants, check each against the naive one, print time and GFLOP/s or GB/s")
            { op, variant, m, n, k, seconds, quick };
        cmd.SetAction(parse =>
        {
            Parallelism.Threads = parse.GetValue(Program.Threads);
            bool isQuick = parse.GetValue(quick);
            int size = isQuick ? 64 : 512;
            int M = parse.GetValue(m) ?? size, N = parse.GetValue(n) ?? size, K = parse.GetValue(k) ?? size;
            if (M < 1 || N < 1 || K < 1)
            {
                Console.Error.WriteLine($"fusion kernel: sizes must be positive, got m={M} n={N} k={K}");
                return 2;
            }
            double budget = parse.GetValue(seconds);
            if (!(budget > 0))
            {
                Console.Error.WriteLine($"fusion kernel: --seconds must be positive, got {budget}");
                return 2;
            }
            string name = parse.GetValue(op)!;
            var variants = KernelRegistry.VariantsOf(name);
            if (parse.GetValue(variant) is int v && variants.All(x => x.Number != v))
            {
                Console.Error.WriteLine($"fusion kernel: {name} has no variant {v} (variants: {string.Join(", ", variants.Select(x => x.Number))})");
                return 2;
            }
            return KernelProbes.Run(name, new ProbeOptions(parse.GetValue(variant), budget, isQuick), M, N, K);
        });
        return cmd;
    }
}
