// Hash join of two tables on a key column, inner or left, with SQL semantics:
//   - every (left row, right row) pair with equal keys is a result row, so duplicated keys on
//     both sides multiply (one-to-many and many-to-many);
//   - a missing key equals nothing, not even another missing key;
//   - a left join keeps each unmatched left row once, with missing values in the right columns.
// Result order: left rows in their order; for each, its matches in right-table order.
//
// Each distinct right key gets a slot, and every row on both sides the slot of its key; the
// right rows are then counting-sorted by slot (Buckets), so a left row's matches are one
// contiguous range: O(left + right + result), no per-row hashing for dense integer keys.
//   integer keys, dense (max − min ≤ 2·rows + 1024): slot = key − min
//   integer keys, sparse: a Dictionary<long, int> from key to slot
//   text keys (String or Category): slot = the right category code; each left category is
//   mapped to it once, so the rows themselves are never hashed
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
        // A left join whose right keys are unique keeps every left row once, in order: the left
        // columns are then shared, not copied (Table is immutable), which saves a copy of the
        // whole left table per join when several tables are attached to one.
        bool leftUnchanged = IsIdentity(leftRows, left.RowCount);
        foreach (Column c in left.Columns) columns.Add(leftUnchanged ? c : c.Take(leftRows));
        foreach (Column c in right.Columns)
        {
            if (c.Name == rightKey) continue;
            Column taken = c.Take(rightRows);
            if (left.Contains(c.Name)) taken = taken.Rename(c.Name + rightSuffix);
            columns.Add(taken);
        }
        return new Table(columns);
    }

    private static bool IsIdentity(int[] rows, int count)
    {
        if (rows.Length != count) return false;
        for (int i = 0; i < rows.Length; i++) if (rows[i] != i) return false;
        return true;
    }

    /// <summary>
    /// The row pairs of the join: result row i is left row Left[i] with right row Right[i]
    /// (Right[i] = −1 for an unmatched row of a left join).
    /// </summary>
    public static (int[] Left, int[] Right) MatchRows(Column leftKey, Column rightKey, JoinKind kind)
    {
        (int[] leftSlot, int[] rightSlot, int slots) = KeySlots(leftKey, rightKey);
        Buckets right = Buckets.Sort(rightSlot, slots);

        long total = 0;
        foreach (int s in leftSlot)
        {
            int matches = s < 0 ? 0 : right.Count(s);
            total += matches == 0 && kind == JoinKind.Left ? 1 : matches;
        }
        if (total > Array.MaxLength) throw new TabularException($"join of '{leftKey.Name}' and '{rightKey.Name}' would have {total} rows, more than a column can hold");

        var leftRows = new int[total];
        var rightRows = new int[total];
        int k = 0;
        for (int i = 0; i < leftSlot.Length; i++)
        {
            ReadOnlySpan<int> matches = leftSlot[i] < 0 ? default : right.Of(leftSlot[i]);
            if (matches.IsEmpty)
            {
                if (kind == JoinKind.Inner) continue;
                leftRows[k] = i;
                rightRows[k++] = -1;
                continue;
            }
            leftRows.AsSpan(k, matches.Length).Fill(i);
            matches.CopyTo(rightRows.AsSpan(k));
            k += matches.Length;
        }
        return (leftRows, rightRows);
    }

    /// <summary>
    /// A slot per distinct right key and the slot of every row on both sides (−1: missing key, or
    /// a left key the right side lacks), so equal keys ⇔ equal slots.
    /// </summary>
    private static (int[] Left, int[] Right, int Slots) KeySlots(Column leftKey, Column rightKey) => (leftKey, rightKey) switch
    {
        (Int64Column l, Int64Column r) => IntegerSlots(l, r),
        (Int64Column l, Int32Column r) => IntegerSlots(l, r),
        (Int32Column l, Int64Column r) => IntegerSlots(l, r),
        (Int32Column l, Int32Column r) => IntegerSlots(l, r),
        (StringColumn or CategoricalColumn, StringColumn or CategoricalColumn) => TextSlots(leftKey, rightKey),
        _ => throw new TabularException(
            $"cannot join '{leftKey.Name}' ({leftKey.Type}) with '{rightKey.Name}' ({rightKey.Type}): keys must both be integers or both be text"),
    };

    private static (int[], int[], int) IntegerSlots<TL, TR>(IntegerColumn<TL> left, IntegerColumn<TR> right)
        where TL : unmanaged, IBinaryInteger<TL> where TR : unmanaged, IBinaryInteger<TR>
    {
        ReadOnlySpan<TR> rk = right.Values;
        ReadOnlySpan<bool> rv = right.Validity;
        ReadOnlySpan<TL> lk = left.Values;
        ReadOnlySpan<bool> lv = left.Validity;
        var rightSlot = new int[rk.Length];
        var leftSlot = new int[lk.Length];
        KeyRange range = KeyRange.Of(rk, rv);
        if (range.IsDense(rk.Length))
        {
            // slot = key − min: no hashing at all
            for (int r = 0; r < rk.Length; r++)
                rightSlot[r] = rv.IsEmpty || rv[r] ? (int)(long.CreateTruncating(rk[r]) - range.Min) : -1;
            for (int i = 0; i < lk.Length; i++)
            {
                long key = long.CreateTruncating(lk[i]);
                leftSlot[i] = (lv.IsEmpty || lv[i]) && key >= range.Min && key <= range.Max ? (int)(key - range.Min) : -1;
            }
            return (leftSlot, rightSlot, range.Span);
        }
        var slotOfKey = new Dictionary<long, int>();
        for (int r = 0; r < rk.Length; r++)
        {
            if (!rv.IsEmpty && !rv[r]) { rightSlot[r] = -1; continue; }
            long key = long.CreateTruncating(rk[r]);
            if (!slotOfKey.TryGetValue(key, out int s)) slotOfKey.Add(key, s = slotOfKey.Count);
            rightSlot[r] = s;
        }
        for (int i = 0; i < lk.Length; i++)
            leftSlot[i] = (lv.IsEmpty || lv[i]) && slotOfKey.TryGetValue(long.CreateTruncating(lk[i]), out int s) ? s : -1;
        return (leftSlot, rightSlot, slotOfKey.Count);
    }

    /// <summary>Slots are the right side's category codes; each left category is looked up once, not each row.</summary>
    private static (int[], int[], int) TextSlots(Column leftKey, Column rightKey)
    {
        CategoricalColumn right = Text.AsCategorical(rightKey, "join");
        CategoricalColumn left = Text.AsCategorical(leftKey, "join");
        var rightCode = new Dictionary<string, int>(right.Categories.Count, StringComparer.Ordinal);
        for (int c = 0; c < right.Categories.Count; c++) rightCode[right.Categories[c]] = c;
        int[] slotOfLeftCode = left.CategoryArray.Select(s => rightCode.GetValueOrDefault(s, -1)).ToArray();
        ReadOnlySpan<int> lc = left.Values;
        var leftSlot = new int[lc.Length];
        for (int i = 0; i < leftSlot.Length; i++) leftSlot[i] = lc[i] < 0 ? -1 : slotOfLeftCode[lc[i]];
        return (leftSlot, right.Values.ToArray(), right.Categories.Count);
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

    /// <summary>Number of slots in [Min, Max] (0 when there are no valid keys).</summary>
    public int Span => ValidCount == 0 ? 0 : checked((int)(Max - Min + 1));

    /// <summary>An array over [Min, Max] filled with −1.</summary>
    public int[] NewSlots()
    {
        var slots = new int[Span];
        slots.AsSpan().Fill(-1);
        return slots;
    }
}
