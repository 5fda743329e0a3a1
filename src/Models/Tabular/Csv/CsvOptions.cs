// Options for CsvReader. The defaults read RFC 4180 files with a header and infer every type.

namespace FusionScratch.Models.Tabular.Csv;

/// <summary>How to read a CSV source.</summary>
public sealed record CsvOptions
{
    /// <summary>Field separator, an ASCII character other than a quote or a line end.</summary>
    public char Separator { get; init; } = ',';

    /// <summary>False: the first line is data and the columns are called column0, column1, …</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>Types for the columns named here (Int32, Int64, Double, String or Category); the others are inferred.</summary>
    public IReadOnlyDictionary<string, ColumnType>? Schema { get; init; }

    /// <summary>An inferred text column stays Category while its distinct values are at most this fraction of its non-missing values, else it becomes String.</summary>
    public double CategoryMaxFraction { get; init; } = 0.5;

    /// <summary>
    /// When set, a record with the wrong number of fields is skipped and handed here as the
    /// exception it would have thrown (line and message), instead of ending the read: for real
    /// files known to hold a few bad lines, such as Kaggle's styles.csv. Null (default): throw.
    /// </summary>
    public Action<TabularException>? OnRaggedRow { get; init; }

    /// <summary>Size of the read buffer in bytes (it grows if one record is larger).</summary>
    public int BufferSize { get; init; } = 1 << 20;
}
