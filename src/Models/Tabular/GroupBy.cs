// Group-by on one key column, then aggregations over other columns.
//
//   Grouping g = purchases.GroupBy("customer_id");
//   Table perCustomer = g.Aggregate(Aggregation.Rows("purchases"), Aggregation.Sum("amount"),
//                                   Aggregation.Mean("amount"), Aggregation.Mode("product"));
//
// Grouping first gives every row a dense group id (−1 when its key is missing: such rows are
// dropped, as pandas does by default); each aggregation is then one pass over its column with
// per-group accumulators in arrays. Groups come out sorted by key (numbers ascending, text in
// ordinal order), so results are deterministic.
//   integer keys, dense range: a presence array over [min, max] hands out ids in key order
//   integer keys, sparse: a Dictionary, then the distinct keys are sorted
//   text keys: per category code (a String key is encoded first), categories sorted by string
// Missing values are skipped by every aggregation: Count counts the non-missing values, Rows
// counts rows. Sum, Mean, Min and Max come back as doubles (exact for integers below 2^53);
// Mean, Min and Max of a group with no values are NaN (missing), Sum is 0. Mode gives the most
// frequent value of a text column, ties to the smaller string (ordinal), missing if none.

using System.Numerics;

namespace FusionScratch.Models.Tabular;

public enum AggregationKind { Rows, Count, Sum, Mean, Min, Max, Mode }

/// <summary>One output column of a group-by: what to compute, over which column, under which name.</summary>
public sealed record Aggregation(AggregationKind Kind, string? Column, string Name)
{
    /// <summary>Rows per group, missing values included.</summary>
    public static Aggregation Rows(string name = "rows") => new(AggregationKind.Rows, null, name);

    /// <summary>Non-missing values per group.</summary>
    public static Aggregation Count(string column, string? name = null) => new(AggregationKind.Count, column, name ?? column + "_count");

    public static Aggregation Sum(string column, string? name = null) => new(AggregationKind.Sum, column, name ?? column + "_sum");

    public static Aggregation Mean(string column, string? name = null) => new(AggregationKind.Mean, column, name ?? column + "_mean");

    public static Aggregation Min(string column, string? name = null) => new(AggregationKind.Min, column, name ?? column + "_min");

    public static Aggregation Max(string column, string? name = null) => new(AggregationKind.Max, column, name ?? column + "_max");

    /// <summary>Most frequent value of a text column (String or Category).</summary>
    public static Aggregation Mode(string column, string? name = null) => new(AggregationKind.Mode, column, name ?? column + "_mode");
}

/// <summary>The rows of a table split into groups by one key column.</summary>
public sealed class Grouping
{
    private readonly Table _table;
    private readonly int[] _groupOf;

    private Grouping(Table table, Column keys, int[] groupOf)
    {
        _table = table;
        Keys = keys;
        _groupOf = groupOf;
    }

    /// <summary>One row per group: the distinct keys in ascending order, named as the key column.</summary>
    public Column Keys { get; }

    public int GroupCount => Keys.Length;

    /// <summary>The group id of every row of the source table (−1 where the key is missing).</summary>
    public ReadOnlySpan<int> GroupOf => _groupOf;

    /// <summary>Groups the rows of <paramref name="table"/> by the column <paramref name="key"/>.</summary>
    public static Grouping By(Table table, string key)
    {
        Column k = table[key];
        (Column keys, int[] groupOf) = k switch
        {
            Int64Column l => IntegerGroups(l),
            Int32Column i => IntegerGroups(i),
            StringColumn or CategoricalColumn => TextGroups(Text.AsCategorical(k, "group-by")),
            _ => throw new TabularException($"cannot group by '{key}' ({k.Type}): the key must be an integer or text column"),
        };
        return new Grouping(table, keys, groupOf);
    }

    /// <summary>A table keyed by the group key, one column per aggregation.</summary>
    public Table Aggregate(params Aggregation[] aggregations)
    {
        var columns = new List<Column> { Keys };
        foreach (Aggregation a in aggregations)
            columns.Add(a.Kind switch
            {
                AggregationKind.Rows => new Int64Column(a.Name, RowCounts()),
                AggregationKind.Mode => Mode(a),
                _ => Numeric(a),
            });
        return new Table(columns);
    }

    private long[] RowCounts()
    {
        var counts = new long[GroupCount];
        foreach (int g in _groupOf) if (g >= 0) counts[g]++;
        return counts;
    }

    private Column Numeric(Aggregation a)
    {
        Column c = _table[a.Column!];
        return c switch
        {
            DoubleColumn d => Accumulate(a, d.Values, default),
            Int64Column l => Accumulate(a, l.Values, l.Validity),
            Int32Column i => Accumulate(a, i.Values, i.Validity),
            _ => throw new TabularException($"{a.Kind} of '{c.Name}' ({c.Type}): needs a numeric column"),
        };
    }

    /// <summary>One pass over the column: count, sum, min, max per group; NaN and invalid rows skipped.</summary>
    private Column Accumulate<T>(Aggregation a, ReadOnlySpan<T> values, ReadOnlySpan<bool> valid) where T : INumberBase<T>
    {
        int groups = GroupCount;
        var count = new long[groups];
        var acc = new double[groups];
        if (a.Kind == AggregationKind.Min) acc.AsSpan().Fill(double.PositiveInfinity);
        if (a.Kind == AggregationKind.Max) acc.AsSpan().Fill(double.NegativeInfinity);
        for (int i = 0; i < values.Length; i++)
        {
            int g = _groupOf[i];
            if (g < 0 || (!valid.IsEmpty && !valid[i])) continue;
            double v = double.CreateTruncating(values[i]);
            if (double.IsNaN(v)) continue;
            count[g]++;
            switch (a.Kind)
            {
                case AggregationKind.Sum or AggregationKind.Mean: acc[g] += v; break;
                case AggregationKind.Min: if (v < acc[g]) acc[g] = v; break;
                case AggregationKind.Max: if (v > acc[g]) acc[g] = v; break;
            }
        }
        if (a.Kind == AggregationKind.Count) return new Int64Column(a.Name, count);
        for (int g = 0; g < groups; g++)
        {
            if (a.Kind == AggregationKind.Mean) acc[g] = count[g] == 0 ? double.NaN : acc[g] / count[g];
            else if (a.Kind != AggregationKind.Sum && count[g] == 0) acc[g] = double.NaN;
        }
        return new DoubleColumn(a.Name, acc);
    }

    /// <summary>
    /// Most frequent category per group. Each row's category is replaced by its rank in ordinal
    /// string order, the ranks are bucketed by group (a counting sort), and each group's short
    /// run of ranks is sorted: the longest run wins, and the first of equally long runs is the
    /// smaller string. Missing values rank −1 and are skipped.
    /// </summary>
    private Column Mode(Aggregation a)
    {
        CategoricalColumn c = Text.AsCategorical(_table[a.Column!], "mode");
        int[] rank = OrdinalRanks(c.CategoryArray);
        var codeOfRank = new int[rank.Length];
        for (int code = 0; code < rank.Length; code++) codeOfRank[rank[code]] = code;
        ReadOnlySpan<int> codes = c.Values;
        var ranks = new int[codes.Length];
        for (int i = 0; i < ranks.Length; i++) ranks[i] = codes[i] < 0 ? -1 : rank[codes[i]];

        Buckets byGroup = Buckets.Sort(_groupOf, GroupCount, ranks);
        var result = new int[GroupCount];
        for (int g = 0; g < result.Length; g++)
        {
            Span<int> values = byGroup.Items.AsSpan(byGroup.Start[g], byGroup.Count(g));
            values.Sort();
            int best = -1, bestRun = 0;
            for (int j = 0; j < values.Length;)
            {
                int run = 1;
                while (j + run < values.Length && values[j + run] == values[j]) run++;
                if (values[j] >= 0 && run > bestRun) (best, bestRun) = (values[j], run);
                j += run;
            }
            result[g] = best < 0 ? -1 : codeOfRank[best];
        }
        return new CategoricalColumn(a.Name, result, c.CategoryArray, result.Length);
    }

    /// <summary>rank[code] = position of the category in ordinal string order.</summary>
    internal static int[] OrdinalRanks(string[] categories)
    {
        int[] order = Enumerable.Range(0, categories.Length).ToArray();
        Array.Sort(order, (x, y) => string.CompareOrdinal(categories[x], categories[y]));
        var rank = new int[categories.Length];
        for (int i = 0; i < order.Length; i++) rank[order[i]] = i;
        return rank;
    }

    private static (Column, int[]) IntegerGroups<T>(IntegerColumn<T> key) where T : unmanaged, IBinaryInteger<T>
    {
        ReadOnlySpan<T> keys = key.Values;
        ReadOnlySpan<bool> valid = key.Validity;
        var groupOf = new int[keys.Length];
        KeyRange range = KeyRange.Of(keys, valid);
        T[] distinct;
        if (range.IsDense(keys.Length))
        {
            int[] id = range.NewSlots();                       // −1 = absent, then the group id
            for (int i = 0; i < keys.Length; i++)
                if (valid.IsEmpty || valid[i]) id[long.CreateTruncating(keys[i]) - range.Min] = 0;
            int groups = 0;
            for (int s = 0; s < id.Length; s++) if (id[s] == 0) id[s] = ++groups;   // ids + 1, ascending keys
            distinct = new T[groups];
            for (int s = 0; s < id.Length; s++) if (id[s] > 0) distinct[id[s] - 1] = T.CreateTruncating(range.Min + s);
            for (int i = 0; i < keys.Length; i++)
                groupOf[i] = valid.IsEmpty || valid[i] ? id[long.CreateTruncating(keys[i]) - range.Min] - 1 : -1;
        }
        else
        {
            var id = new Dictionary<T, int>();
            for (int i = 0; i < keys.Length; i++)
            {
                if (!valid.IsEmpty && !valid[i]) { groupOf[i] = -1; continue; }
                if (!id.TryGetValue(keys[i], out int g)) id.Add(keys[i], g = id.Count);
                groupOf[i] = g;
            }
            distinct = id.Keys.ToArray();
            int[] order = Enumerable.Range(0, distinct.Length).ToArray();
            Array.Sort(distinct, order);                       // distinct ascending; order[newId] = old id
            var renumber = new int[order.Length];
            for (int g = 0; g < order.Length; g++) renumber[order[g]] = g;
            for (int i = 0; i < groupOf.Length; i++) if (groupOf[i] >= 0) groupOf[i] = renumber[groupOf[i]];
        }
        return (key.Create(key.Name, distinct, null, distinct.Length), groupOf);
    }

    private static (Column, int[]) TextGroups(CategoricalColumn key)
    {
        ReadOnlySpan<int> codes = key.Values;
        var present = new bool[key.Categories.Count];
        foreach (int c in codes) if (c >= 0) present[c] = true;
        int[] rank = OrdinalRanks(key.CategoryArray);
        var byRank = new int[present.Length];                 // category code at each rank, −1 if absent
        byRank.AsSpan().Fill(-1);
        for (int c = 0; c < present.Length; c++) if (present[c]) byRank[rank[c]] = c;
        var groupOfCode = new int[present.Length];
        var keyCodes = new List<int>();
        foreach (int c in byRank)
        {
            if (c < 0) continue;
            groupOfCode[c] = keyCodes.Count;
            keyCodes.Add(c);
        }
        var groupOf = new int[codes.Length];
        for (int i = 0; i < codes.Length; i++) groupOf[i] = codes[i] < 0 ? -1 : groupOfCode[codes[i]];
        return (new CategoricalColumn(key.Name, keyCodes.ToArray(), key.CategoryArray, keyCodes.Count), groupOf);
    }
}
