// Column builders: where the CSV reader puts each parsed field. One builder per column, typed,
// appending into a primitive array that grows by doubling (or to the size the reader estimates
// from the file length). Build() hands the array over to a Column without a trimming copy and
// starts a fresh one, so the same builders serve the next chunk of a chunked read.
//
// Missing values: an unquoted empty field is missing in every type; a quoted empty field ("")
// is the empty string in a text column and missing in a numeric one.
//
// Type inference (InferBuilder): the first non-empty value decides int / double / text; an int
// column widens to double in place when a decimal shows up (exact: both parse the same digits);
// a number column that meets text answers WidenToText, and the reader reads the file again with
// that column as text. Inferred text starts dictionary-encoded; it stays Category when at most
// CategoryMaxFraction of its values are distinct, else it becomes a StringColumn (the decoded
// strings are interned, so repeated values still share one string).

using System.Text;

namespace FusionScratch.Models.Tabular.Csv;

internal enum AppendResult { Ok, BadValue, WidenToText }

internal abstract class ColumnBuilder
{
    protected int Count;

    /// <summary>The type the column will have (for error messages).</summary>
    public abstract ColumnType Type { get; }

    public abstract AppendResult Append(ReadOnlySpan<byte> field, bool quoted);

    /// <summary>Makes room for <paramref name="rows"/> values in all, to avoid regrowth.</summary>
    public abstract void Reserve(int rows);

    /// <summary>The column of the values appended since the last Build; the builder starts empty again.</summary>
    public abstract Column Build(string name);

    /// <summary>After the first chunk: no more changes of type (chunks of one read share a schema).</summary>
    public virtual void Freeze() { }

    protected static void Grow<T>(ref T[] data, int needed)
    {
        if (needed <= data.Length) return;
        Array.Resize(ref data, Math.Max(needed, Math.Max(16, (int)Math.Min(Array.MaxLength, 2L * data.Length))));
    }
}

internal sealed class Int64Builder : ColumnBuilder
{
    private long[] _values = [];
    private bool[]? _valid;

    public override ColumnType Type => ColumnType.Int64;

    public override AppendResult Append(ReadOnlySpan<byte> field, bool quoted)
    {
        if (field.IsEmpty) { AppendMissing(1); return AppendResult.Ok; }
        if (!Utf8Number.TryParseInt64(field, out long v)) return AppendResult.BadValue;
        Grow(ref _values, Count + 1);
        if (_valid is not null)
        {
            Grow(ref _valid, _values.Length);
            _valid[Count] = true;
        }
        _values[Count++] = v;
        return AppendResult.Ok;
    }

    /// <summary>Appends n missing values (the validity array is made on the first one).</summary>
    public void AppendMissing(int n)
    {
        for (int i = 0; i < n; i++)
        {
            Grow(ref _values, Count + 1);
            if (_valid is null)
            {
                _valid = new bool[_values.Length];
                _valid.AsSpan(0, Count).Fill(true);
            }
            Grow(ref _valid, _values.Length);
            _valid[Count] = false;
            _values[Count++] = 0;
        }
    }

    public override void Reserve(int rows)
    {
        Grow(ref _values, rows);
        if (_valid is not null) Grow(ref _valid, rows);
    }

    /// <summary>The values so far as doubles (NaN where missing), to continue as a DoubleBuilder.</summary>
    public DoubleBuilder ToDoubles()
    {
        var d = new DoubleBuilder();
        d.Reserve(_values.Length);
        for (int i = 0; i < Count; i++) d.Add(_valid is null || _valid[i] ? _values[i] : double.NaN);
        return d;
    }

    public override Column Build(string name)
    {
        var c = new Int64Column(name, _values, _valid, Count);
        _values = [];
        _valid = null;
        Count = 0;
        return c;
    }
}

internal sealed class Int32Builder : ColumnBuilder
{
    private readonly Int64Builder _wide = new();

    public override ColumnType Type => ColumnType.Int32;

    public override AppendResult Append(ReadOnlySpan<byte> field, bool quoted)
    {
        if (!field.IsEmpty && (!Utf8Number.TryParseInt64(field, out long v) || v != (int)v)) return AppendResult.BadValue;
        return _wide.Append(field, quoted);
    }

    public override void Reserve(int rows) => _wide.Reserve(rows);

    public override Column Build(string name)
    {
        var wide = (Int64Column)_wide.Build(name);
        var values = new int[wide.Length];
        ReadOnlySpan<long> w = wide.Values;
        for (int i = 0; i < values.Length; i++) values[i] = (int)w[i];
        return new Int32Column(name, values, wide.HasValidity ? wide.Validity.ToArray() : null);
    }
}

/// <summary>A builder whose values are one array of T; Build hands the array to <see cref="Make"/>.</summary>
internal abstract class ArrayBuilder<T> : ColumnBuilder
{
    private T[] _values = [];

    public void Add(T value)
    {
        Grow(ref _values, Count + 1);
        _values[Count++] = value;
    }

    public void AddRange(ReadOnlySpan<T> values)
    {
        Grow(ref _values, Count + values.Length);
        values.CopyTo(_values.AsSpan(Count));
        Count += values.Length;
    }

    public override void Reserve(int rows) => Grow(ref _values, rows);

    public override Column Build(string name)
    {
        Column c = Make(name, _values, Count);
        _values = [];
        Count = 0;
        return c;
    }

    /// <summary>The column over the first <paramref name="count"/> values (the array is handed over, not copied).</summary>
    protected abstract Column Make(string name, T[] values, int count);
}

internal sealed class DoubleBuilder : ArrayBuilder<double>
{
    public override ColumnType Type => ColumnType.Double;

    public override AppendResult Append(ReadOnlySpan<byte> field, bool quoted)
    {
        double v = double.NaN;
        if (!field.IsEmpty && !Utf8Number.TryParseDouble(field, out v)) return AppendResult.BadValue;
        Add(v);
        return AppendResult.Ok;
    }

    protected override Column Make(string name, double[] values, int count) => new DoubleColumn(name, values, count);
}

/// <summary>Text, one string a row (no dictionary): for a schema that says String.</summary>
internal sealed class TextBuilder : ArrayBuilder<string?>
{
    public override ColumnType Type => ColumnType.String;

    public override AppendResult Append(ReadOnlySpan<byte> field, bool quoted)
    {
        Add(field.IsEmpty && !quoted ? null : Encoding.UTF8.GetString(field));
        return AppendResult.Ok;
    }

    protected override Column Make(string name, string?[] values, int count) => new StringColumn(name, values, count);
}

/// <summary>
/// Dictionary-encoded text. With <c>mayBecomeString</c> (inferred text) it gives up the
/// dictionary once it is large and mostly unique, and builds a StringColumn instead.
/// The dictionary outlives Build, so codes stay the same across the chunks of one read.
/// </summary>
internal sealed class CategoryBuilder : ColumnBuilder
{
    private const int MinDistinctToGiveUp = 1 << 16;

    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly double _maxFraction;
    private readonly List<string> _categories = [];
    private int[] _codes = [];
    private int _nonMissing;
    private bool _frozen;
    private bool _mayBecomeString;
    private TextBuilder? _strings;                       // set once the dictionary is given up
    private char[] _chars = new char[256];

    public CategoryBuilder(bool mayBecomeString, double maxFraction)
    {
        _mayBecomeString = mayBecomeString;
        _maxFraction = maxFraction;
        _lookup = _index.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public override ColumnType Type => _strings is null ? ColumnType.Category : ColumnType.String;

    public override AppendResult Append(ReadOnlySpan<byte> field, bool quoted)
    {
        if (_strings is not null) return _strings.Append(field, quoted);
        Grow(ref _codes, Count + 1);
        if (field.IsEmpty && !quoted) { _codes[Count++] = -1; return AppendResult.Ok; }
        _nonMissing++;
        if (_chars.Length < field.Length) _chars = new char[Math.Max(field.Length, 2 * _chars.Length)];
        int nChars = Encoding.UTF8.GetChars(field, _chars);
        ReadOnlySpan<char> text = _chars.AsSpan(0, nChars);
        if (!_lookup.TryGetValue(text, out int code))
        {
            code = _categories.Count;
            string s = new(text);
            _index.Add(s, code);
            _categories.Add(s);
            if (_mayBecomeString && !_frozen && _categories.Count > MinDistinctToGiveUp && _categories.Count > _maxFraction * _nonMissing)
            {
                _codes[Count++] = code;
                GiveUpDictionary();
                return AppendResult.Ok;
            }
        }
        _codes[Count++] = code;
        return AppendResult.Ok;
    }

    public override void Reserve(int rows)
    {
        if (_strings is not null) _strings.Reserve(rows);
        else Grow(ref _codes, rows);
    }

    public override void Freeze()
    {
        _frozen = true;
        _mayBecomeString = false;
    }

    public override Column Build(string name)
    {
        if (_strings is null && _mayBecomeString && _categories.Count > _maxFraction * _nonMissing && _nonMissing > 0)
            GiveUpDictionary();
        if (_strings is not null) return _strings.Build(name);
        var c = new CategoricalColumn(name, _codes, _categories.ToArray(), Count);
        _codes = [];
        Count = 0;
        _nonMissing = 0;
        return c;
    }

    private void GiveUpDictionary()
    {
        _strings = new TextBuilder();
        _strings.Reserve(_codes.Length);
        var values = new string?[Count];
        for (int i = 0; i < Count; i++) values[i] = _codes[i] < 0 ? null : _categories[_codes[i]];
        _strings.AddRange(values);
        _codes = [];
        _index.Clear();
        _categories.Clear();
    }
}

/// <summary>Infers int → double → text from the values themselves (see the file header).</summary>
internal sealed class InferBuilder(double maxFraction) : ColumnBuilder
{
    private int _leadingMissing;
    private ColumnBuilder? _inner;
    private bool _frozen;

    public override ColumnType Type => _inner?.Type ?? ColumnType.Double;

    public override AppendResult Append(ReadOnlySpan<byte> field, bool quoted)
    {
        if (_inner is null)
        {
            if (field.IsEmpty) { _leadingMissing++; return AppendResult.Ok; }
            ColumnBuilder first;
            if (_frozen) first = new DoubleBuilder();            // the first chunk was all missing: Double
            else if (Utf8Number.TryParseInt64(field, out _)) first = new Int64Builder();
            else if (Utf8Number.TryParseDouble(field, out _)) first = new DoubleBuilder();
            else first = new CategoryBuilder(mayBecomeString: true, maxFraction);
            AppendLeadingMissing(first);
            _inner = first;
        }
        AppendResult r = _inner.Append(field, quoted);
        if (r != AppendResult.BadValue || _frozen) return r;
        if (_inner is Int64Builder ints && Utf8Number.TryParseDouble(field, out _))
        {
            _inner = ints.ToDoubles();
            return _inner.Append(field, quoted);
        }
        return _inner is CategoryBuilder ? r : AppendResult.WidenToText;
    }

    private void AppendLeadingMissing(ColumnBuilder b)
    {
        if (b is Int64Builder ints) ints.AppendMissing(_leadingMissing);
        else for (int i = 0; i < _leadingMissing; i++) b.Append(default, quoted: false);
        _leadingMissing = 0;
    }

    public override void Reserve(int rows) => _inner?.Reserve(rows);

    public override void Freeze()
    {
        _frozen = true;
        _inner?.Freeze();
    }

    public override Column Build(string name)
    {
        if (_inner is not null) return _inner.Build(name);
        var all = new double[_leadingMissing];
        all.AsSpan().Fill(double.NaN);
        _leadingMissing = 0;
        return new DoubleColumn(name, all);
    }
}
