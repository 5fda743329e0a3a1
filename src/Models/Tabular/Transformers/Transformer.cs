// Transformers: preprocessing fitted on a training split and applied to any split.
//
//   Fit(train)      learns statistics (medians, categories, vocabulary) from `train` only
//   Transform(t)    applies them to any table; never looks at t's statistics, so nothing leaks
//                   from a test split into the features
//
// Each transformer names its input columns. Cleaning ones (imputers, text cleaner, scaler, label
// encoder) replace their columns in place; ones that derive new features (word count, one-hot,
// bag-of-words, hashing) add a column named "<input>_<suffix>". A Pipeline chains them:
// Fit(train) fits each stage on train as transformed by the stages before it.

namespace FusionScratch.Models.Tabular.Transformers;

/// <summary>Fitted on a training table, then applied to any table with the same columns.</summary>
public interface ITransformer
{
    void Fit(Table train);

    Table Transform(Table table);
}

public static class TransformerExtensions
{
    /// <summary>Fit on <paramref name="train"/>, then transform it.</summary>
    public static Table FitTransform(this ITransformer transformer, Table train)
    {
        transformer.Fit(train);
        return transformer.Transform(train);
    }
}

/// <summary>Stages applied in order; each stage is fitted on the output of the stages before it.</summary>
public sealed class Pipeline(params ITransformer[] stages) : ITransformer
{
    public IReadOnlyList<ITransformer> Stages { get; } = stages;

    public void Fit(Table train)
    {
        foreach (ITransformer stage in Stages) train = stage.FitTransform(train);
    }

    public Table Transform(Table table)
    {
        foreach (ITransformer stage in Stages) table = stage.Transform(table);
        return table;
    }
}

/// <summary>
/// A transformer that treats each of its columns on its own: per-column state from FitColumn,
/// one output column per input column from TransformColumn.
/// </summary>
public abstract class ColumnTransformer : ITransformer
{
    private bool _fitted;

    protected ColumnTransformer(string[] columns)
    {
        if (columns.Length == 0) throw new TabularException($"{GetType().Name}: name at least one column");
        Columns = columns;
    }

    public IReadOnlyList<string> Columns { get; }

    public bool IsFitted => _fitted;

    public void Fit(Table train)
    {
        for (int i = 0; i < Columns.Count; i++) FitColumn(i, train[Columns[i]]);
        _fitted = true;
    }

    public Table Transform(Table table)
    {
        if (!_fitted) throw new TabularException($"{GetType().Name} on {string.Join(", ", Columns)}: call Fit before Transform");
        var output = new Column[Columns.Count];
        for (int i = 0; i < output.Length; i++) output[i] = TransformColumn(i, table[Columns[i]]);
        return table.With(output);
    }

    /// <summary>Learns the state for input column <paramref name="index"/> (stateless transformers only check the type).</summary>
    protected abstract void FitColumn(int index, Column train);

    /// <summary>The output column for input column <paramref name="index"/> (same name to replace it, a new name to add one).</summary>
    protected abstract Column TransformColumn(int index, Column column);

    protected string Describe(Column c) => $"{GetType().Name} on '{c.Name}'";
}
