using FusionScratch.Runner;

namespace FusionScratch.Tests.Runner;

[Collection("Console")]
public class InfoCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => RunnerHarness.Run(args);

    [Fact]
    public void Info_PrintsVersionWidthsAndThreads()
    {
        var (code, output, _) = Run("info", "--threads", "1");
        Assert.Equal(0, code);
        Assert.Contains(".NET", output);
        Assert.Contains("Vector512<float>", output);
        Assert.Contains("threads         1", output);
    }

    [Theory]
    [InlineData("info", "--threads", "0")]
    [InlineData("info", "--threads", "abc")]
    [InlineData("no-such-verb")]
    [InlineData("info", "--no-such-option")]
    public void BadInput_ExitsNonZero_WithAMessage_AndNoStackTrace(params string[] args)
    {
        var (code, output, err) = Run(args);
        Assert.NotEqual(0, code);
        Assert.False(string.IsNullOrWhiteSpace(err), "expected an error message on stderr");
        Assert.DoesNotContain("   at ", err + output);
    }
}
