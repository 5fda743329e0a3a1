// ProductFolder — reads (and, for tests and exports, writes) a product folder in the layout of
// Kaggle's "Fashion Product Images": `styles.csv` (id, gender, masterCategory, subCategory,
// articleType, baseColour, season, year, usage, productDisplayName, …) and `images/<id>.jpg`.
//
// Reading is forgiving by design — a real catalog has broken rows and images — and honest about
// it: nothing bad is fatal, everything bad is reported with its id (or line) and counted.
//   rows    a record with the wrong number of fields (the real styles.csv has unquoted commas in
//           some display names), an id that is not a positive integer, a repeated id, or a
//           missing target → skipped, listed in BadRows
//   images  images/<id>.jpg missing → MissingImages; present but not decodable → UnreadableImages;
//           the product is dropped in both cases
//   decode  StbImageSharp decodes JPEG/PNG/BMP/GIF; the pixels are converted to grayscale
//           (luma 0.299 R + 0.587 G + 0.114 B) and resized to Height × Width by area averaging
//           (each output pixel is the mean of the source pixels its footprint covers; bilinear
//           weights when enlarging), our code, not the library's
//
// Dimension letters: H×W the output size, h×w the decoded size.

using System.Globalization;
using System.Text;
using FusionScratch.Models.Tabular;
using FusionScratch.Models.Tabular.Csv;
using StbImageSharp;
using StbImageWriteSharp;

namespace FusionScratch.Models.Data;

/// <summary>A product that could not be used, and why.</summary>
public sealed record ProductProblem(string Id, long Line, string Reason)
{
    public override string ToString() => Line > 0 ? $"line {Line} (id {Id}): {Reason}" : $"id {Id}: {Reason}";
}

/// <summary>What a product folder held: the usable products, their grayscale images and labels, and the problems.</summary>
public sealed record ProductFolderData(
    Table Styles, byte[] Pixels, int Height, int Width, int[] Labels, string[] ClassNames,
    IReadOnlyList<ProductProblem> BadRows, IReadOnlyList<ProductProblem> MissingImages, IReadOnlyList<ProductProblem> UnreadableImages)
{
    public int Count => Labels.Length;
    public int RowsRead { get; init; }
}

public static class ProductFolder
{
    /// <summary>
    /// Loads <paramref name="folder"/>/styles.csv and its images; <paramref name="target"/> names the
    /// class column (its distinct values, in ordinal order, become the classes).
    /// </summary>
    public static ProductFolderData Load(string folder, string target = "articleType", int height = 28, int width = 28)
    {
        string stylesPath = Path.Combine(folder, "styles.csv");
        if (!File.Exists(stylesPath)) throw new DataException($"product folder: {stylesPath} not found");
        var badRows = new List<ProductProblem>();

        // 1. records with the header's field count (quote-aware), the others reported
        string text = File.ReadAllText(stylesPath);
        var records = SplitRecords(text);
        if (records.Count == 0) throw new DataException($"product folder: {stylesPath} is empty");
        int fields = CountFields(records[0].Text);
        var good = new StringBuilder(records[0].Text).Append('\n');
        var goodLines = new List<long>();
        for (int r = 1; r < records.Count; r++)
        {
            var (line, record) = records[r];
            int n = CountFields(record);
            if (n != fields) { badRows.Add(new(FirstField(record), line, $"{n} fields, expected {fields}")); continue; }
            good.Append(record).Append('\n');
            goodLines.Add(line);
        }
        // id and year are read as text and parsed here, so a bad value is a reported row, not a failed file
        var header = records[0].Text.Split(',').Select(h => h.Trim().Trim('"')).ToHashSet(StringComparer.Ordinal);
        var schema = new[] { "id", "year" }.Where(header.Contains).ToDictionary(c => c, _ => ColumnType.String);
        var table = CsvReader.Parse(good.ToString(), new CsvOptions { Schema = schema }, stylesPath);
        foreach (string needed in new[] { "id", target })
            if (!table.Contains(needed)) throw new DataException($"product folder: {stylesPath} has no '{needed}' column");

        // 2. ids, target; duplicates
        var idText = TextOf(table["id"]);
        var targetText = TextOf(table[target]);
        var seen = new HashSet<int>();
        var keepRows = new List<int>();
        var ids = new List<int>();
        for (int r = 0; r < table.RowCount; r++)
        {
            string raw = idText[r] ?? "";
            if (!int.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id <= 0)
                badRows.Add(new(raw, goodLines[r], "id is not a positive integer"));
            else if (!seen.Add(id)) badRows.Add(new(raw, goodLines[r], "repeated id"));
            else if (string.IsNullOrWhiteSpace(targetText[r])) badRows.Add(new(raw, goodLines[r], $"missing {target}"));
            else { keepRows.Add(r); ids.Add(id); }
        }

        // 3. images
        var missing = new List<ProductProblem>();
        var unreadable = new List<ProductProblem>();
        var pixels = new List<byte>();
        var usable = new List<int>();
        var buffer = new byte[height * width];
        for (int k = 0; k < keepRows.Count; k++)
        {
            string path = Path.Combine(folder, "images", ids[k].ToString(CultureInfo.InvariantCulture) + ".jpg");
            if (!File.Exists(path)) { missing.Add(new(ids[k].ToString(CultureInfo.InvariantCulture), 0, $"images/{ids[k]}.jpg not found")); continue; }
            try
            {
                var image = ImageResult.FromMemory(File.ReadAllBytes(path), StbImageSharp.ColorComponents.Grey);
                Resize(image.Data, image.Height, image.Width, buffer, height, width);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                unreadable.Add(new(ids[k].ToString(CultureInfo.InvariantCulture), 0, $"images/{ids[k]}.jpg cannot be decoded ({e.Message})"));
                continue;
            }
            pixels.AddRange(buffer);
            usable.Add(k);
        }

        // 4. the usable products: styles with a numeric id and year, labels from the target's values
        int[] rows = usable.Select(k => keepRows[k]).ToArray();
        var styles = table.Take(rows);
        var yearCol = styles.Contains("year") ? YearColumn(TextOf(styles["year"])) : null;
        var columns = styles.Columns.Select(c => c.Name switch
        {
            "id" => new Int32Column("id", usable.Select(k => ids[k]).ToArray()),
            "year" => yearCol!,
            _ => c,
        });
        styles = new Table(columns);
        string[] targets = rows.Select(r => targetText[r]!.Trim()).ToArray();
        string[] classes = targets.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var classOf = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        return new ProductFolderData(styles, [.. pixels], height, width, targets.Select(t => classOf[t]).ToArray(), classes,
            badRows, missing, unreadable) { RowsRead = records.Count - 1 };
    }

    /// <summary>
    /// Writes styles.csv (the table as is) and images/&lt;id&gt;.jpg for each row: the grayscale
    /// H×W image of that row, JPEG at <paramref name="quality"/>. Used by tests and exports.
    /// </summary>
    public static void Write(string folder, Table styles, Func<int, ReadOnlySpan<byte>> imageOfRow, int height, int width, int quality = 95)
    {
        Directory.CreateDirectory(Path.Combine(folder, "images"));
        CsvWriter.Write(styles, Path.Combine(folder, "styles.csv"));
        var ids = styles.Column<Int32Column>("id").Values.ToArray();
        var writer = new ImageWriter();
        for (int r = 0; r < ids.Length; r++)
        {
            using var file = File.Create(Path.Combine(folder, "images", ids[r].ToString(CultureInfo.InvariantCulture) + ".jpg"));
            writer.WriteJpg(imageOfRow(r).ToArray(), width, height, StbImageWriteSharp.ColorComponents.Grey, file, quality);
        }
    }

    /// <summary>
    /// Resizes a grayscale h×w image to H×W: area averaging when shrinking (each output pixel
    /// averages the source area it covers, with fractional edge weights), bilinear when enlarging.
    /// </summary>
    public static void Resize(ReadOnlySpan<byte> src, int h, int w, Span<byte> dst, int H, int W)
    {
        if (src.Length < h * w || dst.Length < H * W || h <= 0 || w <= 0)
            throw new ArgumentException($"resize: source {h}×{w} ({src.Length} bytes) to {H}×{W} ({dst.Length} bytes)");
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                double v = h >= H && w >= W ? AreaMean(src, h, w, y * (double)h / H, (y + 1) * (double)h / H, x * (double)w / W, (x + 1) * (double)w / W)
                                            : Bilinear(src, h, w, (y + 0.5) * h / H - 0.5, (x + 0.5) * w / W - 0.5);
                dst[y * W + x] = (byte)Math.Clamp(Math.Round(v), 0, 255);
            }
    }

    private static double AreaMean(ReadOnlySpan<byte> src, int h, int w, double y0, double y1, double x0, double x1)
    {
        double sum = 0, area = 0;
        for (int sy = (int)y0; sy < Math.Min(h, (int)Math.Ceiling(y1)); sy++)
        {
            double wy = Math.Min(y1, sy + 1) - Math.Max(y0, sy);
            for (int sx = (int)x0; sx < Math.Min(w, (int)Math.Ceiling(x1)); sx++)
            {
                double wgt = wy * (Math.Min(x1, sx + 1) - Math.Max(x0, sx));
                sum += wgt * src[sy * w + sx];
                area += wgt;
            }
        }
        return area > 0 ? sum / area : 0;
    }

    private static double Bilinear(ReadOnlySpan<byte> src, int h, int w, double y, double x)
    {
        y = Math.Clamp(y, 0, h - 1);
        x = Math.Clamp(x, 0, w - 1);
        int y0 = (int)y, x0 = (int)x, y1 = Math.Min(y0 + 1, h - 1), x1 = Math.Min(x0 + 1, w - 1);
        double fy = y - y0, fx = x - x0;
        return (1 - fy) * ((1 - fx) * src[y0 * w + x0] + fx * src[y0 * w + x1]) + fy * ((1 - fx) * src[y1 * w + x0] + fx * src[y1 * w + x1]);
    }

    /// <summary>Splits CSV text into records (line breaks inside quotes stay in the record), with the 1-based line each starts on; blank lines are skipped.</summary>
    private static List<(long Line, string Text)> SplitRecords(string text)
    {
        var records = new List<(long, string)>();
        int start = 0;
        long line = 1, startLine = 1;
        bool quoted = false;
        for (int i = 0; i <= text.Length; i++)
        {
            char ch = i < text.Length ? text[i] : '\n';
            if (ch == '"') quoted = !quoted;
            else if ((ch == '\n' || ch == '\r') && (!quoted || i == text.Length))
            {
                string record = text[start..Math.Min(i, text.Length)];
                if (record.Length > 0) records.Add((startLine, record));
                if (ch == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                line++;
                start = i + 1;
                startLine = line;
                quoted = false;
            }
            else if (ch == '\n') line++;
        }
        if (records.Count > 0 && records[0].Item2.Length > 0 && records[0].Item2[0] == '\uFEFF') records[0] = (records[0].Item1, records[0].Item2[1..]);
        return records;
    }

    /// <summary>Separators outside quotes, plus one.</summary>
    private static int CountFields(string record)
    {
        int n = 1;
        bool quoted = false;
        foreach (char ch in record)
        {
            if (ch == '"') quoted = !quoted;
            else if (ch == ',' && !quoted) n++;
        }
        return n;
    }

    private static string FirstField(string record)
    {
        int comma = record.IndexOf(',');
        return (comma < 0 ? record : record[..comma]).Trim().Trim('"');
    }

    private static string?[] TextOf(Column c) => Enumerable.Range(0, c.Length).Select(r => c.IsMissing(r) ? null : c.Format(r)).ToArray();

    private static Int32Column YearColumn(string?[] text)
    {
        var values = new int[text.Length];
        var valid = new bool[text.Length];
        for (int r = 0; r < text.Length; r++)
            valid[r] = double.TryParse(text[r]?.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double y) && y is > 1900 and < 2100
                && (values[r] = (int)y) > 0;
        return new Int32Column("year", values, valid);
    }
}
