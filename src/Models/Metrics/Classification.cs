// Classification metrics: accuracy, the confusion matrix, and per-class precision, recall and F1
// with their macro (unweighted mean over classes) and weighted (by support) averages — the
// numbers every study's report and results.json carry (scikit-learn's definitions, with 0 for a
// class that has no predictions or no true samples, its zero_division=0).

namespace FusionScratch.Models.Metrics;

/// <summary>Precision, recall, F1 and support of one class.</summary>
public readonly record struct ClassScore(double Precision, double Recall, double F1, int Support);

/// <summary>The standard report of a classifier on one split.</summary>
public sealed record ClassificationReport(
    int Classes,
    int Count,
    double Accuracy,
    double MacroPrecision,
    double MacroRecall,
    double MacroF1,
    double WeightedF1,
    IReadOnlyList<ClassScore> PerClass,
    int[,] Confusion)
{
    /// <summary>
    /// Builds the report from true and predicted labels in [0, classes).
    /// Confusion[t, p] counts samples of true class t predicted as p.
    /// </summary>
    public static ClassificationReport From(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, int classes)
    {
        if (truth.Length != predicted.Length)
            throw new ArgumentException($"metrics: {truth.Length} true labels but {predicted.Length} predictions");
        if (classes < 1) throw new ArgumentException($"metrics: classes must be ≥ 1, got {classes}");
        var confusion = new int[classes, classes];
        int correct = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            int t = truth[i], p = predicted[i];
            if ((uint)t >= (uint)classes || (uint)p >= (uint)classes)
                throw new ArgumentException($"metrics: label {t} or prediction {p} at {i} is outside [0, {classes})");
            confusion[t, p]++;
            if (t == p) correct++;
        }

        var perClass = new ClassScore[classes];
        double macroP = 0, macroR = 0, macroF = 0, weightedF = 0;
        for (int c = 0; c < classes; c++)
        {
            int tp = confusion[c, c], support = 0, predictedC = 0;
            for (int k = 0; k < classes; k++)
            {
                support += confusion[c, k];
                predictedC += confusion[k, c];
            }
            double precision = predictedC == 0 ? 0 : tp / (double)predictedC;
            double recall = support == 0 ? 0 : tp / (double)support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassScore(precision, recall, f1, support);
            macroP += precision;
            macroR += recall;
            macroF += f1;
            weightedF += f1 * support;
        }
        int n = truth.Length;
        return new ClassificationReport(classes, n, n == 0 ? 0 : correct / (double)n,
            macroP / classes, macroR / classes, macroF / classes, n == 0 ? 0 : weightedF / n, perClass, confusion);
    }
}
