// The LMF study's real tri-modal products task: the name's bag of words fitted on train rows only,
// the task builder's shapes and what each split may see, the match target's pairing, each model
// learning both targets on a small split (on generated stand-in images, so nothing is fetched),
// and the synthetic classification version's Bayes ceiling against an oracle that knows the
// noise-free target.

using FusionScratch.Models.Data;
using FusionScratch.Models.Metrics;
using FusionScratch.Models.Optim;
using FusionScratch.Models.Synthetic;
using FusionScratch.Models.Tabular;
using FusionScratch.Models.Training;
using FusionScratch.Runner.Experiments.Lmf;
using FusionScratch.Tensors;
using FusionScratch.Tests.Products;

namespace FusionScratch.Tests.Lmf;

public class ProductTaskTests
{
    private static ImageDataset Toy(int count, ulong seed)
    {
        var (pixels, labels) = ToyImages.Make(count, seed);
        return new ImageDataset("toy", 28, 28, ProductCatalog.ClassNames, pixels, labels, "generated stand-in images");
    }

    private static readonly Lazy<ProductTask> Task = new(() => ProductTask.Build(Toy(3_000, 4),
        new ProductTaskOptions { CatalogSeed = 5, SplitSeed = 6, ImageSeed = 7, ImageEpochs = 1 }));

    [Fact]
    public void NameBagOfWords_VocabularyAndCounts_ComeFromTheTrainRowsOnly()
    {
        string?[] names = ["Puma Men Red", "puma  MEN blue", "Puma Women Red!", "Nike Zebra Zebra", "Zebra zebra zebra", null];
        var styles = new Table([new StringColumn("productDisplayName", names)]);
        int[] train = [0, 1, 2];
        var (bow, vocabulary) = ProductFeatures.NameBagOfWords(styles, train, topK: 4);
        Assert.Equal(["puma", "men", "red", "blue"], vocabulary);             // by train count, ties by word; "women" is 5th
        Assert.DoesNotContain("zebra", vocabulary);                           // the test rows' most frequent word
        Assert.Equal(4, bow.Cols);
        Assert.Equal([1f, 1, 1, 0], bow.Row(0).ToArray());                     // lower-cased, punctuation dropped, trimmed
        Assert.Equal([1f, 1, 0, 1], bow.Row(1).ToArray());
        Assert.Equal([0f, 0, 0, 0], bow.Row(4).ToArray());                     // only unseen words
        Assert.Equal([0f, 0, 0, 0], bow.Row(5).ToArray());                     // missing name
        var (counts, _) = ProductFeatures.NameBagOfWords(new Table([new StringColumn("productDisplayName", ["red red puma"])]), [0], 300);
        Assert.Equal(2, counts.Cols);                                          // fewer words than slots: the vocabulary's width
        Assert.Equal([2f, 1], counts.Row(0).ToArray());                        // counts, not presence: vocabulary [red, puma]
    }

    [Fact]
    public void Build_GivesThreeModalities_FittedOnTheTrainRows()
    {
        var task = Task.Value;
        var split = task.Split;
        Assert.Empty(split.Train.Intersect(split.Val));
        Assert.Empty(split.Train.Intersect(split.Test));
        Assert.Empty(split.Val.Intersect(split.Test));
        Assert.Equal(split.Train.Length, task.ImageTrainRows);                 // the CNN saw the train images only
        Assert.Equal([ProductTask.EmbeddingWidth, task.MetadataNames.Count, task.Vocabulary.Count], task.Dims);
        var (_, trainVocabulary) = ProductFeatures.NameBagOfWords(task.Catalog.Styles.Take(split.Train), [.. Enumerable.Range(0, split.Train.Length)], 300);
        Assert.Equal(trainVocabulary, task.Vocabulary);

        var train = task.Category(split.Train);
        Assert.Equal(split.Train.Length * task.Features, train.X.Length);
        Assert.Equal(split.Train.Select(r => task.Catalog.Labels[r]), train.Y);
        Assert.All(train.X, v => Assert.True(float.IsFinite(v)));
        // metadata standardized with train statistics: year has mean 0 over the train rows, not over test
        int year = task.MetadataNames.ToList().IndexOf("year"), f = task.Features, e = task.Dims[0];
        Assert.InRange(Enumerable.Range(0, train.Count).Average(i => train.X[i * f + e + year]), -1e-3, 1e-3);
        // the text block is the name's counts over the vocabulary
        int row = Array.FindIndex(split.Train, r => !task.Catalog.Styles["productDisplayName"].IsMissing(r));
        string name = task.Catalog.Styles["productDisplayName"].Format(split.Train[row]);
        var words = FusionScratch.Models.Tabular.Transformers.TextClean.Tokens(name);
        for (int j = 0; j < task.Vocabulary.Count; j++)
            Assert.Equal(words.Count(w => w == task.Vocabulary[j]), train.X[row * f + e + task.Dims[1] + j]);
    }

    [Fact]
    public void Match_SwapsHalfTheListings_WithinTheSplit()
    {
        var task = Task.Value;
        int[] rows = task.Split.Test;
        var data = task.Match(rows, 11, out var listings);
        Assert.All(listings, l => Assert.Contains(l, rows));                   // no listing crosses splits
        for (int i = 0; i < rows.Length; i++) Assert.Equal(listings[i] == rows[i] ? 1 : 0, data.Y[i]);
        Assert.InRange(data.Y.Average(), 0.4, 0.6);
        Assert.Equal(data.Y, task.Match(rows, 11, out _).Y);                   // seeded
        var own = task.Category(rows);
        int f = task.Features, e = task.Dims[0];
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(own.X.AsSpan(i * f, e).ToArray(), data.X.AsSpan(i * f, e).ToArray());   // the image is always the row's own
            int k = Array.IndexOf(rows, listings[i]);
            Assert.Equal(own.X.AsSpan(k * f + e, f - e).ToArray(), data.X.AsSpan(i * f + e, f - e).ToArray());
        }
        double ceiling = task.MatchClassCeiling(rows, listings, data.Y);
        Assert.InRange(ceiling, 0.85, 1.0);                                    // about 1 − ½·Σ p_c²
    }

    private static double Learn(string kind, string target)
    {
        var task = Task.Value;
        var s = task.Split;
        var (train, val, test) = target == "category"
            ? (task.Category(s.Train), task.Category(s.Val), task.Category(s.Test))
            : (task.Match(s.Train, 1, out _), task.Match(s.Val, 2, out _), task.Match(s.Test, 3, out _));
        var model = LmfModels.Build(kind, task.Dims, test.Classes, new Rng(8), rank: 4);
        Trainer.Fit(model, new Adam(model.Parameters(), lr: 3e-3f), train, val, new TrainOptions { Epochs = 15, BatchSize = 64, Seed = 9, Patience = 4 });
        return ClassificationReport.From(test.Y, Trainer.Predict(model, test).Labels, test.Classes).Accuracy;
    }

    [Theory]
    [InlineData("late")]
    [InlineData("concat")]
    [InlineData("tfn")]
    [InlineData("lmf")]
    public void EveryModel_LearnsTheCategory(string kind)
    {
        double accuracy = Learn(kind, "category");
        Assert.True(accuracy > 0.8, $"{kind}: category accuracy {accuracy:0.000} (chance 0.1)");
    }

    [Fact]
    public void Match_IsLearnedByInteractingModels_NotByLateFusion()
    {
        double late = Learn("late", "match"), tfn = Learn("tfn", "match"), lmf = Learn("lmf", "match"), concat = Learn("concat", "match");
        // late fusion averages per-modality predictions, each of which is independent of the label
        Assert.InRange(late, 0.4, 0.6);
        Assert.True(Math.Min(tfn, lmf) > 0.7 && concat > 0.6, $"match accuracy: tfn {tfn:0.000}, lmf {lmf:0.000}, concat {concat:0.000}, late {late:0.000}");
    }
}

public class TrimodalCeilingTests
{
    [Fact]
    public void ClassCeiling_IsWhatAnOracleOnTheNoiseFreeTargetScores()
    {
        var world = TrimodalWorld.Generate(new TrimodalWorldOptions { Samples = 20_000, Dims = [4, 4, 4], Seed = 12 });
        double ceiling = world.ClassCeiling();
        // the Bayes rule with the noise-free signal: the most probable class under N(signal, σ²)
        int correct = 0;
        for (int n = 0; n < world.Samples; n++)
        {
            var p = world.ClassProbabilities(world.Signal[n]);
            if (Array.IndexOf(p, p.Max()) == world.Class[n]) correct++;
        }
        double oracle = correct / (double)world.Samples;
        Assert.InRange(oracle, ceiling - 0.015, ceiling + 0.015);
        Assert.InRange(ceiling, 0.70, 0.82);                                   // far from 1: the quartile target is noisy
        Assert.All(world.Signal.Select(world.ClassProbabilities), p => Assert.InRange(p.Sum(), 1 - 1e-9, 1 + 1e-9));
        Assert.Equal(1.0, TrimodalWorld.Generate(world.Options with { TargetNoise = 0, Samples = 100 }).ClassCeiling());
    }

    [Fact]
    public void ThresholdAccuracy_CountsPredictionsInTheRightQuartile()
    {
        float[] thresholds = [-1, 0, 1];
        Assert.Equal(0.75, LmfExperiment.ThresholdAccuracy([-2f, -0.5f, 0.5f, 2f], thresholds, [0, 1, 2, 2]));
    }
}
