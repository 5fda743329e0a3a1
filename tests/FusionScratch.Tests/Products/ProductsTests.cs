// The products study: the catalog generator's documented properties, the product-folder loader
// on a small generated folder with broken rows and images, Dropout, MBConv and squeeze-excitation
// gradients against finite differences, each model variant learning on a small split, and a
// --quick run of `fusion run products` end to end on a small generated image set (IDX files in a
// temporary data folder, so the test fetches nothing).

using FusionScratch.Models.Backbone;
using FusionScratch.Models.Data;
using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Models.Synthetic;
using FusionScratch.Models.Tabular;
using FusionScratch.Models.Tabular.Transformers;
using FusionScratch.Models.Training;
using FusionScratch.Runner.Experiments.Products;
using FusionScratch.Runner.Reports;
using FusionScratch.Tensors;
using FusionScratch.Tests.Runner;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Products;

/// <summary>Small generated 28×28 images: class c is a bright block at a class-specific place (shifted ±2 px) over noise.</summary>
internal static class ToyImages
{
    public static (byte[] Pixels, byte[] Labels) Make(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var pixels = new byte[count * 784];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int c = labels[i] = (byte)(i % 10);
            int top = 3 + (c / 5) * 12 + rng.NextInt(5) - 2, left = 1 + (c % 5) * 5 + rng.NextInt(3) - 1;
            var img = pixels.AsSpan(i * 784, 784);
            for (int j = 0; j < 784; j++) img[j] = (byte)rng.NextInt(40);
            for (int y = Math.Max(0, top); y < Math.Min(28, top + 10); y++)
                for (int x = Math.Max(0, left); x < Math.Min(28, left + 5); x++) img[y * 28 + x] = (byte)(180 + rng.NextInt(70));
        }
        return (pixels, labels);
    }

    public static LabeledData Data(int count, ulong seed)
    {
        var (p, l) = Make(count, seed);
        return new LabeledData(p.Select(b => b / 255f).ToArray(), l.Select(b => (int)b).ToArray(), [784], 10);
    }
}

public class ProductCatalogTests
{
    private static readonly byte[] Labels = Enumerable.Range(0, 20_000).Select(i => (byte)(i % 10)).ToArray();

    private static string?[] Text(Column c) => Enumerable.Range(0, c.Length).Select(r => c.IsMissing(r) ? null : c.Format(r)).ToArray();

    [Fact]
    public void Generate_IsDeterministicPerSeed()
    {
        var a = ProductCatalog.Generate(Labels, new ProductCatalogOptions { Seed = 3 });
        var b = ProductCatalog.Generate(Labels, new ProductCatalogOptions { Seed = 3 });
        var c = ProductCatalog.Generate(Labels, new ProductCatalogOptions { Seed = 4 });
        Assert.Equal(a.ImageIndex, b.ImageIndex);
        Assert.Equal(Text(a.Styles["productDisplayName"]), Text(b.Styles["productDisplayName"]));
        Assert.NotEqual(a.ImageIndex, c.ImageIndex);
    }

    [Fact]
    public void Generate_FollowsItsDocumentedProcess()
    {
        var cat = ProductCatalog.Generate(Labels, new ProductCatalogOptions { Seed = 5 });
        int n = cat.Count;
        Assert.Equal(ProductCatalog.Columns, cat.Styles.ColumnNames);
        // 0. thinning; ids unique; rows shuffled against the image order
        int Count(int c) => cat.Labels.Count(l => l == c);
        for (int c = 0; c < 10; c++) Assert.InRange(Count(c) / 2000.0, ProductCatalog.DefaultKeep[c] - 0.05, ProductCatalog.DefaultKeep[c] + 0.05);
        var ids = cat.Styles.Column<Int32Column>("id").Values.ToArray();
        Assert.Equal(n, ids.Distinct().Count());
        Assert.False(cat.ImageIndex.Take(50).SequenceEqual(cat.ImageIndex.Take(50).Order()));
        for (int r = 0; r < n; r++) Assert.Equal(Labels[cat.ImageIndex[r]], cat.Labels[r]);
        // 2. hidden listings: no type attributes, no type word
        var article = Text(cat.Styles["articleType"]);
        var master = Text(cat.Styles["masterCategory"]);
        var name = Text(cat.Styles["productDisplayName"]);
        Assert.InRange(cat.Hidden.Count(h => h) / (double)n, 0.33, 0.39);
        for (int r = 0; r < n; r++)
            if (cat.Hidden[r])
            {
                Assert.Null(article[r]);
                Assert.Null(master[r]);
                if (name[r] is { } s) Assert.DoesNotContain(TextClean.Tokens(s), t => t is "tshirt" or "shirt" or "sweater" or "jacket" or "boots" or "dress" or "handbag");
            }
        // shown article types name the class almost always (4 % catalog errors, "Casual Shoes" shared by two classes)
        var shown = Enumerable.Range(0, n).Where(r => article[r] is not null).ToArray();
        double tshirtOk = shown.Where(r => cat.Labels[r] == 0).Average(r => TextClean.Clean(article[r]!) is "tshirts" or "tops" ? 1.0 : 0.0);
        Assert.InRange(tshirtOk, 0.93, 0.99);
        // 3. profile pairs share style distributions; the classes images confuse do not
        var season = Text(cat.Styles["season"]).Select(s => s is null ? null : TextClean.Clean(s)).ToArray();
        double Share(int c, string value) => Enumerable.Range(0, n).Where(r => cat.Labels[r] == c && season[r] is not null).Average(r => season[r] == value ? 1.0 : 0.0);
        Assert.InRange(Math.Abs(Share(0, "summer") - Share(5, "summer")), 0, 0.04);   // T-shirt/top ~ Sandal
        Assert.True(Share(0, "summer") - Share(4, "summer") > 0.5);                     // T-shirt/top vs Coat
        Assert.True(Share(4, "winter") - Share(6, "winter") > 0.5);                     // Coat vs Shirt
        // 4. missing values and mess
        Assert.InRange(cat.Styles["baseColour"].MissingCount() / (double)n, 0.04, 0.08);
        Assert.InRange(cat.Styles["year"].MissingCount() / (double)n, 0.01, 0.03);
        var usage = Text(cat.Styles["usage"]).Where(s => s is not null).ToArray();
        Assert.True(usage.Distinct().Count() > usage.Select(s => TextClean.Clean(s!)).Distinct().Count() + 5, "messy casing/spaces expected");
        Assert.Contains(usage, s => s != s!.Trim());
    }

    [Fact]
    public void MetadataFeatures_AreFittedOnTrainRowsOnly()
    {
        var cat = ProductCatalog.Generate(Labels.AsSpan(0, 2000), new ProductCatalogOptions { Seed = 6 });
        int[] train = Enumerable.Range(0, cat.Count / 2).ToArray();
        var x = ProductsExperiment.MetadataFeatures(cat.Styles, train, 30, out var names);
        Assert.Equal(cat.Count * names.Count, x.Length);
        Assert.All(x, v => Assert.True(float.IsFinite(v)));
        int year = names.ToList().IndexOf("year");
        double trainMean = train.Average(r => x[r * names.Count + year]);
        Assert.InRange(trainMean, -1e-4, 1e-4);                                       // standardized with train statistics
        Assert.Contains("articleType=<unknown>", names);
        Assert.DoesNotContain(names, s => s.StartsWith("articleType=", StringComparison.Ordinal) && s != s.Trim());
    }

    [Fact]
    public void Balance_ResamplesEveryClassToTheLargest()
    {
        int[] labels = [.. Enumerable.Repeat(0, 10), .. Enumerable.Repeat(1, 3), .. Enumerable.Repeat(2, 7)];
        int[] rows = Enumerable.Range(0, labels.Length).ToArray();
        var balanced = ProductsExperiment.Balance(rows, labels, 1);
        Assert.Equal(30, balanced.Length);
        Assert.All(new[] { 0, 1, 2 }, c => Assert.Equal(10, balanced.Count(r => labels[r] == c)));
        Assert.Equal(3, balanced.Where(r => labels[r] == 1).Distinct().Count());
    }
}

public sealed class ProductFolderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fusion-products-folder-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Load_ReadsAGeneratedFolder_AndReportsBrokenRowsAndImages()
    {
        var (pixels, labels) = ToyImages.Make(40, 1);
        var cat = ProductCatalog.Generate(labels, new ProductCatalogOptions { Seed = 2, Keep = Enumerable.Repeat(1.0, 10).ToArray() });
        var names = ProductCatalog.ClassNames;
        var styles = cat.Styles.With(new StringColumn("class", cat.Labels.Select(l => (string?)names[l]).ToArray()));
        ProductFolder.Write(_dir, styles, r => pixels.AsSpan(cat.ImageIndex[r] * 784, 784), 28, 28);
        var ids = styles.Column<Int32Column>("id").Values.ToArray();

        // break things: a row with an extra field, a non-numeric id, a repeated id, a missing image, an undecodable image
        var lines = File.ReadAllLines(Path.Combine(_dir, "styles.csv")).ToList();
        lines.Add("99001,Men,Apparel,Topwear,Shirts,Blue,Summer,2012,Casual,Brand, with a comma,Shirt");
        lines.Add("abc,Men,Apparel,Topwear,Shirts,Blue,Summer,2012,Casual,Name,Shirt");
        lines.Add(lines[1]);
        File.WriteAllLines(Path.Combine(_dir, "styles.csv"), lines);
        File.Delete(Path.Combine(_dir, "images", $"{ids[3]}.jpg"));
        File.WriteAllBytes(Path.Combine(_dir, "images", $"{ids[5]}.jpg"), [1, 2, 3, 4, 5, 6, 7, 8]);

        var data = ProductFolder.Load(_dir, target: "class");
        Assert.Equal(43, data.RowsRead);
        Assert.Equal(38, data.Count);
        Assert.Equal(3, data.BadRows.Count);
        Assert.Contains(data.BadRows, p => p.Id == "99001" && p.Reason.Contains("12 fields, expected 11"));
        Assert.Contains(data.BadRows, p => p.Id == "abc" && p.Reason.Contains("not a positive integer"));
        Assert.Contains(data.BadRows, p => p.Id == ids[0].ToString() && p.Reason.Contains("repeated id"));
        Assert.Equal([ids[3].ToString()], data.MissingImages.Select(p => p.Id));
        Assert.Equal([ids[5].ToString()], data.UnreadableImages.Select(p => p.Id));
        Assert.Equal(38 * 784, data.Pixels.Length);

        // the images survive the JPEG round trip closely, and labels follow the target column
        var loadedIds = data.Styles.Column<Int32Column>("id").Values.ToArray();
        for (int k = 0; k < data.Count; k++)
        {
            int r = Array.IndexOf(ids, loadedIds[k]);
            Assert.Equal(names[cat.Labels[r]], data.ClassNames[data.Labels[k]]);
            var original = pixels.AsSpan(cat.ImageIndex[r] * 784, 784);
            double meanError = 0;
            for (int j = 0; j < 784; j++) meanError += Math.Abs(original[j] - data.Pixels[k * 784 + j]);
            Assert.True(meanError / 784 < 12, $"product {loadedIds[k]}: mean |Δ| {meanError / 784:0.0} after JPEG");
        }
    }

    [Fact]
    public void Load_ConvertsColourToGrayAndResizes()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "images"));
        File.WriteAllText(Path.Combine(_dir, "styles.csv"), "id,articleType\n7,Shirts\n");
        var rgb = new byte[60 * 80 * 3];
        for (int i = 0; i < 60 * 80; i++) (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = (200, 100, 50);
        using (var f = File.Create(Path.Combine(_dir, "images", "7.jpg")))
            new StbImageWriteSharp.ImageWriter().WriteJpg(rgb, 60, 80, StbImageWriteSharp.ColorComponents.RedGreenBlue, f, 95);
        var data = ProductFolder.Load(_dir);
        Assert.Equal(1, data.Count);
        double luma = 0.299 * 200 + 0.587 * 100 + 0.114 * 50;
        Assert.All(data.Pixels, p => Assert.InRange(p, luma - 6, luma + 6));
    }

    [Fact]
    public void Resize_AveragesAreasWhenShrinking()
    {
        byte[] src = [0, 100, 200, 40, 0, 100, 200, 40, 10, 10, 30, 30, 10, 10, 30, 30];
        var dst = new byte[4];
        ProductFolder.Resize(src, 4, 4, dst, 2, 2);
        Assert.Equal([50, 120, 10, 30], dst);
    }
}

public class ProductModelTests
{
    [Fact]
    public void Dropout_ZeroesAndScalesInTraining_IsIdentityInEval_AndBackpropagatesItsMask()
    {
        var drop = new Dropout(0.25f, new Rng(1));
        var x = Tensor.Full(new Shape(100, 40), 2f).RequireGrad();
        var y = drop.Forward(x);
        var v = y.ToArray();
        double zeros = v.Count(t => t == 0) / (double)v.Length;
        Assert.InRange(zeros, 0.22, 0.28);
        Assert.All(v, t => Assert.True(t == 0 || Math.Abs(t - 2f / 0.75f) < 1e-5));
        y.Sum().Backward();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < v.Length; i++) Assert.Equal(v[i] / 2f, g[i], 5);           // dx = mask·scale
        drop.Eval();
        Assert.Equal(x.ToArray(), drop.Forward(x).ToArray());
    }

    [Fact]
    public void SqueezeExcite_Gradients_MatchFiniteDifferences()
    {
        var rng = new Rng(3);
        var se = new SqueezeExcite(4, 2, rng);
        var x = GradCheck.AwayFromZero(5, 2, 4, 3, 3);
        var p = se.Parameters().ToArray();
        GradCheck.Check(inputs => se.Forward(inputs[0]), [x, .. p]);
    }

    [Theory]
    [InlineData(4, 4, 2, 3, 1)]   // residual, expansion
    [InlineData(3, 5, 1, 3, 2)]   // no expansion, stride 2, no residual
    public void MBConv_Gradients_MatchFiniteDifferences(int cin, int cout, int expand, int kernel, int stride)
    {
        var rng = new Rng(4);
        var block = new MBConv(cin, cout, expand, kernel, stride, 0.5f, rng);
        var x = GradCheck.AwayFromZero(6, 3, cin, 5, 5);
        var p = block.Parameters().ToArray();
        GradCheck.Check(inputs => block.Forward(inputs[0]), [x, .. p], abs: 4e-3, rel: 4e-2);
    }

    [Fact]
    public void EfficientNetLite_MapsImagesToLogitsAndEmbeddings()
    {
        var net = new EfficientNetLite(10, new Rng(1));
        var x = Tensor.Rand(new Shape(2, 784), new Rng(2));
        Assert.Equal([2, 10], net.Forward(x).Shape.ToArray());
        Assert.Equal([2, net.EmbeddingWidth], net.Features(x).Shape.ToArray());
        Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(2, 100)));
    }

    [Fact]
    public void ImageAugment_ShiftsAndFlipsOnlyFlippableClasses()
    {
        var aug = new ImageAugment(4, 4, 16, 0, [true, false]);
        float[] img = Enumerable.Range(0, 16).Select(i => (float)i).ToArray();
        float[] batch = [.. img, .. img];
        int flipped = 0;
        var rng = new Rng(1);
        for (int t = 0; t < 50; t++)
        {
            var b = (float[])batch.Clone();
            aug.Apply(b, [0, 1], rng);
            Assert.Equal(img, b[16..]);                                                  // class 1 never flips
            if (b[0] == 3 && b[3] == 0) flipped++;
            else Assert.Equal(img, b[..16]);
        }
        Assert.InRange(flipped, 10, 40);
        var shift = new ImageAugment(4, 4, 16, 1, null);
        var s = (float[])img.Clone();
        shift.Apply(s, [0], new Rng(3));
        Assert.True(img.Sum() > 0);
        Assert.True(s.Count(v => v == 0) >= 1);
    }

    public static TheoryData<string, string> Variants => new()
    {
        { "metadata", "small" }, { "metadata", "overfit" }, { "metadata", "regularized" },
        { "image", "small" }, { "image", "overfit" }, { "image", "regularized" },
        { "fusion", "small" }, { "fusion", "overfit" }, { "fusion", "regularized" },
    };

    /// <summary>Each variant learns a small split: the image task is ToyImages; metadata and fusion get a noisy one-hot of the class.</summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void EveryVariant_LearnsOnASmallSplit(string modality, string variant)
    {
        var rng = new Rng(7);
        LabeledData Tabular(int n, ulong seed, int d)
        {
            var r = new Rng(seed);
            var x = new float[n * d];
            var y = new int[n];
            for (int i = 0; i < n; i++)
            {
                y[i] = i % 10;
                for (int j = 0; j < d; j++) x[i * d + j] = 0.5f * r.Normal();
                x[i * d + y[i]] += 1.5f;
            }
            return new LabeledData(x, y, [d], 10);
        }
        (LabeledData train, LabeledData test, Module<Tensor, Tensor> model, int epochs) = modality switch
        {
            "metadata" => (Tabular(600, 1, 20), Tabular(300, 2, 20), ProductModels.Metadata(variant, 20, 10, rng), 15),
            "image" => (ToyImages.Data(variant == "overfit" ? 300 : 480, 1), ToyImages.Data(200, 2), (Module<Tensor, Tensor>)ProductModels.Image(variant, 10, rng), variant == "overfit" ? 3 : 4),
            _ => (Tabular(600, 1, 24), Tabular(300, 2, 24), ProductModels.Fusion(variant, 12, 12, 10, rng), 15),
        };
        var options = new TrainOptions { Epochs = epochs, BatchSize = 32, Seed = 3 };
        Trainer.Fit(model, new Adam(model.Parameters(), lr: 3e-3f), train, null, options);
        double accuracy = Trainer.Accuracy(Trainer.Predict(model, test).Labels, test.Y);
        Assert.True(accuracy >= 0.6, $"{modality} {variant}: held-out accuracy {accuracy:0.000}");
    }
}

[Collection("Console")]
public sealed class ProductsRunTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fusion-products-run-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void QuickRun_OnGeneratedImages_WritesTheReport()
    {
        // a stand-in Fashion-MNIST: 700 generated images as IDX files where Datasets.Load looks first
        string dataDir = Path.Combine(_root, "data"), outDir = Path.Combine(_root, "out");
        Directory.CreateDirectory(Path.Combine(dataDir, "fashion-mnist"));
        var (pixels, labels) = ToyImages.Make(700, 9);
        Idx.WriteImages(Path.Combine(dataDir, "fashion-mnist", "train-images-idx3-ubyte"), pixels, 700, 28, 28);
        Idx.WriteLabels(Path.Combine(dataDir, "fashion-mnist", "train-labels-idx1-ubyte"), labels);

        var (code, _, err) = RunnerHarness.Run("run", "products", "--quick", "--threads", "1", "--seed", "2", "--data-dir", dataDir, "--out", outDir);
        Assert.True(code == 0, err);
        var results = ResultsDocument.Load(Path.Combine(outDir, "results.json"));
        Assert.Equal(11, results.Runs.Count);
        foreach (var m in new[] { "metadata", "image", "fusion" })
            Assert.Equal(["small", "overfit", "regularized"], results.Runs.Where(r => r.Modality == m).Select(r => r.Variant));
        Assert.Single(results.Runs, r => r.Modality == "fusion-misaligned");
        Assert.Single(results.Runs, r => r.Modality == "late-fusion");
        Assert.All(results.Runs, r => Assert.InRange(r.TestAccuracy, 0.0, 1.0));
        double Acc(string m) => results.Runs.Single(r => r.Modality == m && r.Variant == "regularized").TestAccuracy;
        Assert.True(Acc("metadata") > 0.5, $"metadata accuracy {Acc("metadata")}");
        Assert.True(Acc("fusion") > Acc("fusion-misaligned"), "aligned fusion must beat the misaligned control");
        foreach (var file in new[] { "report.md", "data/styles.csv", "eda_classes.png", "eda_missing.png", "eda_samples.png",
                                     "confusion_fusion.png", "training_curves.png", "overfit_curves.png", "data/sample_folder/styles.csv" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        string report = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Contains("Exploratory data analysis", report);
        Assert.Contains("misaligned control", report);
        Assert.Contains("Per-class scores", report);
    }
}
