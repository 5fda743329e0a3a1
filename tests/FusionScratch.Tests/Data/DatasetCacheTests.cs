using FusionScratch.Models.Data;

namespace FusionScratch.Tests.Data;

public class DatasetCacheTests
{
    [Fact]
    public void Cache_RoundTrip_KeepsPixelsLabelsNamesAndSource()
    {
        using var dir = new TempDir();
        var data = DataFixtures.Synthetic(257, h: 5, w: 7);
        string path = dir.File("s.fsds");
        DatasetCache.Write(path, data);
        var back = DatasetCache.Read(path);
        DataFixtures.AssertSameImages(data, back);
        Assert.Equal(data.Name, back.Name);
        Assert.Equal(data.Source, back.Source);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*")); // the temporary file was renamed away
    }

    [Fact]
    public void Cache_RoundTrip_EmptyDatasetAndNonAsciiClassNames()
    {
        using var dir = new TempDir();
        var data = new ImageDataset("e", 2, 2, ["T-shirt/top", "Ankle boot", "Größe"], [], [], "nothing yet");
        DatasetCache.Write(dir.File("e.fsds"), data);
        var back = DatasetCache.Read(dir.File("e.fsds"));
        Assert.Equal(0, back.Count);
        Assert.Equal(data.ClassNames, back.ClassNames);
    }

    [Fact]
    public void Cache_Write_ReplacesAnExistingFile()
    {
        using var dir = new TempDir();
        string path = dir.File("s.fsds");
        DatasetCache.Write(path, DataFixtures.Synthetic(10, seed: 1));
        var second = DataFixtures.Synthetic(20, seed: 2);
        DatasetCache.Write(path, second);
        DataFixtures.AssertSameImages(second, DatasetCache.Read(path));
    }

    [Theory]
    [InlineData(1)]      // the checksum's last byte
    [InlineData(500)]    // inside the pixels
    [InlineData(100000)] // the header
    public void Cache_Truncated_IsDetected(int bytesCut)
    {
        using var dir = new TempDir();
        string path = dir.File("s.fsds");
        DatasetCache.Write(path, DataFixtures.Synthetic(100, h: 28, w: 28));
        long length = new FileInfo(path).Length;
        using (var f = File.OpenWrite(path)) f.SetLength(Math.Max(0, length - bytesCut));
        var e = Assert.Throws<DataException>(() => DatasetCache.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Matches("truncated|corrupted", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Cache_FlippedPixelByte_IsDetectedByChecksum()
    {
        using var dir = new TempDir();
        string path = dir.File("s.fsds");
        DatasetCache.Write(path, DataFixtures.Synthetic(100, h: 28, w: 28));
        byte[] bytes = File.ReadAllBytes(path);
        // Every position of a flip must be caught; try pixels, labels, metadata and the checksum itself.
        foreach (int at in new[] { bytes.Length / 2, bytes.Length - 8 - 50, 40, bytes.Length - 1 })
        {
            byte[] damaged = (byte[])bytes.Clone();
            damaged[at] ^= 0x10;
            File.WriteAllBytes(path, damaged);
            var e = Assert.Throws<DataException>(() => DatasetCache.Read(path));
            Assert.Equal($"cache file {path} is corrupted (checksum mismatch)", e.Message);
        }
    }

    [Fact]
    public void Cache_NotACacheFile_IsReportedAsCorrupted()
    {
        using var dir = new TempDir();
        string path = dir.File("s.fsds");
        File.WriteAllText(path, "hello, this is not a dataset at all");
        var e = Assert.Throws<DataException>(() => DatasetCache.Read(path));
        Assert.Contains("corrupted", e.Message);
    }

    [Fact]
    public void Checksum_ChangesWithEveryWordAndWithLength()
    {
        var data = new byte[103];
        new Random(3).NextBytes(data);
        ulong reference = DatasetCache.Checksum64(data, 0);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] ^= 1;
            Assert.NotEqual(reference, DatasetCache.Checksum64(data, 0));
            data[i] ^= 1;
        }
        Assert.NotEqual(reference, DatasetCache.Checksum64(data.AsSpan(0, 102), 0));
        Assert.NotEqual(reference, DatasetCache.Checksum64(data, 1));
        Assert.Equal(reference, DatasetCache.Checksum64(data, 0));
    }
}
