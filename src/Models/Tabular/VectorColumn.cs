// VectorColumn — a fixed-width float vector per row, stored row-major in one float[] (N×Width).
// What one-hot, bag-of-words and hashed text features produce: one column, many named features,
// without a double[] per feature. FeatureMatrix copies it straight into a model's input.

using System.Globalization;

namespace FusionScratch.Models.Tabular;

/// <summary>Width floats per row, row-major; a missing row is all NaN.</summary>
public sealed class VectorColumn : Column
{
    private readonly float[] _data;
    private readonly string[] _featureNames;

    /// <summary>Wraps <paramref name="data"/> (length rows × featureNames.Length, not copied).</summary>
    public VectorColumn(string name, float[] data, string[] featureNames) : base(name, RowsOf(name, data, featureNames))
    {
        _data = data;
        _featureNames = featureNames;
    }

    public override ColumnType Type => ColumnType.Vector;

    public int Width => _featureNames.Length;

    public IReadOnlyList<string> FeatureNames => _featureNames;

    /// <summary>All values, row-major (Length × Width).</summary>
    public ReadOnlySpan<float> Values => _data;

    public ReadOnlySpan<float> Row(int row)
    {
        if ((uint)row >= (uint)Length) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is outside column '{Name}' of {Length} rows");
        return _data.AsSpan(row * Width, Width);
    }

    public override bool IsMissing(int row) => Width > 0 && float.IsNaN(Row(row)[0]);

    public override Column Take(ReadOnlySpan<int> rows)
    {
        int w = Width;
        var result = new float[rows.Length * w];
        for (int i = 0; i < rows.Length; i++)
        {
            Span<float> dst = result.AsSpan(i * w, w);
            if (rows[i] < 0) dst.Fill(float.NaN);
            else Row(rows[i]).CopyTo(dst);
        }
        return new VectorColumn(Name, result, _featureNames);
    }

    public override Column Rename(string name) => new VectorColumn(name, _data, _featureNames);

    public override string Format(int row)
    {
        ReadOnlySpan<float> r = Row(row);
        var parts = new string[Math.Min(r.Length, 4)];
        for (int i = 0; i < parts.Length; i++) parts[i] = r[i].ToString("G4", CultureInfo.InvariantCulture);
        return "[" + string.Join(" ", parts) + (r.Length > parts.Length ? $" …{r.Length}]" : "]");
    }

    private static int RowsOf(string name, float[] data, string[] featureNames)
    {
        if (featureNames.Length == 0) throw new TabularException($"vector column '{name}' needs at least one feature");
        if (data.Length % featureNames.Length != 0)
            throw new TabularException($"vector column '{name}': {data.Length} values is not a multiple of the width {featureNames.Length}");
        return data.Length / featureNames.Length;
    }
}
