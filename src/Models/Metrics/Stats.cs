// Summary statistics for results over seeds: the mean and the half-width of its 95 % confidence
// interval, mean ± t(0.975, n−1)·s/√n, with the t quantile from MathNet's Student-t (exact for any
// n, where a hand-written table stops at some n and falls back to the normal's 1.96).

using MathNet.Numerics.Distributions;

namespace FusionScratch.Models.Metrics;

public static class Stats
{
    /// <summary>Mean of <paramref name="values"/> and the half-width of its 95 % t interval (NaN for fewer than two values).</summary>
    public static (double Mean, double HalfWidth) MeanCi(IReadOnlyCollection<double> values)
    {
        int n = values.Count;
        if (n == 0) return (double.NaN, double.NaN);
        double mean = values.Average();
        if (n == 1) return (mean, double.NaN);
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        return (mean, StudentT.InvCDF(0, 1, n - 1, 0.975) * sd / Math.Sqrt(n));
    }
}
