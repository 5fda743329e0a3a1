// ProductFeatures — the model inputs read from a table in the styles.csv schema (the products
// catalog, or a real folder read by ProductFolder), every statistic fitted on the train rows only
// (Fit on train, Transform on all rows: nothing leaks from validation or test into the features):
//
//   Metadata         year (median-imputed, standardized), the display name's word count
//                    (standardized), one-hot of the categorical attributes (text cleaned first, so
//                    "  CASUAL" and "casual" merge; missing → "unknown"), and optionally the name's
//                    binary bag of words — the products study's metadata input
//   NameBagOfWords   the productDisplayName as word counts over the K most frequent words of the
//                    train rows (BagOfWords with TextClean: lower-cased, punctuation dropped,
//                    trimmed) — the LMF study's text modality
//
// Used by the products study (Metadata with its bag of words) and the LMF study's tri-modal
// products task (Metadata without it, NameBagOfWords as a modality of its own).

using FusionScratch.Models.Tabular;
using FusionScratch.Models.Tabular.Transformers;

namespace FusionScratch.Models.Data;

public static class ProductFeatures
{
    /// <summary>The categorical attributes of the schema that the metadata features one-hot encode.</summary>
    public static readonly string[] CategoricalColumns = ["gender", "masterCategory", "subCategory", "articleType", "baseColour", "season", "usage"];

    /// <summary>The metadata feature matrix of every row of <paramref name="styles"/>, fitted on <paramref name="trainRows"/>; the name's binary bag of words of the top <paramref name="bagOfWords"/> words is appended when it is positive.</summary>
    public static FeatureMatrix Metadata(Table styles, int[] trainRows, int bagOfWords = 0)
    {
        string[] text = [.. CategoricalColumns, "productDisplayName"];
        var stages = new List<ITransformer>
        {
            new TextCleaner(text),                                    // "  CASUAL" → "casual"; messy variants merge
            new WordCount("productDisplayName"),                      // name_length in words (0 when missing)
            new ConstantImputer(CategoricalColumns) { Value = "unknown" },
            new MedianImputer("year"),
            new StandardScaler("year", "productDisplayName_words"),
            new OneHotEncoder(CategoricalColumns),
        };
        if (bagOfWords > 0) stages.Add(new BagOfWords("productDisplayName", bagOfWords) { Binary = true });
        var pipeline = new Pipeline([.. stages]);
        pipeline.Fit(styles.Take(trainRows));
        string[] columns = ["year", "productDisplayName_words", .. CategoricalColumns.Select(c => c + "_onehot")];
        return FeatureMatrix.From(pipeline.Transform(styles), bagOfWords > 0 ? [.. columns, "productDisplayName_bow"] : columns);
    }

    /// <summary>
    /// productDisplayName as counts (or 0/1 when <paramref name="binary"/>) of the <paramref name="topK"/> most
    /// frequent words of the train rows; a name with no vocabulary word, or a missing name, is all zeros. The width is
    /// the vocabulary's size: at most topK, fewer when the train names use fewer distinct words.
    /// </summary>
    public static (FeatureMatrix Features, IReadOnlyList<string> Vocabulary) NameBagOfWords(Table styles, int[] trainRows, int topK, bool binary = false)
    {
        var bow = new BagOfWords("productDisplayName", topK) { Binary = binary };
        bow.Fit(styles.Take(trainRows));
        return (FeatureMatrix.From(bow.Transform(styles), "productDisplayName_bow"), bow.Vocabulary);
    }
}
