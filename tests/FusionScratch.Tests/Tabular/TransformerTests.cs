using FusionScratch.Models.Tabular;
using FusionScratch.Models.Tabular.Transformers;

namespace FusionScratch.Tests.Tabular;

public class TransformerTests
{
    private static Table Train() => new(
        new DoubleColumn("year", [2010, double.NaN, 2012, 2014, 2011]),
        new Int64Column("price", [10, 20, 30, 0, 40], [true, true, true, false, true]),
        new CategoricalColumn("gender", [0, 1, 0, -1, 2], ["Men", "Women", "Unisex"]),
        new StringColumn("name", ["Nike Men's  T-Shirt!", "Puma  Women Shoes", null, "nike cap", "ADIDAS-T-Shirt"]),
        new StringColumn("label", ["shirt", "shoe", "shirt", "cap", "shirt"]));

    /// <summary>A test split with extreme values: if any statistic leaked from it, the outputs would show it.</summary>
    private static Table Test() => new(
        new DoubleColumn("year", [double.NaN, 1e9]),
        new Int64Column("price", [0, 1_000_000], [false, true]),
        new CategoricalColumn("gender", [0, 1], ["Girls", "Men"]),
        new StringColumn("name", ["zebra zebra shirt", null]),
        new StringColumn("label", ["cap", "shirt"]));

    [Fact]
    public void MedianAndMeanImputer_FillWithTrainStatisticsOnly()
    {
        var median = new MedianImputer("year", "price");
        median.Fit(Train());
        Assert.Equal([2011.5, 25], median.FillValues);
        Table t = median.Transform(Test());
        Assert.Equal([2011.5, 1e9], t.Column<DoubleColumn>("year").Values.ToArray());
        Assert.Equal([25, 1e6], t.Column<DoubleColumn>("price").Values.ToArray());
        median.Transform(Train());
        Assert.Equal([2011.5, 25], median.FillValues);                        // Transform never refits

        var mean = new MeanImputer("year");
        mean.Fit(Train());
        Assert.Equal(2011.75, mean.Transform(Test()).Column<DoubleColumn>("year")[0]);
        Assert.Contains("no values to fit", Assert.Throws<TabularException>(() => new MeanImputer("x").Fit(new Table(new DoubleColumn("x", [double.NaN])))).Message);
        Assert.Contains("call Fit before Transform", Assert.Throws<TabularException>(() => new MeanImputer("year").Transform(Test())).Message);
    }

    [Fact]
    public void ConstantImputer_FillsStringAndCategory()
    {
        Table t = new ConstantImputer("gender", "name").FitTransform(Train());
        Assert.Equal("Unknown", t.Column<CategoricalColumn>("gender").ValueAt(3));
        Assert.Equal("Unknown", t.Column<StringColumn>("name")[2]);
        Assert.Equal(0, t["gender"].MissingCount());
        Assert.Equal("n/a", new ConstantImputer("name") { Value = "n/a" }.FitTransform(Train()).Column<StringColumn>("name")[2]);
        Assert.Throws<TabularException>(() => new ConstantImputer("year").Fit(Train()));
    }

    [Fact]
    public void TextCleanerAndWordCount_CleanAndCount()
    {
        Assert.Equal("nike mens tshirt", TextClean.Clean("  Nike Men's  T-Shirt! "));
        Table t = new Pipeline(new TextCleaner("name"), new WordCount("name")).FitTransform(Train());
        Assert.Equal(["nike mens tshirt", "puma women shoes", null, "nike cap", "adidastshirt"], t.Column<StringColumn>("name").Values.ToArray().ToList());
        Assert.Equal([3, 3, 0, 2, 1], t.Column<Int32Column>("name_words").Values.ToArray());
        var merged = new TextCleaner("g").FitTransform(new Table(new CategoricalColumn("g", [0, 1, 2], ["Men", "men!", "Women"])));
        Assert.Equal(["men", "women"], merged.Column<CategoricalColumn>("g").Categories);
    }

    [Fact]
    public void OneHot_UnknownAndMissingGoToBucket_CategoriesFromTrainOnly()
    {
        var oneHot = new OneHotEncoder("gender");
        oneHot.Fit(Train());
        Assert.Equal(["Men", "Unisex", "Women"], oneHot.CategoriesOf(0));
        var v = oneHot.Transform(Test()).Column<VectorColumn>("gender_onehot");
        Assert.Equal(["gender=Men", "gender=Unisex", "gender=Women", "gender=<unknown>"], v.FeatureNames);
        Assert.Equal([0f, 0, 0, 1], v.Row(0).ToArray());                       // "Girls": seen only in test
        Assert.Equal([1f, 0, 0, 0], v.Row(1).ToArray());
        var train = oneHot.Transform(Train()).Column<VectorColumn>("gender_onehot");
        Assert.Equal([0f, 0, 0, 1], train.Row(3).ToArray());                   // missing
        var top1 = new OneHotEncoder("gender") { MaxCategories = 1 };
        top1.Fit(Train());
        Assert.Equal(["Men"], top1.CategoriesOf(0));
    }

    [Fact]
    public void StandardScaler_UsesTrainMeanStd_AndHandlesZeroStd()
    {
        var train = new Table(new DoubleColumn("a", [1, 2, 3, double.NaN]), new Int32Column("c", [5, 5, 5, 5]));
        var scaler = new StandardScaler("a", "c");
        scaler.Fit(train);
        Assert.Equal(2, scaler.Means[0]);
        Assert.Equal(Math.Sqrt(2.0 / 3), scaler.Stds[0], 12);
        Table t = scaler.Transform(new Table(new DoubleColumn("a", [2, 100, double.NaN]), new Int32Column("c", [5, 6, 5])));
        Assert.Equal(0, t.Column<DoubleColumn>("a")[0]);
        Assert.Equal(98 / Math.Sqrt(2.0 / 3), t.Column<DoubleColumn>("a")[1], 9);
        Assert.True(t["a"].IsMissing(2));
        Assert.Equal([0, 1, 0], t.Column<DoubleColumn>("c").Values.ToArray());
    }

    [Fact]
    public void LabelEncoder_StableOrder_UnknownAndMissingAreErrors()
    {
        var enc = new LabelEncoder("label");
        enc.Fit(Train());
        Assert.Equal(["cap", "shirt", "shoe"], enc.Classes);
        Assert.Equal([0, 1], enc.Transform(Test()).Column<Int32Column>("label").Values.ToArray());
        Assert.Equal("shoe", enc.Decode(2));
        var unknown = Assert.Throws<TabularException>(() => enc.Transform(new Table(new StringColumn("label", ["cap", "hat"]))));
        Assert.Contains("row 1 has label 'hat', which was not seen in Fit", unknown.Message);
        Assert.Contains("row 0 has no label", Assert.Throws<TabularException>(() => enc.Transform(new Table(new StringColumn("label", [null])))).Message);
        Assert.Throws<TabularException>(() => enc.Encode("hat"));
        Assert.Throws<TabularException>(() => enc.Decode(3));
    }

    [Fact]
    public void BagOfWords_VocabularyFromTrain_TopKWithOrdinalTies()
    {
        var bow = new BagOfWords("name", topK: 3);
        bow.Fit(Train());
        // nike 2, then adidastshirt/cap/mens/puma/shoes/tshirt/women 1 each: ties go to the smaller word
        Assert.Equal(["nike", "adidastshirt", "cap"], bow.Vocabulary);
        var v = bow.Transform(Test()).Column<VectorColumn>("name_bow");
        Assert.Equal([0f, 0, 0], v.Row(0).ToArray());                          // "zebra" is not in the train vocabulary
        Assert.Equal(["name:nike", "name:adidastshirt", "name:cap"], v.FeatureNames);
        Assert.Equal([1f, 0, 0], bow.Transform(Train()).Column<VectorColumn>("name_bow").Row(0).ToArray());
    }

    [Fact]
    public void HashedText_IsFnv1aAndStable()
    {
        Assert.Equal(0x811C9DC5u, HashedTextFeatures.Fnv1a([]));
        Assert.Equal(0xE40C292Cu, HashedTextFeatures.Fnv1a("a"u8));             // published FNV-1a test vector
        var h = new HashedTextFeatures("name", 16);
        var v = h.FitTransform(Test()).Column<VectorColumn>("name_hash");
        Assert.Equal(2f, v.Row(0)[h.Bucket("zebra")] - (h.Bucket("zebra") == h.Bucket("shirt") ? 1 : 0));
        Assert.Equal(3f, v.Row(0).ToArray().Sum());
        Assert.Equal(0f, v.Row(1).ToArray().Sum());
    }

    [Fact]
    public void Pipeline_FitsOnTrainOnly_AndBuildsFeatureMatrix()
    {
        var pipeline = new Pipeline(
            new MedianImputer("year"), new StandardScaler("year"),
            new ConstantImputer("gender"), new OneHotEncoder("gender"));
        pipeline.Fit(Train());
        Table before = pipeline.Transform(Test());
        pipeline.Transform(Train());
        Table again = pipeline.Transform(Test());
        FeatureMatrix m = FeatureMatrix.From(again, "year", "gender_onehot");
        Assert.Equal(["year", "gender=Men", "gender=Unisex", "gender=Unknown", "gender=Women", "gender=<unknown>"], m.Names);
        Assert.Equal(2, m.Rows);
        var scaler = (StandardScaler)pipeline.Stages[1];
        Assert.Equal(2011.7, scaler.Means[0], 9);                               // train after imputation: 2010, 2011.5, 2012, 2014, 2011
        Assert.Equal((float)((2011.5 - 2011.7) / scaler.Stds[0]), m.Row(0)[0], 5);   // the train median, scaled by train statistics
        Assert.Equal(1f, m.Row(0)[^1]);                                         // "Girls"
        Assert.Equal(FeatureMatrix.From(before, "year", "gender_onehot").Data, m.Data);
        var e = Assert.Throws<TabularException>(() => FeatureMatrix.From(Test(), "year"));
        Assert.Contains("missing at row 0", e.Message);
        Assert.Throws<TabularException>(() => FeatureMatrix.From(Test(), "gender"));
    }
}
