// Kernel weights without an SVM in the loop — the fast alternatives to SimpleMKL, and the baseline:
//   Uniform  d_m = 1/M: the average kernel, the baseline every MKL method must beat.
//   Cka      centred kernel alignment with the labels (Cortes, Mohri and Rostamizadeh, JMLR 2012,
//            their "align" method: each kernel scored on its own), d ∝ max(ρ_m, 0) on the simplex:
//              ρ_m = ⟨K_m^c, K_Y^c⟩_F / (‖K_m^c‖_F ‖K_Y^c‖_F),  K^c = HKH,  K_Y = Y Yᵀ (one-hot Y).
//            One O(n²) pass per kernel, no QP.
//   EasyMkl  Aiolli and Donini (Neurocomputing 2015): one QP per binary task on the average kernel
//              min_γ (1−λ) γᵀ Y K̄ Y γ + λ‖γ‖²   s.t. γ ≥ 0, Σ_{y_i=+1} γ_i = 1, Σ_{y_i=−1} γ_i = 1
//            (γ is a distribution on each class: the distance between the convex hulls of the two
//            classes in feature space, regularised), then closed-form weights η_m ∝ γᵀ Y K_m Y γ.
//            Multiclass: one-vs-rest, η averaged over the classes, put on the simplex (Σ = 1).
//            The QP is solved by pairwise coordinate descent (SMO-like: move mass between two
//            points of the same class, exact step, the pair with the largest gradient gap).
//            The original classifies with KOMD; here every method's weights feed the same SVM.

namespace FusionScratch.Models.Mkl;

public static class FastWeights
{
    public static double[] Uniform(int kernels) => Enumerable.Repeat(1.0 / kernels, kernels).ToArray();

    /// <summary>Centred alignment ρ_m of every base Gram with the one-hot label kernel.</summary>
    public static double[] Alignments(IReadOnlyList<Gram> grams, ReadOnlySpan<int> labels, int classes)
    {
        int n = labels.Length;
        var y = labels.ToArray();
        var counts = new double[classes];
        foreach (int l in y) counts[l]++;
        // ‖K_Y^c‖² = ‖Yᵀ H Y‖² with YᵀHY = diag(n_c) − n_c n_cᵀ/n.
        double ky = 0;
        for (int a = 0; a < classes; a++)
            for (int b = 0; b < classes; b++)
            {
                double v = (a == b ? counts[a] : 0) - counts[a] * counts[b] / n;
                ky += v * v;
            }
        var rho = new double[grams.Count];
        MulticlassSvm.EachInParallel(grams.Count, m =>
        {
            var k = grams[m];
            var mean = new double[n];
            double grand = 0;
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                foreach (float v in k.Row(i)) s += v;
                mean[i] = s / n;
                grand += s;
            }
            grand /= (double)n * n;
            // ⟨K^c, YYᵀ⟩ = Σ over same-class pairs of K^c_ij (H idempotent: ⟨HKH, HYYᵀH⟩ = ⟨HKH, YYᵀ⟩).
            double inner = 0, norm = 0;
            for (int i = 0; i < n; i++)
            {
                var row = k.Row(i);
                for (int j = 0; j < n; j++)
                {
                    double c = row[j] - mean[i] - mean[j] + grand;
                    norm += c * c;
                    if (y[i] == y[j]) inner += c;
                }
            }
            rho[m] = norm > 0 ? inner / Math.Sqrt(norm * ky) : 0;
        });
        return rho;
    }

    /// <summary>CKA weights: alignments clipped at 0 and scaled to sum 1 (uniform if none is positive).</summary>
    public static double[] Cka(IReadOnlyList<Gram> grams, ReadOnlySpan<int> labels, int classes)
    {
        var rho = Alignments(grams, labels, classes).Select(r => Math.Max(r, 0)).ToArray();
        double sum = rho.Sum();
        return sum > 0 ? rho.Select(r => r / sum).ToArray() : Uniform(grams.Count);
    }

    /// <summary>EasyMKL weights (one-vs-rest, averaged); the base Grams should be trace- or unit-diagonal-normalised.</summary>
    public static double[] EasyMkl(IReadOnlyList<Gram> grams, ReadOnlySpan<int> labels, int classes, double lambda = 0.5, double tolerance = 1e-5)
    {
        if (lambda is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "EasyMKL's λ is in [0, 1]");
        int n = labels.Length, M = grams.Count;
        var y = labels.ToArray();
        // Each K_m scaled to trace n, so the average kernel weighs them equally.
        var scale = grams.Select(g => n / g.Trace()).ToArray();
        var mean = Gram.Combine(grams, scale.Select(s => s / M).ToArray());
        var eta = new double[classes, M];
        MulticlassSvm.EachInParallel(classes, c =>
        {
            var yy = y.Select(l => l == c ? (sbyte)1 : (sbyte)-1).ToArray();
            var gamma = HullDistanceQp(mean, yy, lambda, tolerance);
            for (int m = 0; m < M; m++) eta[c, m] = scale[m] * QuadraticForm(grams[m], yy, gamma);
        });
        var w = new double[M];
        for (int m = 0; m < M; m++)
            for (int c = 0; c < classes; c++) w[m] += eta[c, m] / classes;
        double sum = w.Sum();
        return w.Select(v => v / sum).ToArray();
    }

    /// <summary>γᵀ Y K Y γ.</summary>
    internal static double QuadraticForm(Gram k, sbyte[] y, double[] gamma)
    {
        double total = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (gamma[i] == 0) continue;
            var row = k.Row(i);
            double inner = 0;
            for (int j = 0; j < y.Length; j++) if (gamma[j] != 0) inner += gamma[j] * y[j] * row[j];
            total += gamma[i] * y[i] * inner;
        }
        return total;
    }

    /// <summary>
    /// The EasyMKL QP min γᵀQγ, Q = (1−λ) Y K Y + λI, over γ ≥ 0 summing to 1 on each class, by
    /// pairwise coordinate descent: in the class with the larger gap, move mass from the point with
    /// the largest gradient (and γ &gt; 0) to the one with the smallest, by the exact minimiser.
    /// Stops when max gradient over the support minus min gradient ≤ tolerance in both classes
    /// (the KKT conditions of the two simplex constraints).
    /// </summary>
    internal static double[] HullDistanceQp(Gram k, sbyte[] y, double lambda, double tolerance)
    {
        int n = y.Length;
        int pos = y.Count(v => v > 0), neg = n - pos;
        if (pos == 0 || neg == 0) throw new ArgumentException("EasyMKL: each task needs points of both classes");
        var gamma = y.Select(v => v > 0 ? 1.0 / pos : 1.0 / neg).ToArray();
        // g = ∇(γᵀQγ) = 2Qγ.
        var g = new double[n];
        for (int i = 0; i < n; i++)
        {
            var row = k.Row(i);
            double s = 0;
            for (int j = 0; j < n; j++) s += y[j] * gamma[j] * row[j];
            g[i] = 2 * ((1 - lambda) * y[i] * s + lambda * gamma[i]);
        }
        long maxIter = 200L * n;
        for (long iter = 0; iter < maxIter; iter++)
        {
            // For each class: lo = argmin g (gets mass), hi = argmax g with γ > 0 (gives mass).
            int bestLo = -1, bestHi = -1;
            double bestGap = tolerance;
            foreach (sbyte cls in (ReadOnlySpan<sbyte>)[1, -1])
            {
                int lo = -1, hi = -1;
                for (int t = 0; t < n; t++)
                {
                    if (y[t] != cls) continue;
                    if (lo < 0 || g[t] < g[lo]) lo = t;
                    if (gamma[t] > 0 && (hi < 0 || g[t] > g[hi])) hi = t;
                }
                if (lo >= 0 && hi >= 0 && g[hi] - g[lo] > bestGap) (bestGap, bestLo, bestHi) = (g[hi] - g[lo], lo, hi);
            }
            if (bestLo < 0) break;
            int a = bestLo, b = bestHi;
            // Move δ from b to a (same class, so y_a y_b = 1): f changes by δ(g_a − g_b) + δ²·curv.
            var ka = k.Row(a);
            var kb = k.Row(b);
            double curvature = (1 - lambda) * (ka[a] + kb[b] - 2 * ka[b]) + 2 * lambda;
            double delta = curvature > 0 ? (g[b] - g[a]) / (2 * curvature) : gamma[b];
            delta = Math.Min(delta, gamma[b]);
            gamma[a] += delta;
            gamma[b] -= delta;
            if (gamma[b] < 1e-300) gamma[b] = 0;
            for (int t = 0; t < n; t++)
                g[t] += 2 * delta * ((1 - lambda) * y[t] * y[a] * (ka[t] - kb[t]) + lambda * ((t == a ? 1 : 0) - (t == b ? 1 : 0)));
        }
        return gamma;
    }
}
