using System.Text;
using FusionScratch.Models.Data;

namespace FusionScratch.Tests.Data;

public class PackageConverterTests
{
    [Theory]
    [InlineData(JsonLayout.FlatUnitFloats)]
    [InlineData(JsonLayout.RowsOfBytes)]
    public void Convert_SyntheticTarball_GivesTheImagesBackGroupedByClass(JsonLayout layout)
    {
        using var dir = new TempDir();
        var spec = DataFixtures.Spec(layout);
        var data = DataFixtures.Synthetic(53, h: 4, w: 3);
        string tgz = dir.File("tiny-1.0.0.tgz");
        DataFixtures.WritePackageTarball(tgz, spec, data);

        var converted = PackageConverter.Convert(tgz, spec, "from a test tarball");
        DataFixtures.AssertSameImages(DataFixtures.SortedByClass(data), converted);
        Assert.Equal("tiny", converted.Name);
        Assert.Equal("from a test tarball", converted.Source);
    }

    [Fact]
    public void Convert_SkipsEmptyImageLists_AndSaysSo()
    {
        using var dir = new TempDir();
        var spec = DataFixtures.Spec(JsonLayout.RowsOfBytes);
        var data = DataFixtures.Synthetic(30, h: 4, w: 3);
        string tgz = dir.File("tiny-1.0.0.tgz");
        DataFixtures.WritePackageTarball(tgz, spec, data, emptyRowsInClass0: 2);
        var log = new List<string>();
        var converted = PackageConverter.Convert(tgz, spec, "s", log.Add);
        Assert.Equal(30, converted.Count);
        Assert.Contains("src/clothes/0.json: skipped 2 empty image lists", log);
    }

    [Fact]
    public void Parse_FloatsBecomeRoundedBytes()
    {
        var spec = DataFixtures.Spec(JsonLayout.FlatUnitFloats) with { Height = 1, Width = 4 };
        // 0.992·255 = 252.96 → 253; 0.1·255 = 25.5 → 26 (halves up); 0.002·255 = 0.51 → 1
        byte[] pixels = PackageConverter.Parse("{ \"data\": [0, 0.992, 0.1, 0.002, 1, 1.0, 0.5, 0.25] }"u8, spec, "x.json");
        Assert.Equal([0, 253, 26, 1, 255, 255, 128, 64], pixels);
    }

    [Theory]
    [InlineData("{\"data\":[[1,2,3]]}", "image 0 has 3 values, expected 4")]
    [InlineData("{\"data\":[[1,2,3,256]]}", "not an integer 0..255")]
    [InlineData("{\"data\":[[1,2,3,4.5]]}", "not an integer 0..255")]
    [InlineData("{\"other\":1}", "no \"data\" list")]
    [InlineData("{\"data\":[[1,2,", "bad JSON")]
    public void Parse_BadRows_AreReportedWithTheFileName(string json, string expected)
    {
        var spec = DataFixtures.Spec(JsonLayout.RowsOfBytes) with { Height = 2, Width = 2 };
        var e = Assert.Throws<DataException>(() => PackageConverter.Parse(Encoding.UTF8.GetBytes(json), spec, "src/clothes/3.json"));
        Assert.StartsWith("package tiny@1.0.0: src/clothes/3.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("{\"data\":[0.5, 1.5, 0, 0]}", "pixel value 1.5 is outside 0..1")]
    [InlineData("{\"data\":[0.5, 0, 0]}", "3 values is not a whole number of 4-pixel images")]
    public void Parse_BadFloats_AreReported(string json, string expected)
    {
        var spec = DataFixtures.Spec(JsonLayout.FlatUnitFloats) with { Height = 2, Width = 2 };
        var e = Assert.Throws<DataException>(() => PackageConverter.Parse(Encoding.UTF8.GetBytes(json), spec, "src/digits/1.json"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Convert_TarballWithoutAClassFile_NamesTheMissingFile()
    {
        using var dir = new TempDir();
        var spec = DataFixtures.Spec(JsonLayout.RowsOfBytes);
        var data = DataFixtures.Synthetic(9, h: 4, w: 3, classes: 9); // no image of class 9 → 9.json still written, but empty
        string tgz = dir.File("t.tgz");
        DataFixtures.WritePackageTarball(tgz, spec with { ClassNames = DataFixtures.Digits[..9] }, data);
        var e = Assert.Throws<DataException>(() => PackageConverter.Convert(tgz, spec, "s"));
        Assert.Equal("package tiny@1.0.0: the tarball has no src/clothes/9.json", e.Message);
    }

    [Fact]
    public void Convert_NotAGzipFile_IsReportedAsDamaged()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("t.tgz"), "not a tarball");
        var e = Assert.Throws<DataException>(() => PackageConverter.Convert(dir.File("t.tgz"), DataFixtures.Spec(JsonLayout.RowsOfBytes), "s"));
        Assert.Contains("damaged tarball", e.Message);
    }
}
