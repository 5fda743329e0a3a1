namespace FusionScratch.Tests.Runner;

[Collection("Console")]
public class KernelCommandTests
{
    [Fact]
    public void KernelMatMul_RunsEveryVariant_AndChecksThemAgainstNaive()
    {
        var (code, output, err) = RunnerHarness.Run("kernel", "matmul", "--m", "33", "--n", "17", "--k", "29", "--seconds", "0.01");
        Assert.True(code == 0, err + output);
        Assert.Contains("1. naive", output);
        Assert.Contains("2. simd", output);
        Assert.DoesNotContain("MISMATCH", output);
        Assert.Contains("GFLOP/s", output);
    }

    [Theory]
    [InlineData("kernel", "matmul", "--variant", "99")]
    [InlineData("kernel", "no-such-op")]
    [InlineData("kernel", "matmul", "--m", "0")]
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
