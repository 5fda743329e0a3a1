// Table — a DataFrame-lite: ordered, uniquely named columns of equal length. Immutable: every
// operation returns a new Table that shares the columns it did not change (no copies).
//
//   var t = CsvReader.Read("purchases.csv");
//   ReadOnlySpan<double> amount = t.Column<DoubleColumn>("amount").Values;
//   Console.WriteLine(t.Head(5).Preview());

using System.Text;

namespace FusionScratch.Models.Tabular;

/// <summary>Named columns of equal length.</summary>
public sealed class Table
{
    private readonly Column[] _columns;
    private readonly Dictionary<string, int> _index;

    public Table(params Column[] columns) : this((IEnumerable<Column>)columns) { }

    public Table(IEnumerable<Column> columns)
    {
        _columns = columns.ToArray();
        _index = new Dictionary<string, int>(_columns.Length, StringComparer.Ordinal);
        for (int i = 0; i < _columns.Length; i++)
        {
            Column c = _columns[i];
            if (!_index.TryAdd(c.Name, i)) throw new TabularException($"duplicate column name '{c.Name}'");
            if (c.Length != _columns[0].Length)
                throw new TabularException($"column '{c.Name}' has {c.Length} rows, but '{_columns[0].Name}' has {_columns[0].Length}");
        }
        RowCount = _columns.Length == 0 ? 0 : _columns[0].Length;
    }

    public int RowCount { get; }
    public int ColumnCount => _columns.Length;
    public IReadOnlyList<Column> Columns => _columns;
    public IEnumerable<string> ColumnNames => _columns.Select(c => c.Name);

    public bool Contains(string name) => _index.ContainsKey(name);

    /// <summary>The column called <paramref name="name"/>; a TabularException names the columns there are.</summary>
    public Column this[string name] => _index.TryGetValue(name, out int i) ? _columns[i]
        : throw new TabularException($"unknown column '{name}'; the table has: {string.Join(", ", ColumnNames)}");

    /// <summary>The column called <paramref name="name"/> as <typeparamref name="TColumn"/> (e.g. DoubleColumn); a TabularException on a type mismatch.</summary>
    public TColumn Column<TColumn>(string name) where TColumn : Column
    {
        Column c = this[name];
        return c as TColumn ?? throw new TabularException($"column '{name}' is {c.Type} ({c.GetType().Name}), not {typeof(TColumn).Name}");
    }

    /// <summary>The rows at <paramref name="rows"/>, in that order (−1 gives a missing row).</summary>
    public Table Take(ReadOnlySpan<int> rows)
    {
        var taken = new Column[_columns.Length];
        for (int i = 0; i < taken.Length; i++) taken[i] = _columns[i].Take(rows);
        return new Table(taken);
    }

    /// <summary>The first <paramref name="n"/> rows (fewer if the table is shorter).</summary>
    public Table Head(int n = 5)
    {
        int[] rows = Enumerable.Range(0, Math.Clamp(n, 0, RowCount)).ToArray();
        return Take(rows);
    }

    /// <summary>Only the named columns, in the order given.</summary>
    public Table Select(params string[] names) => new(names.Select(n => this[n]));

    /// <summary>Adds the columns, or replaces (in place) those whose names are already here.</summary>
    public Table With(params Column[] columns)
    {
        var result = _columns.ToList();
        foreach (Column c in columns)
        {
            int at = result.FindIndex(x => x.Name == c.Name);
            if (at >= 0) result[at] = c;
            else result.Add(c);
        }
        return new Table(result);
    }

    /// <summary>All columns but the named ones (each must exist).</summary>
    public Table Without(params string[] names)
    {
        foreach (string n in names) _ = this[n];
        return new Table(_columns.Where(c => !names.Contains(c.Name)));
    }

    /// <summary>Groups the rows by the column <paramref name="key"/>; then <see cref="Grouping.Aggregate"/>.</summary>
    public Grouping GroupBy(string key) => Grouping.By(this, key);

    /// <summary>A fixed-width text preview of the first <paramref name="rows"/> rows, with a type line, for reports.</summary>
    public string Preview(int rows = 10, int maxWidth = 24)
    {
        int n = Math.Min(rows, RowCount);
        var cells = new string[n + 2][];
        cells[0] = _columns.Select(c => c.Name).ToArray();
        cells[1] = _columns.Select(c => c.Type.ToString().ToLowerInvariant()).ToArray();
        for (int r = 0; r < n; r++) cells[r + 2] = _columns.Select(c => c.IsMissing(r) ? "NA" : c.Format(r)).ToArray();
        var widths = new int[_columns.Length];
        foreach (string[] line in cells)
            for (int j = 0; j < line.Length; j++)
            {
                line[j] = Clip(line[j].ReplaceLineEndings(" "), maxWidth);
                widths[j] = Math.Max(widths[j], line[j].Length);
            }
        var sb = new StringBuilder();
        sb.Append($"{RowCount} rows × {ColumnCount} columns\n");
        foreach (string[] line in cells)
        {
            for (int j = 0; j < line.Length; j++) sb.Append(j == 0 ? "" : " | ").Append(line[j].PadRight(widths[j]));
            sb.Append('\n');
        }
        if (RowCount > n) sb.Append($"… {RowCount - n} more rows\n");
        return sb.ToString();
    }

    public override string ToString() => Preview();

    private static string Clip(string s, int width) => s.Length <= width ? s : s[..Math.Max(1, width - 1)] + "…";
}
