// PNG plots for reports, drawn headless with ScottPlot (SkiaSharp underneath) and written
// atomically: training curves, confusion matrices, class-coloured scatter plots, bar charts.
// Each function takes plain arrays, so experiments never touch the plotting library.

using FusionScratch.Models.IO;
using ScottPlot;

namespace FusionScratch.Runner.Reports;

public static class Plots
{
    /// <summary>A named series of (x, y) points.</summary>
    public sealed record Series(string Label, double[] X, double[] Y);

    private static readonly Color[] Palette = new ScottPlot.Palettes.Category10().Colors;

    /// <summary>
    /// Line plot of one or more series (e.g. loss per epoch for each model). With logY / logX the
    /// axis shows log10 of the values (for parameters, times and sizes that span decades).
    /// </summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IEnumerable<Series> series, bool logY = false, bool logX = false)
    {
        var plt = NewPlot(title, xLabel, yLabel);
        int i = 0;
        static double[] Log10(double[] v) => v.Select(e => e > 0 ? Math.Log10(e) : double.NaN).ToArray();
        foreach (var s in series)
        {
            var line = plt.Add.Scatter(logX ? Log10(s.X) : s.X, logY ? Log10(s.Y) : s.Y, Palette[i++ % Palette.Length]);
            line.LegendText = s.Label;
            line.MarkerSize = s.X.Length > 40 ? 0 : 4;
        }
        if (logY) plt.YLabel(yLabel + " (log10)");
        if (logX) plt.XLabel(xLabel + " (log10)");
        plt.ShowLegend(Alignment.UpperRight);
        Save(plt, path, 800, 500);
    }

    /// <summary>Confusion matrix as a heat map with counts, rows = true class, columns = predicted.</summary>
    public static void Confusion(string path, string title, int[,] counts, IReadOnlyList<string> classNames)
    {
        int k = counts.GetLength(0);
        var plt = NewPlot(title, "predicted", "true");
        // ScottPlot draws row 0 at the top, as a confusion matrix is read.
        var values = new double[k, k];
        for (int t = 0; t < k; t++)
        {
            double rowSum = 0;
            for (int p = 0; p < k; p++) rowSum += counts[t, p];
            for (int p = 0; p < k; p++) values[t, p] = rowSum == 0 ? 0 : counts[t, p] / rowSum;
        }
        var hm = plt.Add.Heatmap(values);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        for (int t = 0; t < k; t++)
            for (int p = 0; p < k; p++)
            {
                var text = plt.Add.Text(counts[t, p].ToString(), p, k - 1 - t);
                text.LabelFontSize = k > 8 ? 10 : 12;
                text.LabelFontColor = values[t, p] > 0.5 ? Colors.Black : Colors.White;
                text.LabelAlignment = Alignment.MiddleCenter;
            }
        var positions = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        var names = classNames.Select(n => n.Length > 12 ? n[..12] : n).ToArray();
        plt.Axes.Bottom.SetTicks(positions, names);
        plt.Axes.Left.SetTicks(positions, names.Reverse().ToArray());
        plt.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plt.Add.ColorBar(hm).Label = "fraction of the true class";
        Save(plt, path, 700, 640);
    }

    /// <summary>2-D scatter of points coloured by class (PCA / kernel-PCA pictures, feature views).</summary>
    public static void ScatterByClass(string path, string title, string xLabel, string yLabel,
        double[] x, double[] y, int[] cls, IReadOnlyList<string> classNames)
    {
        var plt = NewPlot(title, xLabel, yLabel);
        for (int c = 0; c < classNames.Count; c++)
        {
            var idx = Enumerable.Range(0, cls.Length).Where(i => cls[i] == c).ToArray();
            if (idx.Length == 0) continue;
            var s = plt.Add.ScatterPoints(idx.Select(i => x[i]).ToArray(), idx.Select(i => y[i]).ToArray(), Palette[c % Palette.Length]);
            s.MarkerSize = 3;
            s.LegendText = classNames[c];
        }
        plt.ShowLegend(Alignment.UpperRight);
        Save(plt, path, 800, 600);
    }

    /// <summary>Bar chart with optional error bars (e.g. accuracy per model with a 95 % interval).</summary>
    public static void Bars(string path, string title, string yLabel, IReadOnlyList<string> labels, double[] values, double[]? errors = null)
    {
        var plt = NewPlot(title, "", yLabel);
        for (int i = 0; i < labels.Count; i++)
        {
            var bar = new Bar
            {
                Position = i,
                Value = values[i],
                Error = errors?[i] ?? 0,
                FillColor = Palette[i % Palette.Length],
            };
            plt.Add.Bar(bar);
        }
        plt.Axes.Bottom.SetTicks(Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray(), labels.ToArray());
        plt.Axes.Margins(bottom: 0);
        Save(plt, path, Math.Max(500, 120 * labels.Count), 450);
    }

    /// <summary>
    /// A grid of grayscale images (uint8, height×width each, 0 = white paper, 255 = ink as in
    /// MNIST) with a caption over each, e.g. the scanned forms with their customer ids.
    /// </summary>
    public static void ImageGrid(string path, string title, IReadOnlyList<byte[]> images, int height, int width,
        IReadOnlyList<string> captions, int columns)
    {
        int n = images.Count, rows = (n + columns - 1) / columns, gap = 8;
        int gridH = rows * (height + gap), gridW = columns * (width + gap);
        var cells = new double[gridH, gridW];
        for (int k = 0; k < n; k++)
        {
            int r0 = (k / columns) * (height + gap) + gap, c0 = (k % columns) * (width + gap) + gap / 2;
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    cells[r0 + y, c0 + x] = images[k][y * width + x];
        }
        var plt = NewPlot(title, "", "");
        var hm = plt.Add.Heatmap(cells);
        hm.Colormap = new ScottPlot.Colormaps.Grayscale().Reversed();
        hm.FlipVertically = false;
        for (int k = 0; k < n; k++)
        {
            double x = (k % columns) * (width + gap) + gap / 2 + width / 2.0;
            double y = gridH - (k / columns) * (height + gap) - gap / 2.0;
            var text = plt.Add.Text(captions[k], x, y);
            text.LabelFontSize = 11;
            text.LabelAlignment = Alignment.MiddleCenter;
        }
        plt.Axes.Frameless();
        plt.HideGrid();
        Save(plt, path, 110 * columns, 125 * rows + 40);
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plt = new Plot();
        plt.Font.Set(Fonts.Detect("DejaVu Sans"));
        plt.Title(title);
        plt.XLabel(xLabel);
        plt.YLabel(yLabel);
        return plt;
    }

    private static void Save(Plot plt, string path, int width, int height) =>
        AtomicFile.WriteAllBytes(path, plt.GetImageBytes(width, height, ImageFormat.Png));
}
