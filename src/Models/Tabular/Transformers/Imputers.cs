// Imputers: fill missing values with a statistic of the training split (median, mean) or with a
// constant ("Unknown" for text). Numeric imputers output a DoubleColumn.

namespace FusionScratch.Models.Tabular.Transformers;

/// <summary>Fills missing numeric values with one statistic per column, learned from the non-missing training values.</summary>
public abstract class NumericImputer(string[] columns) : ColumnTransformer(columns)
{
    private readonly double[] _fill = new double[columns.Length];

    /// <summary>The fitted fill value of each column, in <see cref="ColumnTransformer.Columns"/> order.</summary>
    public IReadOnlyList<double> FillValues => _fill;

    /// <summary>The statistic of the non-missing training values (never empty).</summary>
    protected abstract double Statistic(double[] present);

    protected override void FitColumn(int index, Column train)
    {
        double[] present = Numeric.ToDoubles(train, Describe(train)).Where(v => !double.IsNaN(v)).ToArray();
        if (present.Length == 0) throw new TabularException($"{Describe(train)}: the training column has no values to fit");
        _fill[index] = Statistic(present);
    }

    protected override Column TransformColumn(int index, Column column)
    {
        double[] values = Numeric.ToDoubles(column, Describe(column));
        for (int i = 0; i < values.Length; i++) if (double.IsNaN(values[i])) values[i] = _fill[index];
        return new DoubleColumn(column.Name, values);
    }
}

/// <summary>Missing → the training median (the mean of the two middle values for an even count).</summary>
public sealed class MedianImputer(params string[] columns) : NumericImputer(columns)
{
    protected override double Statistic(double[] present)
    {
        Array.Sort(present);
        int n = present.Length;
        return n % 2 == 1 ? present[n / 2] : 0.5 * (present[n / 2 - 1] + present[n / 2]);
    }
}

/// <summary>Missing → the training mean.</summary>
public sealed class MeanImputer(params string[] columns) : NumericImputer(columns)
{
    protected override double Statistic(double[] present) => present.Average();
}

/// <summary>Missing text → <see cref="Value"/> (default "Unknown"); String and Category columns keep their type.</summary>
public sealed class ConstantImputer(params string[] columns) : ColumnTransformer(columns)
{
    public string Value { get; init; } = "Unknown";

    protected override void FitColumn(int index, Column train) => TransformColumn(index, train.Take([]));

    protected override Column TransformColumn(int index, Column column)
    {
        switch (column)
        {
            case StringColumn s:
                var values = s.Values.ToArray();
                for (int i = 0; i < values.Length; i++) values[i] ??= Value;
                return new StringColumn(s.Name, values);
            case CategoricalColumn c:
                int code = Array.IndexOf(c.CategoryArray, Value);
                string[] categories = code >= 0 ? c.CategoryArray : [.. c.CategoryArray, Value];
                if (code < 0) code = categories.Length - 1;
                int[] codes = c.Values.ToArray();
                for (int i = 0; i < codes.Length; i++) if (codes[i] < 0) codes[i] = code;
                return new CategoricalColumn(c.Name, codes, categories, codes.Length);
            default:
                throw new TabularException($"{Describe(column)}: the column is {column.Type}; a constant text fill needs String or Category");
        }
    }
}
