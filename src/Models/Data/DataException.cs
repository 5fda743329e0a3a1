// DataException — the one error type of the data layer. Its message is a single line written for
// the person at the terminal (what went wrong, and what to do), so the runner prints it as is,
// without a stack trace.

namespace FusionScratch.Models.Data;

/// <summary>A dataset could not be fetched, verified, read or cached. The message is one line, fit to print.</summary>
public sealed class DataException : Exception
{
    public DataException(string message) : base(message) { }

    public DataException(string message, Exception inner) : base(message, inner) { }
}
