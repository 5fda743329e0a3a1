// A small builder for report.md: headings, paragraphs, bullet lists, pipe tables and image links.
// Experiments describe their report through it; the runner adds the common header (command, seed,
// threads, the data section) and writes the file atomically. One table can be marked the
// headline: `run all` copies it into the index report.

using System.Globalization;
using System.Text;

namespace FusionScratch.Runner.Reports;

/// <summary>A Markdown pipe table.</summary>
public sealed class MarkdownTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];
    public IReadOnlyList<string> Headers { get; } = headers;
    public IReadOnlyList<string[]> Rows => _rows;

    public MarkdownTable Add(params object?[] cells)
    {
        if (cells.Length != Headers.Count)
            throw new ArgumentException($"table row has {cells.Length} cells, the header {Headers.Count}");
        _rows.Add(cells.Select(Format).ToArray());
        return this;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", Headers.Select(Escape)).AppendLine(" |");
        sb.Append('|').AppendJoin("", Headers.Select(_ => "---|")).AppendLine();
        foreach (var row in _rows) sb.Append("| ").AppendJoin(" | ", row.Select(Escape)).AppendLine(" |");
        return sb.ToString();
    }

    /// <summary>Numbers get a fixed, culture-independent format (4 significant decimals for fractions).</summary>
    public static string Format(object? cell) => cell switch
    {
        null => "–",
        double d when double.IsNaN(d) => "–",
        double d => d.ToString(Math.Abs(d) < 10 ? "0.0000" : "0.0", CultureInfo.InvariantCulture),
        float f => Format((double)f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => cell.ToString() ?? "",
    };

    private static string Escape(string s) => s.Replace("|", "\\|").Replace("\n", " ");
}

/// <summary>Builds the body of a report.md.</summary>
public sealed class MarkdownReport
{
    private readonly StringBuilder _sb = new();

    /// <summary>The table `run all` shows in the index for this experiment.</summary>
    public MarkdownTable? Headline { get; set; }

    /// <summary>One sentence `run all` shows under the headline table (the study's finding).</summary>
    public string? Summary { get; set; }

    public MarkdownReport Heading(string text, int level = 2)
    {
        _sb.AppendLine().Append('#', level).Append(' ').AppendLine(text).AppendLine();
        return this;
    }

    public MarkdownReport Paragraph(string text)
    {
        _sb.AppendLine(text).AppendLine();
        return this;
    }

    public MarkdownReport Bullets(IEnumerable<string> items)
    {
        foreach (var item in items) _sb.Append("- ").AppendLine(item);
        _sb.AppendLine();
        return this;
    }

    public MarkdownReport Table(MarkdownTable table, bool headline = false)
    {
        _sb.Append(table).AppendLine();
        if (headline) Headline = table;
        return this;
    }

    public MarkdownReport Image(string relativePath, string alt)
    {
        _sb.Append("![").Append(alt).Append("](").Append(relativePath).AppendLine(")").AppendLine();
        return this;
    }

    public MarkdownReport Code(string text, string language = "")
    {
        _sb.Append("```").AppendLine(language).AppendLine(text.TrimEnd()).AppendLine("```").AppendLine();
        return this;
    }

    public override string ToString() => _sb.ToString();
}
