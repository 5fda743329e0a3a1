// Hash join of two tables on a key column, inner or left, with SQL semantics:
//   - every (left row, right row) pair with equal keys is a result row, so duplicated keys on
//     both sides multiply (one-to-many and many-to-many);
//   - a missing key equals nothing, not even another missing key;
//   - a left join keeps each unmatched left row once, with missing values in the right columns.
// Result order: left rows in their order; for each, its matches in right-table order.
//
// The right side is indexed once — head[key] = first right row with that key, next[row] = the
// following one — then each left row walks its chain: O(left + right + result).
//   integer keys, dense (max − min ≤ 2·rows + 1024): head is a plain array indexed by key − min
//   integer keys, sparse: a Dictionary<long, int>
//   categorical keys: head per right code; each left category is looked up once, not each row
//   string keys: a Dictionary<string, int>
// Integer keys of either width join each other; text keys (String or Category) join each other.

using System.Numerics;

namespace FusionScratch.Models.Tabular;

public enum JoinKind { Inner, Left }

/// <summary>Hash joins on one key column.</summary>
public static class Join
{
    /// <summary>Rows of <paramref name="left"/> and <paramref name="right"/> whose <paramref name="on"/> keys are equal.</summary>
    public static Table Inner(Table left, Table right, string on, string rightSuffix = "_right") =>
        On(left, right, on, on, JoinKind.Inner, rightSuffix);

    /// <summary>Every row of <paramref name="left"/>, with the matching right rows or missing values.</summary>
    public static Table Left(Table left, Table right, string on, string rightSuffix = "_right") =>
        On(left, right, on, on, JoinKind.Left, rightSuffix);

    /// <summary>
    /// The general join: left columns first, then the right columns except the right key; a right
    /// column whose name is taken gets <paramref name="rightSuffix"/>.
    /// </summary>
    public static Table On(Table left, Table right, string leftKey, string rightKey, JoinKind kind, string rightSuffix = "_right")
    {
        (int[] leftRows, int[] rightRows) = MatchRows(left[leftKey], right[rightKey], kind);
        var columns = new List<Column>(left.ColumnCount + right.ColumnCount);
        foreach (Column c in left.Columns) columns.Add(c.Take(leftRows));
        foreach (Column c in right.Columns)
        {
            if (c.Name == rightKey) continue;
            Column taken = c.Take(rightRows);
            if (left.Contains(c.Name)) taken = taken.Rename(c.Name + rightSuffix);
            columns.Add(taken);
        }
        return new Table(columns);
    }

    /// <summary>
    /// The row pairs of the join: result row i is left row Left[i] with right row Right[i]
    /// (Right[i] = −1 for an unmatched row of a left join).
    /// </summary>
    public static (int[] Left, int[] Right) MatchRows(Column leftKey, Column rightKey, JoinKind kind)
    {
        int[] next = new int[rightKey.Length];
        int[] first = FirstMatches(leftKey, rightKey, next);

        long total = 0;
        for (int i = 0; i < first.Length; i++)
        {
            int chain = 0;
            for (int r = first[i]; r >= 0; r = next[r]) chain++;
            total += chain == 0 && kind == JoinKind.Left ? 1 : chain;
        }
        if (total > Array.MaxLength) throw new TabularException($"join of '{leftKey.Name}' and '{rightKey.Name}' would have {total} rows, more than a column can hold");

        var leftRows = new int[total];
        var rightRows = new int[total];
        int k = 0;
        for (int i = 0; i < first.Length; i++)
        {
            if (first[i] < 0)
            {
                if (kind == JoinKind.Inner) continue;
                leftRows[k] = i;
                rightRows[k++] = -1;
                continue;
            }
            for (int r = first[i]; r >= 0; r = next[r])
            {
                leftRows[k] = i;
                rightRows[k++] = r;
            }
        }
        return (leftRows, rightRows);
    }

    /// <summary>first[i] = the first right row whose key equals left row i's key (−1 if none); fills the right rows' next chain.</summary>
    private static int[] FirstMatches(Column leftKey, Column rightKey, int[] next) => (leftKey, rightKey) switch
    {
        (Int64Column l, Int64Column r) => IntegerFirst(l, r, next),
        (Int64Column l, Int32Column r) => IntegerFirst(l, r, next),
        (Int32Column l, Int64Column r) => IntegerFirst(l, r, next),
        (Int32Column l, Int32Column r) => IntegerFirst(l, r, next),
        (StringColumn or CategoricalColumn, StringColumn or CategoricalColumn) => TextFirst(leftKey, rightKey, next),
        _ => throw new TabularException(
            $"cannot join '{leftKey.Name}' ({leftKey.Type}) with '{rightKey.Name}' ({rightKey.Type}): keys must both be integers or both be text"),
    };

    private static int[] IntegerFirst<TL, TR>(IntegerColumn<TL> left, IntegerColumn<TR> right, int[] next)
        where TL : unmanaged, IBinaryInteger<TL> where TR : unmanaged, IBinaryInteger<TR>
    {
        var first = new int[left.Length];
        ReadOnlySpan<TL> lk = left.Values;
        ReadOnlySpan<bool> lv = left.Validity;
        KeyRange range = KeyRange.Of(right.Values, right.Validity);
        if (range.IsDense(right.Length))
        {
            int[] head = range.NewHeads();
            ChainRight(right, next, (key, row) =>
            {
                ref int h = ref head[key - range.Min];
                int previous = h;
                h = row;
                return previous;
            });
            for (int i = 0; i < first.Length; i++)
            {
                long key = long.CreateTruncating(lk[i]);
                bool valid = lv.IsEmpty || lv[i];
                first[i] = valid && key >= range.Min && key <= range.Max ? head[key - range.Min] : -1;
            }
        }
        else
        {
            var head = new Dictionary<long, int>();
            ChainRight(right, next, (key, row) =>
            {
                int previous = head.GetValueOrDefault(key, -1);
                head[key] = row;
                return previous;
            });
            for (int i = 0; i < first.Length; i++)
                first[i] = (lv.IsEmpty || lv[i]) && head.TryGetValue(long.CreateTruncating(lk[i]), out int h) ? h : -1;
        }
        return first;
    }

    /// <summary>Walks the right rows backwards, so each chain comes out in row order; push returns the previous head.</summary>
    private static void ChainRight<T>(IntegerColumn<T> right, int[] next, Func<long, int, int> push) where T : unmanaged, IBinaryInteger<T>
    {
        ReadOnlySpan<T> keys = right.Values;
        ReadOnlySpan<bool> valid = right.Validity;
        for (int r = keys.Length - 1; r >= 0; r--)
            next[r] = valid.IsEmpty || valid[r] ? push(long.CreateTruncating(keys[r]), r) : -1;
    }

    private static int[] TextFirst(Column leftKey, Column rightKey, int[] next)
    {
        // Index the right side by category code (a String key is encoded first), then map each
        // left category to the right code with the same string once.
        CategoricalColumn right = Text.AsCategorical(rightKey, "join");
        var head = new int[right.Categories.Count];
        head.AsSpan().Fill(-1);
        ReadOnlySpan<int> rc = right.Values;
        for (int r = rc.Length - 1; r >= 0; r--)
        {
            if (rc[r] < 0) { next[r] = -1; continue; }
            next[r] = head[rc[r]];
            head[rc[r]] = r;
        }
        var rightCode = new Dictionary<string, int>(right.Categories.Count, StringComparer.Ordinal);
        for (int c = 0; c < right.Categories.Count; c++) rightCode[right.Categories[c]] = c;

        CategoricalColumn left = Text.AsCategorical(leftKey, "join");
        var headOfLeftCode = new int[left.Categories.Count];
        for (int c = 0; c < headOfLeftCode.Length; c++)
            headOfLeftCode[c] = rightCode.TryGetValue(left.Categories[c], out int code) ? head[code] : -1;
        var first = new int[left.Length];
        ReadOnlySpan<int> lc = left.Values;
        for (int i = 0; i < first.Length; i++) first[i] = lc[i] < 0 ? -1 : headOfLeftCode[lc[i]];
        return first;
    }
}

/// <summary>Min and max of the valid keys of an integer column; decides dense-array vs hash indexing.</summary>
internal readonly record struct KeyRange(long Min, long Max, int ValidCount)
{
    public static KeyRange Of<T>(ReadOnlySpan<T> keys, ReadOnlySpan<bool> valid) where T : unmanaged, IBinaryInteger<T>
    {
        long min = long.MaxValue, max = long.MinValue;
        int count = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            if (!valid.IsEmpty && !valid[i]) continue;
            long k = long.CreateTruncating(keys[i]);
            if (k < min) min = k;
            if (k > max) max = k;
            count++;
        }
        return new KeyRange(min, max, count);
    }

    /// <summary>Dense when an array over [Min, Max] costs at most about twice the rows (plus a small floor).</summary>
    public bool IsDense(int rows) => ValidCount == 0 || (ulong)(Max - Min) <= 2UL * (ulong)rows + 1024;

    /// <summary>An array over [Min, Max] filled with −1.</summary>
    public int[] NewHeads()
    {
        var head = new int[ValidCount == 0 ? 0 : Max - Min + 1];
        head.AsSpan().Fill(-1);
        return head;
    }
}
