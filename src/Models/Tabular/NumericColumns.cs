// Numeric columns: DoubleColumn (missing = NaN) and the integer columns Int64Column / Int32Column
// (missing = a false entry in an optional validity array; null means every row is valid, which
// is the common case for keys and costs nothing).

using System.Globalization;
using System.Numerics;

namespace FusionScratch.Models.Tabular;

/// <summary>Doubles; a missing value is NaN.</summary>
public sealed class DoubleColumn : Column<double>
{
    /// <summary>Wraps <paramref name="values"/> (not copied).</summary>
    public DoubleColumn(string name, double[] values) : this(name, values, values.Length) { }

    internal DoubleColumn(string name, double[] values, int length) : base(name, values, length) { }

    public override ColumnType Type => ColumnType.Double;

    public override bool IsMissing(int row) => double.IsNaN(this[row]);

    public override Column Take(ReadOnlySpan<int> rows) => new DoubleColumn(Name, Gather(Data, Length, rows, double.NaN));

    public override Column Rename(string name) => new DoubleColumn(name, Data, Length);

    public override string Format(int row)
    {
        double v = this[row];
        return double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
    }
}

/// <summary>Integers of type <typeparamref name="T"/> with an optional validity array.</summary>
public abstract class IntegerColumn<T> : Column<T> where T : unmanaged, IBinaryInteger<T>
{
    private readonly bool[]? _valid;

    private protected IntegerColumn(string name, T[] values, bool[]? valid, int length) : base(name, values, length)
    {
        if (valid is not null && valid.Length < length)
            throw new TabularException($"column '{name}': validity has {valid.Length} entries for {length} values");
        _valid = valid;
    }

    /// <summary>False where a value is missing; all true when the column has no validity array.</summary>
    public bool IsValid(int row)
    {
        if ((uint)row >= (uint)Length) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is outside column '{Name}' of {Length} rows");
        return _valid is null || _valid[row];
    }

    /// <summary>The validity array, or null when every row is valid (then Values alone is the data).</summary>
    public ReadOnlySpan<bool> Validity => _valid is null ? default : _valid.AsSpan(0, Length);

    /// <summary>True when some rows may be missing (a validity array is present).</summary>
    public bool HasValidity => _valid is not null;

    public override bool IsMissing(int row) => !IsValid(row);

    public override Column Take(ReadOnlySpan<int> rows)
    {
        T[] values = Gather(Data, Length, rows, T.Zero);
        bool[]? valid = null;
        if (_valid is not null) valid = Gather(_valid, Length, rows, false);
        else if (rows.Contains(-1))
        {
            valid = new bool[rows.Length];
            for (int i = 0; i < rows.Length; i++) valid[i] = rows[i] >= 0;
        }
        return Create(Name, values, valid, values.Length);
    }

    public override Column Rename(string name) => Create(name, Data, _valid, Length);

    public override string Format(int row) => IsValid(row) ? this[row].ToString(null, CultureInfo.InvariantCulture) : "";

    /// <summary>A column of the same concrete type.</summary>
    internal abstract IntegerColumn<T> Create(string name, T[] values, bool[]? valid, int length);
}

/// <summary>64-bit integers (ids, keys, counts).</summary>
public sealed class Int64Column : IntegerColumn<long>
{
    /// <summary>Wraps <paramref name="values"/> (not copied); <paramref name="valid"/> null means no missing values.</summary>
    public Int64Column(string name, long[] values, bool[]? valid = null) : this(name, values, valid, values.Length) { }

    internal Int64Column(string name, long[] values, bool[]? valid, int length) : base(name, values, valid, length) { }

    public override ColumnType Type => ColumnType.Int64;

    internal override IntegerColumn<long> Create(string name, long[] values, bool[]? valid, int length) => new Int64Column(name, values, valid, length);
}

/// <summary>32-bit integers (codes, labels, word counts).</summary>
public sealed class Int32Column : IntegerColumn<int>
{
    /// <summary>Wraps <paramref name="values"/> (not copied); <paramref name="valid"/> null means no missing values.</summary>
    public Int32Column(string name, int[] values, bool[]? valid = null) : this(name, values, valid, values.Length) { }

    internal Int32Column(string name, int[] values, bool[]? valid, int length) : base(name, values, valid, length) { }

    public override ColumnType Type => ColumnType.Int32;

    internal override IntegerColumn<int> Create(string name, int[] values, bool[]? valid, int length) => new Int32Column(name, values, valid, length);
}

/// <summary>Reads any numeric column as doubles (NaN = missing), for statistics and feature matrices.</summary>
public static class Numeric
{
    public static bool IsNumeric(Column c) => c is DoubleColumn or Int64Column or Int32Column;

    /// <summary>A fresh double array of the column's values, NaN where missing.</summary>
    public static double[] ToDoubles(Column c, string user) => c switch
    {
        DoubleColumn d => d.Values.ToArray(),
        Int64Column l => FromIntegers(l),
        Int32Column i => FromIntegers(i),
        _ => throw new TabularException($"{user}: column '{c.Name}' is {c.Type}, expected a numeric column (Double, Int64 or Int32)"),
    };

    private static double[] FromIntegers<T>(IntegerColumn<T> c) where T : unmanaged, IBinaryInteger<T>
    {
        var result = new double[c.Length];
        ReadOnlySpan<T> v = c.Values;
        ReadOnlySpan<bool> valid = c.Validity;
        for (int i = 0; i < result.Length; i++)
            result[i] = valid.IsEmpty || valid[i] ? double.CreateTruncating(v[i]) : double.NaN;
        return result;
    }
}
