// FeatureMatrix — the dense float input a model takes: row-major N×D, one name per feature.
// Built from a transformed table: a numeric column gives one feature, a VectorColumn (one-hot,
// bag-of-words, hashing) gives its Width features. Missing values are refused with the column
// and row named, since a model cannot take NaN: impute first.

namespace FusionScratch.Models.Tabular.Transformers;

/// <summary>Row-major float features: Data[row·Cols + j] is feature Names[j] of row.</summary>
public sealed class FeatureMatrix
{
    private FeatureMatrix(float[] data, int rows, string[] names)
    {
        Data = data;
        Rows = rows;
        Names = names;
    }

    public float[] Data { get; }
    public int Rows { get; }
    public int Cols => Names.Count;
    public IReadOnlyList<string> Names { get; }

    public ReadOnlySpan<float> Row(int row) => Data.AsSpan(row * Cols, Cols);

    /// <summary>The named columns of <paramref name="table"/>, side by side, as floats.</summary>
    public static FeatureMatrix From(Table table, params string[] columns)
    {
        Column[] parts = columns.Select(c => table[c]).ToArray();
        var names = new List<string>();
        foreach (Column c in parts)
        {
            if (c is VectorColumn v) names.AddRange(v.FeatureNames);
            else if (Numeric.IsNumeric(c)) names.Add(c.Name);
            else throw new TabularException($"feature matrix: column '{c.Name}' is {c.Type}; encode text first (one-hot, bag-of-words, label encoder)");
        }
        int rows = table.RowCount, cols = names.Count, offset = 0;
        var data = new float[rows * cols];
        foreach (Column c in parts)
        {
            if (c is VectorColumn v)
            {
                for (int i = 0; i < rows; i++) v.Row(i).CopyTo(data.AsSpan(i * cols + offset, v.Width));
                offset += v.Width;
                continue;
            }
            double[] values = Numeric.ToDoubles(c, "feature matrix");
            for (int i = 0; i < rows; i++)
            {
                if (double.IsNaN(values[i])) throw new TabularException($"feature matrix: column '{c.Name}' is missing at row {i}; impute it first");
                data[i * cols + offset] = (float)values[i];
            }
            offset++;
        }
        return new FeatureMatrix(data, rows, names.ToArray());
    }
}
