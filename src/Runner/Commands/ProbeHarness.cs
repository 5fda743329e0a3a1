// ProbeHarness — the part of `fusion kernel <op>` every op shares: run variant 1 (the naive
// reference) once on a problem, then each selected variant: one call checked against the
// reference, then timed (Timing.Measure, best of the repetitions), one line per variant.
//
// A probe (KernelProbes.cs) describes only its problem: per variant, a list of passes (forward,
// gradients, sibling ops) with the call, the outputs to compare, the work per call and the
// tolerance. The check is llm.c's: |out − ref| ≤ abs + rel·|ref| for every element, NaN equal
// only to NaN; a line ends in "ok" or "MISMATCH (max |Δ| …)".

using System.Text;
using FusionScratch.Kernels;
using FusionScratch.Runner.Bench;

namespace FusionScratch.Runner.Commands;

/// <summary>What a probe may differ from variant 1 by: |out − ref| ≤ Abs + Rel·|ref|.</summary>
internal readonly record struct Tolerance(double Abs, double Rel);

/// <summary>The rate a probe reports: GFLOP/s (Work in floating-point operations) or GB/s (Work in bytes moved).</summary>
internal enum RateUnit { GflopPerSecond, GBPerSecond }

/// <summary>
/// One pass of one variant: its label ("fwd", "dx"; empty for a probe with one pass), the call,
/// its outputs after one call (flattened; the harness copies them), the work per call and the tolerance.
/// </summary>
internal sealed record ProbePass(string Label, Action Run, Func<float[]> Output, double Work, Tolerance Tolerance);

/// <summary>One problem of a probe: a title line (null: none) and each variant's passes on it (null: the variant does not handle it).</summary>
internal sealed record ProbeCase<TVariant>(string? Title, Func<TVariant, IReadOnlyList<ProbePass>?> Passes);

/// <summary>Which variant to run and for how long; Quick shrinks every problem (tests, smoke checks).</summary>
internal sealed record ProbeOptions(int? Variant, double Seconds, bool Quick);

internal static class ProbeHarness
{
    /// <summary>
    /// Prints the header and the variant list, then runs every case; returns 0, or 1 when any
    /// variant mismatched. <see cref="ProbeOptions.Variant"/>, when set, is one of the variants (KernelCommand checks).
    /// </summary>
    public static int Run<TVariant>(string op, string header, IReadOnlyList<TVariant> variants, ProbeOptions options, RateUnit unit,
        params ProbeCase<TVariant>[] cases) where TVariant : IKernelVariant
    {
        int nameWidth = variants.Max(x => x.Name.Length);
        Console.WriteLine($"{header}  threads {Parallelism.Threads}");
        foreach (var x in variants) Console.WriteLine($"  {x.Number}. {x.Name.PadRight(nameWidth + 1)} {x.Summary}");
        int failures = 0;
        foreach (var c in cases)
        {
            if (c.Title is not null) Console.WriteLine($"{c.Title}:");
            var referencePasses = c.Passes(variants[0]) ?? throw new InvalidOperationException($"{op}: variant 1 must handle every problem");
            var reference = referencePasses.Select(p => { p.Run(); return p.Output().ToArray(); }).ToArray();
            foreach (var variant in variants)
            {
                if (options.Variant is int only && variant.Number != only) continue;
                // Variant 1 has already made its one checked call: the reference.
                bool isReference = ReferenceEquals(variant, variants[0]);
                var passes = isReference ? referencePasses : c.Passes(variant);
                if (passes is null) continue;
                var line = new StringBuilder($"  {variant.Number}. {variant.Name.PadRight(nameWidth)}");
                string? mismatch = null;
                for (int i = 0; i < passes.Count; i++)
                {
                    var p = passes[i];
                    if (!isReference)
                    {
                        p.Run();
                        if (Compare(p.Output(), reference[i], p.Tolerance) is double diff)
                            mismatch ??= $"MISMATCH (max |Δ| {diff:E1}{(p.Label.Length > 0 ? $" in {p.Label}" : "")})";
                    }
                    // The checked call above already warmed the pass up, so one more warm-up call and
                    // one timed call suffice for a slow pass (naive conv2d: seconds per call); a fast
                    // one repeats until its share of the budget is spent.
                    var t = Timing.Measure(p.Run, options.Seconds / passes.Count, minRepeats: 1, minWarmups: 1);
                    double rate = p.Work / t.BestSeconds / 1e9;
                    line.Append(p.Label.Length > 0 ? $"  {p.Label} " : " ").Append($"{t.BestSeconds * 1e3,8:F3} ms {rate,6:F1}");
                    if (i == 0) line.Append(unit == RateUnit.GflopPerSecond ? " GFLOP/s" : " GB/s");
                }
                if (mismatch is not null) failures++;
                Console.WriteLine(line.Append("  ").Append(mismatch ?? "ok"));
            }
        }
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Null when every element is within tolerance; else the largest |Δ| (∞ for a NaN on one side only or a length mismatch).</summary>
    private static double? Compare(float[] actual, float[] expected, Tolerance tol)
    {
        if (actual.Length != expected.Length) return double.PositiveInfinity;
        double max = 0;
        bool ok = true;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], e = expected[i];
            if (double.IsNaN(a) || double.IsNaN(e))
            {
                if (double.IsNaN(a) != double.IsNaN(e)) (ok, max) = (false, double.PositiveInfinity);
                continue;
            }
            if (a == e) continue; // equal infinities included
            double diff = Math.Abs(a - e);
            max = Math.Max(max, diff);
            if (!(diff <= tol.Abs + tol.Rel * Math.Abs(e))) ok = false;
        }
        return ok ? null : max;
    }
}
