// Buckets — a counting sort of rows by a small integer slot (a group id, or a key's position in
// a dense key range). After it, the rows of slot s are Items[Start[s] .. Start[s+1]), in their
// original order (the sort is stable). Joins use it to find all right rows of a key as one
// contiguous range, group-by's Mode to see each group's values side by side; both replace
// pointer-chasing through per-row chains by two sequential passes and one scatter.

namespace FusionScratch.Models.Tabular;

internal sealed class Buckets
{
    private Buckets(int[] start, int[] items)
    {
        Start = start;
        Items = items;
    }

    /// <summary>Slot s holds Items[Start[s] .. Start[s + 1]); Start has slots + 1 entries.</summary>
    public int[] Start { get; }

    public int[] Items { get; }

    public int Count(int slot) => Start[slot + 1] - Start[slot];

    public ReadOnlySpan<int> Of(int slot) => Items.AsSpan(Start[slot], Count(slot));

    /// <summary>
    /// Sorts the rows by slotOf[row] (rows with slot −1 are left out). Each item is values[row],
    /// or the row index itself when <paramref name="values"/> is empty.
    /// </summary>
    public static Buckets Sort(ReadOnlySpan<int> slotOf, int slots, ReadOnlySpan<int> values = default)
    {
        var start = new int[slots + 1];
        foreach (int s in slotOf) if (s >= 0) start[s + 1]++;
        for (int s = 0; s < slots; s++) start[s + 1] += start[s];
        var items = new int[start[slots]];
        int[] next = start[..slots];                     // the next free position of each slot
        for (int row = 0; row < slotOf.Length; row++)
        {
            int s = slotOf[row];
            if (s >= 0) items[next[s]++] = values.IsEmpty ? row : values[row];
        }
        return new Buckets(start, items);
    }
}
