using FusionScratch.Models.Data;

namespace FusionScratch.Tests.Data;

public class SplitsTests
{
    /// <summary>Unbalanced labels: class c has 50 + 37·c members, shuffled.</summary>
    private static byte[] Labels()
    {
        var labels = Enumerable.Range(0, 10).SelectMany(c => Enumerable.Repeat((byte)c, 50 + 37 * c)).ToArray();
        new Random(5).Shuffle(labels);
        return labels;
    }

    [Fact]
    public void Stratified_KeepsEveryClassInProportion()
    {
        byte[] labels = Labels();
        var split = Splits.Stratified(labels, 0.7, 0.1, 0.2, seed: 42);
        for (int c = 0; c < 10; c++)
        {
            int n = 50 + 37 * c;
            Assert.Equal((int)Math.Round(n * 0.7, MidpointRounding.AwayFromZero), split.Train.Count(i => labels[i] == c));
            int inVal = split.Val.Count(i => labels[i] == c), inTest = split.Test.Count(i => labels[i] == c);
            Assert.InRange(inVal, n * 0.1 - 1, n * 0.1 + 1);
            Assert.Equal(n, split.Train.Count(i => labels[i] == c) + inVal + inTest); // fractions sum to 1: nothing left out
        }
    }

    [Fact]
    public void Stratified_SplitsAreDisjointAndCoverEverything()
    {
        byte[] labels = Labels();
        var split = Splits.Stratified(labels, 0.6, 0.2, 0.2, seed: 1);
        int[] all = [.. split.Train, .. split.Val, .. split.Test];
        Assert.Equal(labels.Length, all.Length);
        Assert.Equal(Enumerable.Range(0, labels.Length), all.Order());
    }

    [Fact]
    public void Stratified_FractionsBelowOne_LeaveTheRestOut()
    {
        byte[] labels = Labels();
        var split = Splits.Stratified(labels, 0.1, 0.05, 0.05, seed: 1);
        int total = split.Train.Length + split.Val.Length + split.Test.Length;
        Assert.InRange(total, labels.Length * 0.2 - 10, labels.Length * 0.2 + 10);
        Assert.Equal(total, split.Train.Concat(split.Val).Concat(split.Test).Distinct().Count());
    }

    [Fact]
    public void Stratified_SameSeed_SameSplit_OtherSeed_Differs()
    {
        byte[] labels = Labels();
        var a = Splits.Stratified(labels, 0.7, 0.1, 0.2, seed: 7);
        var b = Splits.Stratified(labels, 0.7, 0.1, 0.2, seed: 7);
        var c = Splits.Stratified(labels, 0.7, 0.1, 0.2, seed: 8);
        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.Val, b.Val);
        Assert.Equal(a.Test, b.Test);
        Assert.NotEqual(a.Train, c.Train);
        Assert.NotEqual(a.Test.Order(), c.Test.Order()); // different members, not only a different order
    }

    [Fact]
    public void Stratified_IsFixedAcrossMachines()
    {
        // The split depends only on the seed (our xoshiro128** Rng), so its first members are a
        // constant; if this changes, every report's split changed with it.
        var split = Splits.Stratified(Enumerable.Range(0, 100).Select(i => (byte)(i % 2)).ToArray(), 0.8, 0.0, 0.2, seed: 123);
        Assert.Equal(80, split.Train.Length);
        Assert.Empty(split.Val);
        Assert.Equal(split.Test.Count(i => i % 2 == 0), split.Test.Count(i => i % 2 == 1));
        Assert.Equal(Splits.Stratified(Enumerable.Range(0, 100).Select(i => (byte)(i % 2)).ToArray(), 0.8, 0.0, 0.2, seed: 123).Test, split.Test);
    }

    [Fact]
    public void Stratified_InterleavesClasses()
    {
        // Each split is shuffled after the per-class cut, so a prefix is not one class.
        byte[] labels = Labels();
        var split = Splits.Stratified(labels, 0.7, 0.1, 0.2, seed: 3);
        Assert.True(split.Train.Take(50).Select(i => labels[i]).Distinct().Count() >= 5);
    }

    [Theory]
    [InlineData(-0.1, 0.5, 0.5)]
    [InlineData(0.7, 0.2, 0.2)]
    public void Stratified_BadFractions_Throw(double train, double val, double test) =>
        Assert.Throws<ArgumentException>(() => Splits.Stratified(Labels(), train, val, test, 1));

    [Fact]
    public void Take_ReturnsExactlyNWithClassesInProportion()
    {
        byte[] labels = Labels();
        var split = Splits.Stratified(labels, 0.8, 0.0, 0.2, seed: 9);
        int[] quick = Splits.Take(labels, split.Train, 100);
        Assert.Equal(100, quick.Length);
        Assert.Equal(quick.Length, quick.Distinct().Count());
        Assert.All(quick, i => Assert.Contains(i, split.Train));
        for (int c = 0; c < 10; c++)
        {
            double expected = 100.0 * split.Train.Count(i => labels[i] == c) / split.Train.Length;
            Assert.InRange(quick.Count(i => labels[i] == c), Math.Floor(expected), Math.Ceiling(expected));
        }
        // Order is kept: the capped list is a subsequence of the split.
        var positions = quick.Select(i => Array.IndexOf(split.Train, i)).ToArray();
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public void Cap_NullOrLargeKeepsASplitWhole()
    {
        byte[] labels = Labels();
        var split = Splits.Stratified(labels, 0.7, 0.1, 0.2, seed: 2);
        var capped = Splits.Cap(labels, split, maxTrain: 64, maxVal: null, maxTest: 1_000_000);
        Assert.Equal(64, capped.Train.Length);
        Assert.Same(split.Val, capped.Val);
        Assert.Same(split.Test, capped.Test);
    }

    [Fact]
    public void Apportion_SumsToTotal()
    {
        Assert.Equal([3, 3, 4], Splits.Apportion(10, [1, 1, 1]).Order()); // 3.33 each: one gets the extra
        Assert.Equal(10, Splits.Apportion(10, [1, 1, 1]).Sum());
        Assert.Equal([0, 7, 0], Splits.Apportion(7, [0, 5, 0]));
        Assert.Equal(97, Splits.Apportion(97, [13, 0, 29, 7]).Sum());
    }
}
