// ProductTask — the LMF study's real tri-modal task: products of the catalog (ProductCatalog: one
// product per Fashion-MNIST image, attributes in the styles.csv schema), three modalities per row:
//
//   image     the product's real Fashion-MNIST image through a small CNN (SmallCnn 8/16, a 32-wide
//             embedding) trained for a few epochs on the train split's images and classes only,
//             then frozen: its embedding of every row of the split
//   metadata  ProductFeatures.Metadata: year, name length, one-hot of the seven categorical
//             attributes — fitted on the train rows
//   text      ProductFeatures.NameBagOfWords: counts of the (up to) 300 most frequent words of the
//             train rows' productDisplayName (lower-cased, punctuation dropped, trimmed)
//
// Nothing of the validation or test rows reaches the CNN's weights, the vocabulary or the
// metadata statistics. Two targets over the same rows:
//
//   category  the Fashion-MNIST class (10 classes): the products study's target
//   match     does the listing (metadata + name) belong to the image? (2 classes) For each row,
//             with probability 1/2 the listing is replaced by the listing of another, random row
//             of the same split (so no listing crosses splits). No single modality says anything
//             about it: the answer is in how image and listing agree — a cross-modal interaction.
//
// Row order of X: [image embedding | metadata | text], so LmfModels' BranchFusion splits it by Dims.

using FusionScratch.Models.Backbone;
using FusionScratch.Models.Data;
using FusionScratch.Models.Optim;
using FusionScratch.Models.Synthetic;
using FusionScratch.Models.Training;
using FusionScratch.Tensors;

namespace FusionScratch.Runner.Experiments.Lmf;

/// <summary>How to build the tri-modal products task.</summary>
public sealed record ProductTaskOptions
{
    public ulong CatalogSeed { get; init; } = 1;
    public ulong SplitSeed { get; init; } = 2;
    public ulong ImageSeed { get; init; } = 3;
    /// <summary>Caps on the 80/10/10 stratified split (null: the whole split).</summary>
    public int? MaxTrain { get; init; }
    public int? MaxVal { get; init; }
    public int? MaxTest { get; init; }
    /// <summary>Epochs of the embedding CNN on the train images.</summary>
    public int ImageEpochs { get; init; } = 2;
    /// <summary>Vocabulary slots of the name's bag of words.</summary>
    public int TopWords { get; init; } = 300;
    /// <summary>Where the embedding CNN trains (the run's --device; null: where the model is, the CPU).</summary>
    public Device? Device { get; init; }
}

/// <summary>The three modalities of every row of a split, and the two targets.</summary>
public sealed class ProductTask
{
    public const int EmbeddingWidth = 32;
    public static readonly string[] ModalityNames = ["image", "metadata", "text"];

    private readonly Dictionary<int, int> _slot = [];   // catalog row → row of _image, _meta and _text
    private float[] _image = [];
    private float[] _meta = [];
    private float[] _text = [];

    private ProductTask(ProductCatalog catalog, SplitIndices split) => (Catalog, Split) = (catalog, split);

    public ProductCatalog Catalog { get; }
    /// <summary>Catalog rows of each split.</summary>
    public SplitIndices Split { get; }
    /// <summary>Modality widths: image embedding, metadata, text.</summary>
    public int[] Dims { get; private set; } = [];
    public int Features => Dims.Sum();
    public IReadOnlyList<string> Vocabulary { get; private set; } = [];
    public IReadOnlyList<string> MetadataNames { get; private set; } = [];
    /// <summary>The embedding CNN's own test accuracy on the Fashion-MNIST class (image only).</summary>
    public double ImageTestAccuracy { get; private set; }
    /// <summary>How many train images the CNN saw (the train split's rows, nothing else).</summary>
    public int ImageTrainRows { get; private set; }
    public double ImageSeconds { get; private set; }

    /// <summary>Generates the catalog over <paramref name="images"/>, splits it and builds every modality, fitted on the train rows.</summary>
    public static ProductTask Build(ImageDataset images, ProductTaskOptions options, Action<string>? log = null, CancellationToken cancel = default)
    {
        var catalog = ProductCatalog.Generate(images.Labels, new ProductCatalogOptions { Seed = options.CatalogSeed });
        byte[] labels = [.. catalog.Labels.Select(l => (byte)l)];
        var split = Splits.Cap(labels, Splits.Stratified(labels, 0.8, 0.1, 0.1, options.SplitSeed), options.MaxTrain, options.MaxVal, options.MaxTest);
        var task = new ProductTask(catalog, split);
        // Every modality is stored for the split's rows only, train rows first: slot i holds catalog row rows[i].
        int[] rows = [.. split.Train, .. split.Val, .. split.Test];
        for (int i = 0; i < rows.Length; i++) task._slot[rows[i]] = i;
        int[] trainSlots = [.. Enumerable.Range(0, split.Train.Length)];

        // metadata and text: every statistic from the train rows
        var styles = catalog.Styles.Take(rows);
        var meta = ProductFeatures.Metadata(styles, trainSlots);
        var (text, vocabulary) = ProductFeatures.NameBagOfWords(styles, trainSlots, options.TopWords);
        (task._meta, task.MetadataNames, task._text, task.Vocabulary) = (meta.Data, meta.Names, text.Data, vocabulary);

        // image: a small CNN trained on the train images only, then frozen
        int classes = ProductCatalog.ClassNames.Length;
        float[] Pixels(int[] rows) => images.ToFloats([.. rows.Select(r => catalog.ImageIndex[r])]);
        LabeledData Images(int[] rows) => new(Pixels(rows), [.. rows.Select(r => catalog.Labels[r])], [784], classes);
        var cnn = new SmallCnn(8, 16, EmbeddingWidth, classes, new Rng(options.ImageSeed));
        var train = Images(split.Train);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Trainer.Fit(cnn, new Adam(cnn.Parameters(), lr: 2e-3f), train, null,
            new TrainOptions { Epochs = options.ImageEpochs, BatchSize = 32, Seed = options.ImageSeed, Device = options.Device }, cancel: cancel);
        task.ImageSeconds = clock.Elapsed.TotalSeconds;
        task.ImageTrainRows = train.Count;
        var test = Images(split.Test);
        task.ImageTestAccuracy = test.Count == 0 ? double.NaN : Trainer.Accuracy(Trainer.Predict(cnn, test).Labels, test.Y);
        log?.Invoke($"products task: embedding CNN trained on {train.Count:N0} train images in {task.ImageSeconds:0.0} s, image-only test accuracy {task.ImageTestAccuracy:0.000}");

        task._image = Embed(cnn, Pixels(rows));
        task.Dims = [EmbeddingWidth, meta.Cols, text.Cols];
        return task;
    }

    private static float[] Embed(ImageClassifier cnn, float[] pixels)
    {
        cnn.Eval();
        using var noGrad = Tensor.NoGrad();
        int n = pixels.Length / 784, e = cnn.EmbeddingWidth;
        var result = new float[n * e];
        var arena = new TensorArena();
        for (int b0 = 0; b0 < n; b0 += 256)
        {
            int count = Math.Min(256, n - b0);
            using var scope = arena.Begin();
            var x = Tensor.FromArray(pixels.AsSpan(b0 * 784, count * 784).ToArray(), count, 784);
            cnn.Features(x).Span.CopyTo(result.AsSpan(b0 * e, count * e));
        }
        return result;
    }

    /// <summary>Fashion-MNIST class of each of <paramref name="rows"/>, with the image and listing of the same product.</summary>
    public LabeledData Category(int[] rows) =>
        new(Rows(rows, rows), [.. rows.Select(r => Catalog.Labels[r])], [Features], ProductCatalog.ClassNames.Length);

    /// <summary>
    /// The match target over <paramref name="rows"/> (one split): label 1 where the listing is the product's own,
    /// 0 where it was replaced (probability 1/2) by the listing of another row of <paramref name="rows"/>.
    /// <paramref name="listings"/> returns, per row, the catalog row whose listing it carries.
    /// </summary>
    public LabeledData Match(int[] rows, ulong seed, out int[] listings)
    {
        var rng = new Rng(seed);
        listings = new int[rows.Length];
        var y = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            bool own = rows.Length < 2 || rng.NextFloat() < 0.5f;
            int j = own ? i : (i + 1 + rng.NextInt(rows.Length - 1)) % rows.Length;  // any other row of the split
            listings[i] = rows[j];
            y[i] = own ? 1 : 0;
        }
        return new LabeledData(Rows(rows, listings), y, [Features], 2);
    }

    /// <summary>[image of imageRows[i] | metadata and text of listingRows[i]] per row.</summary>
    private float[] Rows(int[] imageRows, int[] listingRows)
    {
        int e = Dims[0], m = Dims[1], t = Dims[2], f = Features;
        var x = new float[imageRows.Length * f];
        for (int i = 0; i < imageRows.Length; i++)
        {
            var row = x.AsSpan(i * f, f);
            _image.AsSpan(_slot[imageRows[i]] * e, e).CopyTo(row);
            int listing = _slot[listingRows[i]];
            _meta.AsSpan(listing * m, m).CopyTo(row[e..]);
            _text.AsSpan(listing * t, t).CopyTo(row[(e + m)..]);
        }
        return x;
    }

    /// <summary>
    /// An upper bound on match accuracy: a replaced listing of the same class as the image cannot be told from the
    /// product's own by a model that knows only classes, so the best it can do is call those pairs matches.
    /// </summary>
    public double MatchClassCeiling(int[] rows, int[] listings, int[] y)
    {
        int lost = 0;
        for (int i = 0; i < rows.Length; i++)
            if (y[i] == 0 && Catalog.Labels[rows[i]] == Catalog.Labels[listings[i]]) lost++;
        return rows.Length == 0 ? double.NaN : 1 - lost / (double)rows.Length;
    }
}
