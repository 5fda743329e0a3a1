// The one exception the tabular toolkit throws for bad data or bad use: an unknown column, a type
// or length mismatch, a malformed CSV line (with its line number), an unknown label. The message
// alone should tell the reader what to fix, e.g. "purchases.csv line 1234: expected 4 fields, got 5".

namespace FusionScratch.Models.Tabular;

/// <summary>Bad tabular data or a bad request on a table; the message says where and why.</summary>
public sealed class TabularException : Exception
{
    public TabularException(string message) : base(message) { }

    public TabularException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The 1-based line of the CSV source the problem is on, when it came from a CSV file.</summary>
    public long? Line { get; init; }
}
