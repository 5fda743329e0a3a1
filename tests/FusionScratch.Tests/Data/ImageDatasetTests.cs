using FusionScratch.Models.Data;

namespace FusionScratch.Tests.Data;

public class ImageDatasetTests
{
    [Fact]
    public void ToFloats_ScalesBytesToUnitRange_InTheGivenOrder()
    {
        var data = new ImageDataset("t", 1, 2, ["a", "b"], [0, 255, 51, 102], [0, 1], "test");
        Assert.Equal([0.2f, 0.4f, 0f, 1f], data.ToFloats([1, 0]));
        Span<float> one = stackalloc float[2];
        data.CopyFloats(1, one);
        Assert.Equal(0.2f, one[0]);
        Assert.Equal([1, 0], data.LabelsOf([1, 0]));
    }

    [Fact]
    public void Subset_CopiesTheChosenImages()
    {
        var data = DataFixtures.Synthetic(20);
        var sub = data.Subset([5, 3, 5], "repeat");
        Assert.Equal(3, sub.Count);
        Assert.True(sub.Image(0).SequenceEqual(data.Image(5)));
        Assert.True(sub.Image(1).SequenceEqual(data.Image(3)));
        Assert.Equal([5, 3, 5], sub.Labels);
        Assert.Contains("subset of 3 images (repeat)", sub.Source);
    }

    [Fact]
    public void ClassCounts_CountsEachLabel()
    {
        Assert.Equal([3, 3, 2], DataFixtures.Synthetic(8, classes: 3).ClassCounts());
    }

    [Fact]
    public void Constructor_RejectsInconsistentArrays()
    {
        Assert.Throws<ArgumentException>(() => new ImageDataset("t", 2, 2, ["a"], new byte[7], new byte[2], "s"));
        Assert.Throws<ArgumentException>(() => new ImageDataset("t", 1, 1, ["a", "b"], new byte[2], [0, 2], "s"));
    }
}
