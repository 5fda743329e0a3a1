// Text columns. StringColumn keeps one string reference a row (null = missing); use it for
// mostly-unique text (names, emails). CategoricalColumn is dictionary-encoded: an int code a row
// (−1 = missing) into a shared array of distinct strings; use it for repeated values (product,
// page, gender, season). Joins, group-by and one-hot work on the codes, never on the strings.

namespace FusionScratch.Models.Tabular;

/// <summary>Strings, one reference a row; null is missing and "" is a value.</summary>
public sealed class StringColumn : Column<string?>
{
    /// <summary>Wraps <paramref name="values"/> (not copied).</summary>
    public StringColumn(string name, string?[] values) : this(name, values, values.Length) { }

    internal StringColumn(string name, string?[] values, int length) : base(name, values, length) { }

    public override ColumnType Type => ColumnType.String;

    public override bool IsMissing(int row) => this[row] is null;

    public override Column Take(ReadOnlySpan<int> rows) => new StringColumn(Name, Gather(Data, Length, rows, null));

    public override Column Rename(string name) => new StringColumn(name, Data, Length);

    public override string Format(int row) => this[row] ?? "";
}

/// <summary>Dictionary-encoded strings: <see cref="Column{T}.Values"/> are codes into <see cref="Categories"/>, −1 = missing.</summary>
public sealed class CategoricalColumn : Column<int>
{
    private readonly string[] _categories;

    /// <summary>Wraps <paramref name="codes"/> and <paramref name="categories"/> (not copied); every code must be −1 or a valid index.</summary>
    public CategoricalColumn(string name, int[] codes, string[] categories) : this(name, codes, categories, codes.Length)
    {
        foreach (int c in codes)
            if (c < -1 || c >= categories.Length)
                throw new TabularException($"column '{name}': code {c} is outside the {categories.Length} categories");
    }

    internal CategoricalColumn(string name, int[] codes, string[] categories, int length) : base(name, codes, length)
    {
        _categories = categories;
    }

    /// <summary>The distinct values; a code indexes this list.</summary>
    public IReadOnlyList<string> Categories => _categories;

    internal string[] CategoryArray => _categories;

    public override ColumnType Type => ColumnType.Category;

    public override bool IsMissing(int row) => this[row] < 0;

    /// <summary>The string at <paramref name="row"/>, null when missing.</summary>
    public string? ValueAt(int row)
    {
        int code = this[row];
        return code < 0 ? null : _categories[code];
    }

    public override Column Take(ReadOnlySpan<int> rows) => new CategoricalColumn(Name, Gather(Data, Length, rows, -1), _categories, rows.Length);

    public override Column Rename(string name) => new CategoricalColumn(name, Data, _categories, Length);

    public override string Format(int row) => ValueAt(row) ?? "";

    /// <summary>Encodes strings (null = missing); categories in order of first appearance.</summary>
    public static CategoricalColumn Encode(string name, ReadOnlySpan<string?> values)
    {
        var codes = new int[values.Length];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var categories = new List<string>();
        for (int i = 0; i < values.Length; i++)
        {
            string? v = values[i];
            if (v is null) { codes[i] = -1; continue; }
            if (!index.TryGetValue(v, out int code))
            {
                code = categories.Count;
                index.Add(v, code);
                categories.Add(v);
            }
            codes[i] = code;
        }
        return new CategoricalColumn(name, codes, categories.ToArray(), codes.Length);
    }

    /// <summary>One string reference a row (the category strings are shared, not copied).</summary>
    public StringColumn ToStringColumn()
    {
        var values = new string?[Length];
        ReadOnlySpan<int> codes = Values;
        for (int i = 0; i < values.Length; i++) values[i] = codes[i] < 0 ? null : _categories[codes[i]];
        return new StringColumn(Name, values);
    }
}

/// <summary>Reads text from a StringColumn or a CategoricalColumn alike.</summary>
internal static class Text
{
    public static bool IsText(Column c) => c is StringColumn or CategoricalColumn;

    /// <summary>The column as categorical (a StringColumn is encoded; a CategoricalColumn is returned as is).</summary>
    public static CategoricalColumn AsCategorical(Column c, string user) => c switch
    {
        CategoricalColumn k => k,
        StringColumn s => CategoricalColumn.Encode(s.Name, s.Values),
        _ => throw new TabularException($"{user}: column '{c.Name}' is {c.Type}, expected text (String or Category)"),
    };
}
