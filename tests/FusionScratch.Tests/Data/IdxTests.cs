using System.Buffers.Binary;
using FusionScratch.Models.Data;

namespace FusionScratch.Tests.Data;

public class IdxTests
{
    [Theory]
    [InlineData("images-idx3-ubyte", "labels-idx1-ubyte")]
    [InlineData("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz")]
    public void Idx_WriteThenRead_RoundTrips_PlainAndGzip(string imagesName, string labelsName)
    {
        using var dir = new TempDir();
        var data = DataFixtures.Synthetic(61, h: 28, w: 28);
        Idx.WriteImages(dir.File(imagesName), data.Pixels, data.Count, 28, 28);
        Idx.WriteLabels(dir.File(labelsName), data.Labels);

        var images = Idx.ReadImages(dir.File(imagesName));
        Assert.Equal((61, 28, 28), (images.Count, images.Rows, images.Cols));
        Assert.Equal(data.Pixels, images.Pixels);
        Assert.Equal(data.Labels, Idx.ReadLabels(dir.File(labelsName)));
        var both = Idx.ReadDataset(dir.File(imagesName), dir.File(labelsName), "x", DataFixtures.Digits);
        DataFixtures.AssertSameImages(data, both);
    }

    [Fact]
    public void Idx_Header_IsBigEndianWithTheStandardMagic()
    {
        using var dir = new TempDir();
        Idx.WriteImages(dir.File("i"), new byte[2 * 3 * 4], 2, 3, 4);
        byte[] bytes = File.ReadAllBytes(dir.File("i"));
        Assert.Equal(16 + 24, bytes.Length);
        Assert.Equal([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4], bytes[..16]);
    }

    [Fact]
    public void Idx_LabelsFileReadAsImages_ReportsBadMagic()
    {
        using var dir = new TempDir();
        Idx.WriteLabels(dir.File("labels"), [1, 2, 3]);
        var e = Assert.Throws<DataException>(() => Idx.ReadImages(dir.File("labels")));
        Assert.Equal($"IDX file {dir.File("labels")}: bad magic 0x00000801, expected 0x00000803 (idx3-ubyte images)", e.Message);
    }

    [Fact]
    public void Idx_RandomBytes_ReportBadMagic()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("junk"), [0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0]);
        var e = Assert.Throws<DataException>(() => Idx.ReadLabels(dir.File("junk")));
        Assert.Contains("bad magic 0x12345678", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Idx_DataShorterThanHeaderSays_ReportsSizeMismatch(bool gzip)
    {
        using var dir = new TempDir();
        string plain = dir.File("short"), path = gzip ? dir.File("short.gz") : plain;
        Idx.WriteImages(plain, new byte[10 * 28 * 28], 10, 28, 28);
        // Claim 11 images in the header while 10 follow.
        byte[] bytes = File.ReadAllBytes(plain);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 11);
        if (gzip)
        {
            using var f = File.Create(path);
            using var z = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionLevel.Fastest);
            z.Write(bytes);
        }
        else File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataException>(() => Idx.ReadImages(path));
        Assert.Equal($"IDX file {path}: size mismatch: header says 11×28×28 = 8624 bytes of data, file has 7840", e.Message);
    }

    [Fact]
    public void Idx_DataLongerThanHeaderSays_ReportsSizeMismatch()
    {
        using var dir = new TempDir();
        Idx.WriteLabels(dir.File("l"), [1, 2, 3]);
        File.AppendAllText(dir.File("l"), "x");
        var e = Assert.Throws<DataException>(() => Idx.ReadLabels(dir.File("l")));
        Assert.Contains("size mismatch: more data than the header's 3 = 3 bytes", e.Message);
    }

    [Fact]
    public void Idx_ImagesAndLabelsOfDifferentCounts_AreRejected()
    {
        using var dir = new TempDir();
        Idx.WriteImages(dir.File("i"), new byte[2 * 4], 2, 2, 2);
        Idx.WriteLabels(dir.File("l"), [1, 2, 3]);
        var e = Assert.Throws<DataException>(() => Idx.ReadDataset(dir.File("i"), dir.File("l"), "x", DataFixtures.Digits));
        Assert.Contains("2 images, 3 labels", e.Message);
    }

    [Fact]
    public void Idx_FolderWithTrainAndT10k_ConcatenatesAndKeepsTheOfficialSplit()
    {
        using var dir = new TempDir();
        var train = DataFixtures.Synthetic(30, 28, 28, seed: 1);
        var test = DataFixtures.Synthetic(7, 28, 28, seed: 2);
        Idx.WriteImages(dir.File("train-images-idx3-ubyte.gz"), train.Pixels, 30, 28, 28);
        Idx.WriteLabels(dir.File("train-labels-idx1-ubyte.gz"), train.Labels);
        Idx.WriteImages(dir.File("t10k-images-idx3-ubyte"), test.Pixels, 7, 28, 28);
        Idx.WriteLabels(dir.File("t10k-labels-idx1-ubyte"), test.Labels);

        var all = Idx.ReadFolder(dir.Path, "mnist", DataFixtures.Digits, "MNIST")!;
        Assert.Equal(37, all.Count);
        Assert.Equal(30, all.OfficialTrainCount);
        Assert.Equal(train.Pixels, all.Pixels[..(30 * 784)]);
        Assert.Equal(test.Labels, all.Labels[30..]);
        Assert.Contains("train 30 + t10k 7", all.Source);
    }

    [Fact]
    public void Idx_FolderWithImagesButNoLabels_SaysWhichFileIsMissing()
    {
        using var dir = new TempDir();
        Idx.WriteImages(dir.File("train-images-idx3-ubyte"), new byte[4], 1, 2, 2);
        var e = Assert.Throws<DataException>(() => Idx.ReadFolder(dir.Path, "mnist", DataFixtures.Digits, "MNIST"));
        Assert.Contains("not its train-labels-idx1-ubyte[.gz]", e.Message);
    }

    [Fact]
    public void Load_PrefersIdxFilesInTheDatasetFolder_WithoutFetching()
    {
        using var dir = new TempDir();
        string folder = Path.Combine(dir.Path, "mnist");
        Directory.CreateDirectory(folder);
        var train = DataFixtures.Synthetic(12, 28, 28);
        Idx.WriteImages(Path.Combine(folder, "train-images-idx3-ubyte"), train.Pixels, 12, 28, 28);
        Idx.WriteLabels(Path.Combine(folder, "train-labels-idx1-ubyte"), train.Labels);

        var options = new DataOptions(dir.Path, AllowFetch: false, NpmPath: "/nonexistent/npm");
        Assert.True(Datasets.HasIdxFiles("mnist", options));
        var data = Datasets.Load("mnist", options);
        DataFixtures.AssertSameImages(train, data);
        Assert.Null(data.OfficialTrainCount); // only one of the two files pairs is there
        Assert.Equal("mnist", data.Name);
    }
}
