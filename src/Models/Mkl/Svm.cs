// Support vector machines on a precomputed Gram matrix: a binary SMO solver with second-order
// working-set selection, and one-vs-rest / one-vs-one multiclass machines built from it.
//
// The binary problem (C-SVC dual, as in libsvm). With labels y_i ∈ {−1, +1}, Q_ij = y_i y_j K_ij:
//     min_α  f(α) = ½ αᵀQα − Σ_i α_i     s.t.  0 ≤ α_i ≤ C,  Σ_i y_i α_i = 0.
// Its gradient is G = Qα − 1. With the index sets
//     I_up(α)  = { t : y_t = +1, α_t < C  or  y_t = −1, α_t > 0 }   (α_t y_t can still grow)
//     I_low(α) = { t : y_t = +1, α_t > 0  or  y_t = −1, α_t < C }   (α_t y_t can still shrink)
// α is optimal (KKT) iff m(α) = max_{I_up} −y_t G_t ≤ M(α) = min_{I_low} −y_t G_t; SMO stops when
// m − M ≤ ε (the "KKT tolerance"; libsvm's default ε = 1e-3).
//
// Each iteration changes two coordinates, i and j, along the only direction that keeps Σ y α = 0.
// Working-set selection "WSS2" (Fan, Chen and Lin, JMLR 2005, the one libsvm uses):
//     i = argmax_{t ∈ I_up} −y_t G_t
//     j = argmin_{t ∈ I_low, −y_t G_t < −y_i G_i} −b_t²/a_t,  b_t = −y_i G_i + y_t G_t > 0,
//                                                              a_t = K_ii + K_tt − 2K_it (τ if ≤ 0)
// i.e. j is the partner giving the largest decrease of f under a second-order (exact, for a
// quadratic) model, not just the largest violation. The two-variable subproblem is then solved
// exactly and clipped to the box. Updating G needs the columns i and j of K only: O(n) per step.
//
// The bias: f(x) = Σ_i α_i y_i k(x_i, x) − ρ, with ρ the average of y_t G_t over the free
// α_t (0 < α_t < C) — at the optimum each free vector lies on the margin — or, with no free α, the
// midpoint of the interval the KKT conditions allow.
//
// Not here (said plainly): no shrinking and no kernel cache — the Gram matrix is precomputed and
// whole (MKL needs every K_m anyway); the sub-Gram of a one-vs-one pair is copied out once.

namespace FusionScratch.Models.Mkl;

/// <summary>SMO settings: the box bound C, the KKT tolerance ε, an iteration cap (0: 10⁷ or 100·n, whichever is larger).</summary>
public sealed record SmoOptions(double C = 1, double Tolerance = 1e-3, long MaxIterations = 0)
{
    /// <summary>The a_t floor of WSS2 when K_ii + K_tt − 2K_it ≤ 0 (a non-PSD or duplicate pair).</summary>
    public const double Tau = 1e-12;
}

/// <summary>The optimum of one binary SVM dual.</summary>
public sealed record SmoResult(double[] Alpha, double Rho, double DualObjective, long Iterations, bool Converged, double KktGap)
{
    /// <summary>The SVM "J" of SimpleMKL: the maximised dual Σα − ½αᵀQα = −f(α).</summary>
    public double J => -DualObjective;
}

public static class Smo
{
    /// <summary>
    /// Solves the binary C-SVC dual on the square Gram <paramref name="k"/> with labels ±1.
    /// <paramref name="warmStart"/> (a feasible α from a nearby problem, e.g. the previous MKL
    /// step) saves most of the iterations.
    /// </summary>
    public static SmoResult Solve(Gram k, ReadOnlySpan<sbyte> y, SmoOptions options, double[]? warmStart = null)
    {
        int n = y.Length;
        if (!k.IsSquare || k.Rows != n) throw new ArgumentException($"smo: Gram is {k.Rows}×{k.Cols} for {n} labels");
        double C = options.C, eps = options.Tolerance;
        if (!(C > 0)) throw new ArgumentOutOfRangeException(nameof(options), C, "smo: C must be > 0");
        long maxIter = options.MaxIterations > 0 ? options.MaxIterations : Math.Max(10_000_000L, 100L * n);

        var yv = y.ToArray();
        var alpha = new double[n];
        var G = new double[n];
        Array.Fill(G, -1.0);
        if (warmStart is not null)
        {
            if (warmStart.Length != n) throw new ArgumentException($"smo: warm start has {warmStart.Length} values for {n} points");
            for (int t = 0; t < n; t++) alpha[t] = Math.Clamp(warmStart[t], 0, C);
            // G_t = −1 + y_t Σ_s α_s y_s K_ts, over the support vectors only.
            for (int s = 0; s < n; s++)
            {
                if (alpha[s] == 0) continue;
                double a = alpha[s] * yv[s];
                var row = k.Row(s);
                for (int t = 0; t < n; t++) G[t] += yv[t] * a * row[t];
            }
        }
        var diag = new double[n];
        for (int t = 0; t < n; t++) diag[t] = k[t, t];

        long iter = 0;
        double gap = double.PositiveInfinity;
        bool converged = false;
        while (iter < maxIter)
        {
            // ── working set: i by the largest violation, j by the second-order gain ─────────────
            int i = -1;
            double gMax = double.NegativeInfinity;
            for (int t = 0; t < n; t++)
            {
                bool up = yv[t] > 0 ? alpha[t] < C : alpha[t] > 0;
                if (up && -yv[t] * G[t] >= gMax) { gMax = -yv[t] * G[t]; i = t; }
            }
            if (i < 0) { converged = true; gap = 0; break; }
            var ki = k.Row(i);
            double kii = diag[i];
            int j = -1;
            double gMax2 = double.NegativeInfinity, bestGain = double.PositiveInfinity;
            for (int t = 0; t < n; t++)
            {
                bool low = yv[t] > 0 ? alpha[t] > 0 : alpha[t] < C;
                if (!low) continue;
                double ytGt = yv[t] * G[t];
                if (ytGt > gMax2) gMax2 = ytGt;          // −M(α) = max_{I_low} y_t G_t
                double b = gMax + ytGt;
                if (b <= 0) continue;
                double a = kii + diag[t] - 2 * ki[t];
                if (a <= 0) a = SmoOptions.Tau;
                double gain = -b * b / a;
                if (gain <= bestGain) { bestGain = gain; j = t; }
            }
            gap = gMax + gMax2;
            if (gap < eps || j < 0) { converged = true; break; }
            iter++;

            // ── the two-variable subproblem, solved exactly and clipped to [0, C]² ─────────────
            var kj = k.Row(j);
            double quad = kii + diag[j] - 2 * ki[j];
            if (quad <= 0) quad = SmoOptions.Tau;
            double oldI = alpha[i], oldJ = alpha[j];
            if (yv[i] != yv[j])
            {
                // α_i − α_j stays constant; both move by the same δ.
                double delta = (-G[i] - G[j]) / quad, diff = oldI - oldJ;
                double ai = oldI + delta, aj = oldJ + delta;
                if (diff > 0) { if (aj < 0) { aj = 0; ai = diff; } }
                else if (ai < 0) { ai = 0; aj = -diff; }
                if (diff > 0) { if (ai > C) { ai = C; aj = C - diff; } }
                else if (aj > C) { aj = C; ai = C + diff; }
                (alpha[i], alpha[j]) = (ai, aj);
            }
            else
            {
                // α_i + α_j stays constant; one gains what the other loses.
                double delta = (G[i] - G[j]) / quad, sum = oldI + oldJ;
                double ai = oldI - delta, aj = oldJ + delta;
                if (sum > C) { if (ai > C) { ai = C; aj = sum - C; } }
                else if (aj < 0) { aj = 0; ai = sum; }
                if (sum > C) { if (aj > C) { aj = C; ai = sum - C; } }
                else if (ai < 0) { ai = 0; aj = sum; }
                (alpha[i], alpha[j]) = (ai, aj);
            }

            // ── G += Q_:i Δα_i + Q_:j Δα_j, i.e. G_t += y_t (y_i K_ti Δα_i + y_j K_tj Δα_j) ────────
            double di = (alpha[i] - oldI) * yv[i], dj = (alpha[j] - oldJ) * yv[j];
            for (int t = 0; t < n; t++) G[t] += yv[t] * (di * ki[t] + dj * kj[t]);
        }

        double objective = 0;
        // f(α) = ½αᵀQα − Σα = ½ Σ_t α_t (G_t − 1), since αᵀG = αᵀQα − Σα.
        for (int t = 0; t < n; t++) objective += alpha[t] * (G[t] - 1);
        objective *= 0.5;
        return new SmoResult(alpha, Rho(alpha, G, yv, C), objective, iter, converged, gap);
    }

    /// <summary>ρ: the mean of y_t G_t over free α_t, or the middle of the interval the bounds allow.</summary>
    private static double Rho(double[] alpha, double[] G, sbyte[] y, double C)
    {
        double ub = double.PositiveInfinity, lb = double.NegativeInfinity, sum = 0;
        int free = 0;
        for (int t = 0; t < alpha.Length; t++)
        {
            double yg = y[t] * G[t];
            if (alpha[t] >= C) { if (y[t] < 0) ub = Math.Min(ub, yg); else lb = Math.Max(lb, yg); }
            else if (alpha[t] <= 0) { if (y[t] > 0) ub = Math.Min(ub, yg); else lb = Math.Max(lb, yg); }
            else { free++; sum += yg; }
        }
        if (free > 0) return sum / free;
        if (double.IsInfinity(ub) && double.IsInfinity(lb)) return 0;
        if (double.IsInfinity(ub)) return lb;
        if (double.IsInfinity(lb)) return ub;
        return (ub + lb) / 2;
    }

    /// <summary>
    /// The largest KKT violation of a solution, in margin units: with f_t = Σ_s α_s y_s K_ts − ρ,
    /// α_t = 0 needs y_t f_t ≥ 1, α_t = C needs y_t f_t ≤ 1, 0 &lt; α_t &lt; C needs y_t f_t = 1;
    /// and |Σ y α| (the equality constraint). 0 means exactly optimal.
    /// </summary>
    public static double KktViolation(Gram k, ReadOnlySpan<sbyte> y, SmoResult r, double C)
    {
        int n = y.Length;
        double balance = 0;
        for (int t = 0; t < n; t++) balance += r.Alpha[t] * y[t];
        double worst = Math.Abs(balance);
        for (int t = 0; t < n; t++)
        {
            double f = -r.Rho;
            for (int s = 0; s < n; s++) f += r.Alpha[s] * y[s] * k[t, s];
            double margin = y[t] * f, v;
            double a = r.Alpha[t];
            if (a <= 1e-12 * C) v = Math.Max(0, 1 - margin);
            else if (a >= C * (1 - 1e-12)) v = Math.Max(0, margin - 1);
            else v = Math.Abs(margin - 1);
            worst = Math.Max(worst, v);
        }
        return worst;
    }
}
