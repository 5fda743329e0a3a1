using FusionScratch.Models.Tabular;

namespace FusionScratch.Tests.Tabular;

public class JoinGroupByTests
{
    public static TheoryData<int, bool> Seeds() => new() { { 1, true }, { 2, false }, { 3, true }, { 4, false }, { 5, true } };

    /// <summary>Keys with duplicates and missing values; dense ones in a small range, sparse ones spread over ±10^12.</summary>
    private static Int64Column RandomKeys(Random rng, string name, int n, int distinct, bool dense)
    {
        var keys = new long[n];
        var valid = new bool[n];
        for (int i = 0; i < n; i++)
        {
            long k = rng.Next(distinct);
            keys[i] = dense ? k : (k - distinct / 2) * 123_456_789_011L;
            valid[i] = rng.Next(8) > 0;
        }
        return new Int64Column(name, keys, valid);
    }

    private static List<(int, int)> NestedLoopJoin(Column left, Column right, JoinKind kind)
    {
        var pairs = new List<(int, int)>();
        for (int i = 0; i < left.Length; i++)
        {
            bool matched = false;
            for (int j = 0; j < right.Length; j++)
            {
                if (left.IsMissing(i) || right.IsMissing(j) || left.Format(i) != right.Format(j)) continue;
                pairs.Add((i, j));
                matched = true;
            }
            if (!matched && kind == JoinKind.Left) pairs.Add((i, -1));
        }
        return pairs;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Join_IntegerKeys_MatchesNestedLoop(int seed, bool dense)
    {
        var rng = new Random(seed);
        Int64Column left = RandomKeys(rng, "k", 300, 60, dense);
        Int64Column right = RandomKeys(rng, "k", 200, 80, dense);
        foreach (JoinKind kind in new[] { JoinKind.Inner, JoinKind.Left })
        {
            (int[] l, int[] r) = Join.MatchRows(left, right, kind);
            Assert.Equal(NestedLoopJoin(left, right, kind), l.Zip(r).ToList());
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Join_TextKeys_CategoryWithString_MatchesNestedLoop(int seed, bool leftIsCategory)
    {
        var rng = new Random(seed);
        string?[] Words(int n) => Enumerable.Range(0, n).Select(_ => rng.Next(8) == 0 ? null : "w" + rng.Next(40)).ToArray();
        var ls = new StringColumn("k", Words(250));
        var rs = new StringColumn("k", Words(150));
        Column left = leftIsCategory ? CategoricalColumn.Encode("k", ls.Values) : ls;
        Column right = leftIsCategory ? rs : CategoricalColumn.Encode("k", rs.Values);
        foreach (JoinKind kind in new[] { JoinKind.Inner, JoinKind.Left })
        {
            (int[] l, int[] r) = Join.MatchRows(left, right, kind);
            Assert.Equal(NestedLoopJoin(left, right, kind), l.Zip(r).ToList());
        }
    }

    [Fact]
    public void LeftJoin_Tables_GivesMissingRightColumnsAndSuffixesClashes()
    {
        var customers = new Table(new Int64Column("id", [1, 2, 3]), new StringColumn("name", ["ann", "bob", "cy"]));
        var purchases = new Table(new Int32Column("id", [3, 1, 3]), new DoubleColumn("amount", [5, 7, 9]), new StringColumn("name", ["p", "q", "r"]));
        Table j = Join.Left(customers, purchases, "id");
        Assert.Equal(["id", "name", "amount", "name_right"], j.ColumnNames);
        Assert.Equal([1L, 2, 3, 3], j.Column<Int64Column>("id").Values.ToArray());
        Assert.Equal([7, double.NaN, 5, 9], j.Column<DoubleColumn>("amount").Values.ToArray());
        Assert.Equal(["ann", "cy", "cy"], Join.Inner(customers, purchases, "id").Column<StringColumn>("name").Values.ToArray().ToList());
        var e = Assert.Throws<TabularException>(() => Join.Inner(customers, new Table(new StringColumn("id", ["1"])), "id"));
        Assert.Contains("keys must both be integers or both be text", e.Message);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void GroupBy_MatchesNaiveAggregation(int seed, bool dense)
    {
        var rng = new Random(seed);
        int n = 500;
        Int64Column key = RandomKeys(rng, "k", n, 50, dense);
        var x = Enumerable.Range(0, n).Select(_ => rng.Next(6) == 0 ? double.NaN : Math.Round(rng.NextDouble() * 100, 2)).ToArray();
        var y = Enumerable.Range(0, n).Select(_ => rng.Next(-5, 5)).ToArray();
        var yValid = Enumerable.Range(0, n).Select(_ => rng.Next(5) > 0).ToArray();
        string[] cats = ["b", "a", "c", "d"];
        var cat = Enumerable.Range(0, n).Select(_ => rng.Next(-1, cats.Length)).ToArray();
        var t = new Table(key, new DoubleColumn("x", x), new Int32Column("y", y, yValid), new CategoricalColumn("cat", cat, cats));

        Table g = t.GroupBy("k").Aggregate(
            Aggregation.Rows(), Aggregation.Count("x"), Aggregation.Sum("x"), Aggregation.Mean("x"),
            Aggregation.Min("y"), Aggregation.Max("y"), Aggregation.Mean("y"), Aggregation.Mode("cat"));

        var groups = Enumerable.Range(0, n).Where(i => !key.IsMissing(i)).GroupBy(i => key[i]).OrderBy(grp => grp.Key).ToList();
        Assert.Equal(groups.Select(grp => grp.Key), g.Column<Int64Column>("k").Values.ToArray());
        for (int r = 0; r < groups.Count; r++)
        {
            int[] rows = groups[r].ToArray();
            double[] xs = rows.Select(i => x[i]).Where(v => !double.IsNaN(v)).ToArray();
            double[] ys = rows.Where(i => yValid[i]).Select(i => (double)y[i]).ToArray();
            Assert.Equal(rows.Length, g.Column<Int64Column>("rows")[r]);
            Assert.Equal(xs.Length, g.Column<Int64Column>("x_count")[r]);
            Assert.Equal(xs.Sum(), g.Column<DoubleColumn>("x_sum")[r], 9);
            Assert.Equal(xs.Length == 0 ? double.NaN : xs.Average(), g.Column<DoubleColumn>("x_mean")[r], 9);
            Assert.Equal(ys.Length == 0 ? double.NaN : ys.Min(), g.Column<DoubleColumn>("y_min")[r]);
            Assert.Equal(ys.Length == 0 ? double.NaN : ys.Max(), g.Column<DoubleColumn>("y_max")[r]);
            Assert.Equal(ys.Length == 0 ? double.NaN : ys.Average(), g.Column<DoubleColumn>("y_mean")[r], 9);
            string? mode = rows.Where(i => cat[i] >= 0).Select(i => cats[cat[i]]).GroupBy(s => s)
                .OrderByDescending(s => s.Count()).ThenBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Key).FirstOrDefault();
            Assert.Equal(mode, g.Column<CategoricalColumn>("cat_mode").ValueAt(r));
        }
    }

    [Fact]
    public void GroupBy_TextKey_SortsOrdinalAndDropsMissing()
    {
        var t = new Table(new StringColumn("page", ["home", "cart", null, "home", "about"]), new DoubleColumn("d", [1, 2, 3, 4, 5]));
        Table g = t.GroupBy("page").Aggregate(Aggregation.Sum("d", "total"), Aggregation.Rows());
        Assert.Equal(["about", "cart", "home"], Enumerable.Range(0, g.RowCount).Select(i => g["page"].Format(i)));
        Assert.Equal([5.0, 2, 5], g.Column<DoubleColumn>("total").Values.ToArray());
        Assert.Contains("needs a numeric column", Assert.Throws<TabularException>(() => t.GroupBy("page").Aggregate(Aggregation.Sum("page"))).Message);
    }
}
