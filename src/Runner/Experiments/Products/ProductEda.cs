// The products study's exploratory data analysis: what a reader checks before training — size,
// column types, missing values, duplicates, the target distribution, attribute distributions and
// their relation to the target, messy strings, image checks, and sample products with their
// metadata. Tables go into report.md, plots into PNGs beside it.

using System.Globalization;
using FusionScratch.Models.Data;
using FusionScratch.Models.Synthetic;
using FusionScratch.Models.Tabular;
using FusionScratch.Models.Tabular.Transformers;
using FusionScratch.Runner.Reports;

namespace FusionScratch.Runner.Experiments.Products;

internal static class ProductEda
{
    public static void Write(RunContext ctx, ProductCatalog catalog, ImageDataset images, string[] classNames, ProductFolderData folderCheck)
    {
        var styles = catalog.Styles;
        int n = styles.RowCount;
        var report = ctx.Report;
        report.Heading("Exploratory data analysis");
        report.Paragraph($"{n:N0} products × {styles.ColumnCount} catalog columns (`data/styles.csv`, plus the target as `class`), " +
                         $"each with a {images.Height}×{images.Width} grayscale image.");

        // types and missing values
        var types = new MarkdownTable("column", "type", "distinct (raw)", "distinct (cleaned)", "missing", "missing %");
        foreach (var c in styles.Columns)
        {
            var raw = Values(c);
            int distinct = raw.Where(v => v is not null).Distinct(StringComparer.Ordinal).Count();
            int cleaned = c.Type is ColumnType.String or ColumnType.Category
                ? raw.Where(v => v is not null).Select(v => TextClean.Clean(v!)).Distinct(StringComparer.Ordinal).Count() : distinct;
            types.Add(c.Name, c.Type.ToString(), distinct, cleaned, c.MissingCount(), 100.0 * c.MissingCount() / n);
        }
        report.Heading("Columns, types and missing values", 3).Table(types)
            .Paragraph("\"distinct (cleaned)\" counts values after lowercasing, dropping punctuation and trimming spaces: the gap to the raw " +
                       "count is inconsistent casing and stray spaces, which the preprocessing merges (TextCleaner).");
        var withMissing = styles.Columns.Where(c => c.MissingCount() > 0).ToArray();
        Plots.Bars(ctx.PathFor("eda_missing.png"), "missing values per column", "% of products",
            withMissing.Select(c => c.Name).ToArray(), withMissing.Select(c => 100.0 * c.MissingCount() / n).ToArray());
        report.Image("eda_missing.png", "missing values per column");

        // duplicates
        var ids = styles.Column<Int32Column>("id").Values.ToArray();
        int duplicateIds = n - ids.Distinct().Count();
        var rowKeys = Enumerable.Range(0, n).Select(r => string.Join("\u001f", styles.Columns.Where(c => c.Name != "id").Select(c => c.Format(r))));
        int duplicateRows = n - rowKeys.Distinct(StringComparer.Ordinal).Count();
        var pixelHashes = catalog.ImageIndex.Select(i => HashCode(images.Image(i))).ToArray();
        int duplicateImages = n - pixelHashes.Distinct().Count();
        report.Heading("Duplicates", 3).Bullets([
            $"repeated ids: {duplicateIds}",
            $"products whose attributes (all but id) repeat another product's exactly: {duplicateRows:N0} " +
            $"({100.0 * duplicateRows / n:0.0} %) — expected: attributes are drawn from small vocabularies, so identical listings are different products",
            $"images that repeat another product's image pixel for pixel: {duplicateImages}",
        ]);

        // target
        var counts = new int[classNames.Length];
        foreach (int l in catalog.Labels) counts[l]++;
        var target = new MarkdownTable("class", "products", "share");
        for (int c = 0; c < counts.Length; c++) target.Add(classNames[c], counts[c], (double)counts[c] / n);
        Plots.Bars(ctx.PathFor("eda_classes.png"), "products per class (target)", "products", classNames, counts.Select(v => (double)v).ToArray());
        report.Heading("Target distribution", 3).Table(target).Image("eda_classes.png", "products per class")
            .Paragraph($"Imbalance: the largest class has {(double)counts.Max() / counts.Min():0.0}× the products of the smallest. " +
                       "Accuracy is reported with macro F1 and balanced accuracy beside it, and the regularized metadata and fusion models " +
                       "train on class-balanced resampled rows.");

        // attributes against the target
        foreach (var column in new[] { "season", "usage", "gender", "masterCategory" })
        {
            var col = styles[column];
            var values = Values(col).Select(v => v is null ? "(missing)" : TextClean.Clean(v)).ToArray();
            var levels = values.GroupBy(v => v).OrderByDescending(g => g.Count()).Select(g => g.Key).Take(7).ToArray();
            var table = new MarkdownTable(["class", .. levels]);
            for (int c = 0; c < classNames.Length; c++)
            {
                var members = Enumerable.Range(0, n).Where(r => catalog.Labels[r] == c).ToArray();
                table.Add([classNames[c], .. levels.Select(level => (object)(members.Count(r => values[r] == level) / (double)Math.Max(1, members.Length)))]);
            }
            report.Heading($"{column} by class (share of the class's products, cleaned values)", 3).Table(table);
        }
        var article = Values(styles["articleType"]);
        int typeMissing = article.Count(v => v is null);
        report.Paragraph($"articleType is missing for {typeMissing:N0} products ({100.0 * typeMissing / n:0.0} %): those listings " +
                         "(and their names) do not say what the product is; the style attributes above then carry the signal, " +
                         "and they separate the classes images confuse (T-shirt/top, Shirt, Pullover, Coat) while pairing classes images separate.");
        var pairs = new MarkdownTable("style profile", "classes");
        for (int p = 0; p < ProductCatalog.ProfileNames.Count; p++)
            pairs.Add(ProductCatalog.ProfileNames[p], string.Join(", ", Enumerable.Range(0, classNames.Length).Where(c => ProductCatalog.ProfileOf[c] == p).Select(c => classNames[c])));
        report.Table(pairs);

        // images
        var imageTable = new MarkdownTable("class", "mean intensity", "mean ink pixels (> 32)", "blank images");
        for (int c = 0; c < classNames.Length; c++)
        {
            var members = Enumerable.Range(0, n).Where(r => catalog.Labels[r] == c).Select(r => catalog.ImageIndex[r]).ToArray();
            double mean = members.Average(i => Mean(images.Image(i)));
            double ink = members.Average(i => Ink(images.Image(i)));
            int blank = members.Count(i => Ink(images.Image(i)) == 0);
            imageTable.Add(classNames[c], mean, ink, blank);
        }
        report.Heading("Image checks", 3).Table(imageTable)
            .Paragraph($"All images are {images.Height}×{images.Width} uint8 grayscale (0 = background). " +
                       $"The real-folder loader was exercised on a sample exported as `data/sample_folder` (styles.csv + images/<id>.jpg): " +
                       $"{folderCheck.Count} of {folderCheck.RowsRead} products read back, {folderCheck.BadRows.Count} bad rows, " +
                       $"{folderCheck.MissingImages.Count} missing and {folderCheck.UnreadableImages.Count} unreadable images.");

        int[] sample = Enumerable.Range(0, Math.Min(12, n)).ToArray();
        string Caption(int r)
        {
            string at = styles["articleType"].IsMissing(r) ? "?" : styles["articleType"].Format(r).Trim();
            string season = styles["season"].IsMissing(r) ? "?" : styles["season"].Format(r).Trim();
            return $"{at} · {season}";
        }
        Plots.ImageGrid(ctx.PathFor("eda_samples.png"), "sample products: articleType · season (ids in the table below)",
            sample.Select(r => images.Image(catalog.ImageIndex[r]).ToArray()).ToArray(), images.Height, images.Width,
            sample.Select(Caption).ToArray(), 4);
        report.Heading("Sample products", 3).Image("eda_samples.png", "sample products")
            .Code(CsvWriter(styles.Head(sample.Length)), "csv");
    }

    private static string CsvWriter(Table t) => Models.Tabular.Csv.CsvWriter.WriteToString(t);

    private static string?[] Values(Column c) => Enumerable.Range(0, c.Length).Select(r => c.IsMissing(r) ? null : c.Format(r)).ToArray();

    private static double Mean(ReadOnlySpan<byte> image)
    {
        long s = 0;
        foreach (byte b in image) s += b;
        return s / (double)image.Length;
    }

    private static int Ink(ReadOnlySpan<byte> image)
    {
        int k = 0;
        foreach (byte b in image) if (b > 32) k++;
        return k;
    }

    private static ulong HashCode(ReadOnlySpan<byte> image)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in image) h = (h ^ b) * 1099511628211UL;
        return h;
    }
}
