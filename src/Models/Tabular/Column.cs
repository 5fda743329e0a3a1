// Column — one named, typed array of values; the unit a Table is made of.
//
// Storage is always a primitive array (double[], long[], int[] codes, string[]) with no per-row
// objects, so a 10M-row column costs 4–8 bytes a row. Missing values, per type:
//   DoubleColumn       NaN
//   Int64/Int32Column  a validity array (null = every row valid)
//   StringColumn       null   (an empty string "" is a value, not missing)
//   CategoricalColumn  code −1
//   VectorColumn       NaN in every slot of the row
// A column may own an array longer than Length (the CSV reader hands over its growth buffers
// instead of copying them to trim); Values always shows exactly Length items.

namespace FusionScratch.Models.Tabular;

/// <summary>The element type of a column, as the CSV schema and previews name it.</summary>
public enum ColumnType { Int32, Int64, Double, String, Category, Vector }

/// <summary>A named column of <see cref="Length"/> values of one type.</summary>
public abstract class Column
{
    private protected Column(string name, int length)
    {
        if (string.IsNullOrEmpty(name)) throw new TabularException("a column needs a non-empty name");
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Name = name;
        Length = length;
    }

    public string Name { get; }
    public int Length { get; }
    public abstract ColumnType Type { get; }

    /// <summary>True when the value at <paramref name="row"/> is missing.</summary>
    public abstract bool IsMissing(int row);

    /// <summary>Number of missing values.</summary>
    public int MissingCount()
    {
        int n = 0;
        for (int i = 0; i < Length; i++) if (IsMissing(i)) n++;
        return n;
    }

    /// <summary>A new column with result[i] = this[rows[i]]; a row index of −1 gives a missing value (left joins).</summary>
    public abstract Column Take(ReadOnlySpan<int> rows);

    /// <summary>The same values under another name (the storage is shared, not copied).</summary>
    public abstract Column Rename(string name);

    /// <summary>The value as text, "" when missing (previews and reports; the CSV writer has its own fast path).</summary>
    public abstract string Format(int row);

    public override string ToString() => $"{Name}: {Type}[{Length}]";

    /// <summary>Gathers src[rows[i]] with −1 → <paramref name="missing"/>; checks every index against <paramref name="length"/>.</summary>
    private protected static T[] Gather<T>(T[] src, int length, ReadOnlySpan<int> rows, T missing)
    {
        var result = new T[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            int r = rows[i];
            if (r < 0) result[i] = missing;
            else if (r < length) result[i] = src[r];
            else throw new ArgumentOutOfRangeException(nameof(rows), $"row {r} is outside a column of {length} rows");
        }
        return result;
    }
}

/// <summary>A column whose values are one primitive array of <typeparamref name="T"/>.</summary>
public abstract class Column<T> : Column
{
    private protected readonly T[] Data;

    private protected Column(string name, T[] data, int length) : base(name, length)
    {
        if (length > data.Length) throw new ArgumentOutOfRangeException(nameof(length), $"length {length} exceeds the {data.Length} values given");
        Data = data;
    }

    /// <summary>The values, exactly <see cref="Column.Length"/> of them (missing values in the type's own encoding).</summary>
    public ReadOnlySpan<T> Values => Data.AsSpan(0, Length);

    public T this[int row] => (uint)row < (uint)Length ? Data[row]
        : throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is outside column '{Name}' of {Length} rows");
}
