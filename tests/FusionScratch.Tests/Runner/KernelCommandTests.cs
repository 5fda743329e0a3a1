// `fusion kernel <op>`: every op the verb lists runs every variant on its --quick problem and
// checks it against variant 1; matmul keeps its --m --n --k; an unknown op or variant exits
// non-zero with one line on stderr. Driven in-process through Program.Main (RunnerHarness).
// Run: dotnet test tests/FusionScratch.Tests -c Release --filter "FullyQualifiedName~KernelCommandTests"

using System.Text.RegularExpressions;
using FusionScratch.Kernels;
using FusionScratch.Runner.Commands;

namespace FusionScratch.Tests.Runner;

[Collection("Console")]
public class KernelCommandTests
{
    public static TheoryData<string> Ops => [.. KernelRegistry.Ops];

    [Fact]
    public void KernelMatMul_RunsEveryVariant_AndChecksThemAgainstNaive()
    {
        var (code, output, err) = RunnerHarness.Run("kernel", "matmul", "--m", "33", "--n", "17", "--k", "29", "--seconds", "0.01");
        Assert.True(code == 0, err + output);
        Assert.Contains("C(33×17) = A(33×29)·B(29×17)", output);
        Assert.Contains("1. naive", output);
        Assert.Contains("2. simd", output);
        Assert.DoesNotContain("MISMATCH", output);
        Assert.Contains("GFLOP/s", output);
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void EveryOp_RunsEveryVariant_AndEachMatchesNaive(string op)
    {
        var (code, output, err) = RunnerHarness.Run("kernel", op, "--quick", "--seconds", "0.01");
        Assert.True(code == 0, err + output);
        Assert.DoesNotContain("MISMATCH", output);
        Assert.Matches("GFLOP/s|GB/s", output);
        // One result line per variant and problem ("  2. simd   fwd … ok"); every variant has one.
        foreach (var variant in KernelRegistry.VariantsOf(op))
            Assert.Matches(new Regex($@"^  {variant.Number}\. {variant.Name} .* ms .* ok\r?$", RegexOptions.Multiline), output);
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void OneVariant_RunsOnlyThatVariant(string op)
    {
        var last = KernelRegistry.VariantsOf(op)[^1];
        var (code, output, err) = RunnerHarness.Run("kernel", op, "--quick", "--seconds", "0.001", "--variant", $"{last.Number}");
        Assert.True(code == 0, err + output);
        Assert.Matches(new Regex($@"^  {last.Number}\. {last.Name} .* ms .* ok\r?$", RegexOptions.Multiline), output);
        if (last.Number != 1) Assert.DoesNotMatch(new Regex(@"^  1\. naive .* ms .*$", RegexOptions.Multiline), output);
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void UnknownVariant_ExitsTwo_WithOneLine(string op)
    {
        var (code, output, err) = RunnerHarness.Run("kernel", op, "--quick", "--variant", "99");
        Assert.Equal(2, code);
        Assert.StartsWith($"fusion kernel: {op} has no variant 99", err.Trim());
        Assert.DoesNotContain('\n', err.Trim());
        Assert.DoesNotContain("ms", output);
    }

    [Fact]
    public void Harness_FlagsAVariantOutsideTheTolerance_AndExitsOne()
    {
        var x = new float[] { 1f, 2f, 3f };
        UnaryVariant[] variants =
        [
            new(1, "naive", "copy", (a, y) => a.CopyTo(y)),
            new(2, "close", "within the tolerance", (a, y) => { a.CopyTo(y); y[0] += 1e-7f; }),
            new(3, "wrong", "off by 0.5 in one element", (a, y) => { a.CopyTo(y); y[2] += 0.5f; }),
        ];
        var (oldOut, output) = (Console.Out, new StringWriter());
        Console.SetOut(output);
        int code;
        try
        {
            code = ProbeHarness.Run("test", "test op", variants, new ProbeOptions(null, 0.001, true), RateUnit.GBPerSecond,
                new ProbeCase<UnaryVariant>(null, v =>
                {
                    var y = new float[x.Length];
                    return [new ProbePass("", () => v.Kernel(x, y), () => y, 24, new Tolerance(1e-6, 1e-6))];
                }));
        }
        finally { Console.SetOut(oldOut); }
        Assert.Equal(1, code);
        string text = output.ToString();
        Assert.Matches(new Regex(@"^  2\. close .* ok\r?$", RegexOptions.Multiline), text);
        Assert.Matches(new Regex(@"^  3\. wrong .* MISMATCH \(max \|Δ\| 5\.0E-001\)\r?$", RegexOptions.Multiline), text);
    }

    [Fact]
    public void UnknownOp_ExitsNonZero_WithOneLineListingTheOps()
    {
        var (code, _, err) = RunnerHarness.Run("kernel", "no-such-op");
        Assert.NotEqual(0, code);
        Assert.DoesNotContain('\n', err.Trim());
        Assert.Contains("unknown op 'no-such-op'", err);
        Assert.Contains("crossentropy", err);
    }

    [Fact]
    public void Help_ListsEveryOp()
    {
        var (code, output, _) = RunnerHarness.Run("kernel", "--help");
        Assert.Equal(0, code);
        foreach (var op in KernelRegistry.Ops) Assert.Contains(op, output);
        Assert.Contains("--quick", output);
    }

    [Theory]
    [InlineData("kernel", "matmul", "--variant", "99")]
    [InlineData("kernel", "no-such-op")]
    [InlineData("kernel", "matmul", "--m", "0")]
    [InlineData("kernel", "relu", "--seconds", "0")]
    [InlineData("bench", "no-such-workload")]
    [InlineData("bench", "gemm", "--seconds", "-1")]
    public void BadKernelOrBenchArguments_ExitNonZero_WithAMessage(params string[] args)
    {
        var (code, output, err) = RunnerHarness.Run(args);
        Assert.NotEqual(0, code);
        Assert.False(string.IsNullOrWhiteSpace(err));
        Assert.DoesNotContain("   at ", err + output);
    }
}
