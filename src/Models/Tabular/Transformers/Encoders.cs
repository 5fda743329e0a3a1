// Encoders fitted on the training split: one-hot (with an unknown bucket), standard scaling, and
// label encoding of a target.

namespace FusionScratch.Models.Tabular.Transformers;

/// <summary>
/// Adds "&lt;column&gt;_onehot", a vector with one slot per training category (ordinal order) plus a
/// last "&lt;column&gt;=&lt;unknown&gt;" slot. A category first seen at transform time, and a missing
/// value, go to the unknown slot; so every row has exactly one 1.
/// </summary>
public sealed class OneHotEncoder(params string[] columns) : ColumnTransformer(columns)
{
    private readonly string[][] _categories = new string[columns.Length][];

    /// <summary>Keep only the most frequent training categories (ties to the smaller string); the rest go to the unknown slot.</summary>
    public int? MaxCategories { get; init; }

    /// <summary>The fitted categories of column <paramref name="index"/>, in slot order.</summary>
    public IReadOnlyList<string> CategoriesOf(int index) => _categories[index];

    protected override void FitColumn(int index, Column train)
    {
        CategoricalColumn c = Text.AsCategorical(train, Describe(train));
        var counts = new long[c.Categories.Count];
        foreach (int code in c.Values) if (code >= 0) counts[code]++;
        IEnumerable<int> seen = Enumerable.Range(0, counts.Length).Where(k => counts[k] > 0);
        if (MaxCategories is int max)
            seen = seen.OrderByDescending(k => counts[k]).ThenBy(k => c.Categories[k], StringComparer.Ordinal).Take(max);
        _categories[index] = seen.Select(k => c.Categories[k]).Order(StringComparer.Ordinal).ToArray();
    }

    protected override Column TransformColumn(int index, Column column)
    {
        string[] known = _categories[index];
        int width = known.Length + 1, unknown = known.Length;
        var slot = known.Select((s, j) => (s, j)).ToDictionary(p => p.s, p => p.j, StringComparer.Ordinal);
        CategoricalColumn c = Text.AsCategorical(column, Describe(column));
        int[] slotOfCode = c.CategoryArray.Select(s => slot.GetValueOrDefault(s, unknown)).ToArray();
        ReadOnlySpan<int> codes = c.Values;
        var data = new float[codes.Length * width];
        for (int i = 0; i < codes.Length; i++) data[i * width + (codes[i] < 0 ? unknown : slotOfCode[codes[i]])] = 1;
        string[] names = [.. known.Select(s => $"{column.Name}={s}"), $"{column.Name}=<unknown>"];
        return new VectorColumn(column.Name + "_onehot", data, names);
    }
}

/// <summary>
/// Replaces numeric columns by (x − mean) / std with the training mean and population standard
/// deviation (missing values skipped, and kept missing). A constant training column (std 0) is
/// only centred, so it becomes all zeros rather than NaN.
/// </summary>
public sealed class StandardScaler(params string[] columns) : ColumnTransformer(columns)
{
    private readonly double[] _mean = new double[columns.Length];
    private readonly double[] _std = new double[columns.Length];

    public IReadOnlyList<double> Means => _mean;
    public IReadOnlyList<double> Stds => _std;

    protected override void FitColumn(int index, Column train)
    {
        double[] present = Numeric.ToDoubles(train, Describe(train)).Where(v => !double.IsNaN(v)).ToArray();
        if (present.Length == 0) throw new TabularException($"{Describe(train)}: the training column has no values to fit");
        double mean = present.Average();
        double variance = present.Sum(v => (v - mean) * (v - mean)) / present.Length;
        _mean[index] = mean;
        _std[index] = Math.Sqrt(variance);
    }

    protected override Column TransformColumn(int index, Column column)
    {
        double[] values = Numeric.ToDoubles(column, Describe(column));
        double mean = _mean[index], scale = _std[index] > 0 ? _std[index] : 1;
        for (int i = 0; i < values.Length; i++) values[i] = (values[i] - mean) / scale;
        return new DoubleColumn(column.Name, values);
    }
}

/// <summary>
/// Replaces a text label column by Int32 class ids: the distinct training labels in ordinal order
/// are classes 0..K−1 (stable across runs). A label not seen in Fit, or a missing label, is an error.
/// </summary>
public sealed class LabelEncoder(string column) : ColumnTransformer([column])
{
    private string[] _classes = [];
    private Dictionary<string, int> _index = [];

    public IReadOnlyList<string> Classes => _classes;

    public int Encode(string label) => _index.TryGetValue(label, out int id) ? id
        : throw new TabularException($"LabelEncoder on '{Columns[0]}': label '{label}' was not seen in Fit (it knows {_classes.Length}: {Preview()})");

    public string Decode(int classId) => (uint)classId < (uint)_classes.Length ? _classes[classId]
        : throw new TabularException($"LabelEncoder on '{Columns[0]}': class {classId} is outside 0..{_classes.Length - 1}");

    protected override void FitColumn(int index, Column train)
    {
        CategoricalColumn c = Text.AsCategorical(train, Describe(train));
        ThrowIfMissing(c);
        var present = new bool[c.Categories.Count];
        foreach (int code in c.Values) present[code] = true;
        _classes = c.CategoryArray.Where((_, k) => present[k]).Order(StringComparer.Ordinal).ToArray();
        _index = _classes.Select((s, j) => (s, j)).ToDictionary(p => p.s, p => p.j, StringComparer.Ordinal);
    }

    protected override Column TransformColumn(int index, Column column)
    {
        CategoricalColumn c = Text.AsCategorical(column, Describe(column));
        ThrowIfMissing(c);
        int[] idOfCode = new int[c.Categories.Count];
        for (int k = 0; k < idOfCode.Length; k++) idOfCode[k] = _index.GetValueOrDefault(c.Categories[k], -1);
        ReadOnlySpan<int> codes = c.Values;
        var ids = new int[codes.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = idOfCode[codes[i]];
            if (ids[i] < 0)
                throw new TabularException($"LabelEncoder on '{column.Name}': row {i} has label '{c.Categories[codes[i]]}', " +
                                           $"which was not seen in Fit (it knows {_classes.Length}: {Preview()})");
        }
        return new Int32Column(column.Name, ids);
    }

    private void ThrowIfMissing(CategoricalColumn c)
    {
        int row = c.Values.IndexOf(-1);
        if (row >= 0) throw new TabularException($"LabelEncoder on '{c.Name}': row {row} has no label (missing); drop or impute it first");
    }

    private string Preview() => string.Join(", ", _classes.Take(8)) + (_classes.Length > 8 ? ", …" : "");
}
