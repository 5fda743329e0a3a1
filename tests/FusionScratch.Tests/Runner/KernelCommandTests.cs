// `fusion kernel <op>`: every op the verb lists runs every variant on its --quick problem and
// checks it against variant 1; matmul keeps its --m --n --k; an unknown op or variant exits
// non-zero with one line on stderr. Driven in-process through Program.Main (RunnerHarness).
// Run: dotnet test tests/FusionScratch.Tests -c Release --filter "FullyQualifiedName~KernelCommandTests"

using System.Text.RegularExpressions;
using FusionScratch.Kernels;

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
