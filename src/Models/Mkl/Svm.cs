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
// How it is made fast (each change keeps the numbers: the same α, iterations and support vectors
// as the plain loop — and as libsvm on the 5 000-digit bench, `fusion bench svm`):
//   1. Rows on demand (GramRows). A one-vs-one machine used to copy its whole sub-Gram K[idx, idx]
//      out of the training Gram first: on 5 000 digits, 45 gathers of ~1 000² floats cost five
//      times the solving. SMO reads only the rows i and j it picks, mostly the same few hundred
//      again and again, so a machine now gathers a row the first time it is asked for and keeps
//      it (libsvm's kernel cache, with no eviction: it never holds more than the copy did).
//   2. The score m_t = −y_t G_t is stored instead of G. Both selections read −y_t G_t, and the
//      update G_t += y_t(…) becomes m_t −= (…): no sign products in the loops; G is recovered at
//      the end. Negation and products with ±1 are exact, so every value is bit-for-bit the same.
//   3. I_up and I_low as additive penalties: up_t = 0 inside I_up, −∞ outside (low_t = 0 or +∞).
//      Only α_i and α_j move in a step, so only two entries change per iteration, and the passes
//      become branch-free arithmetic (m_t + up_t is −∞ outside I_up) that System.Numerics vectors
//      evaluate four doubles at a time, reading the float Gram rows widened to double.
//   4. One sweep for "update m, then pick the next i": the update of step k and the argmax of
//      step k+1 read the same m, so they share one pass over memory.
//   5. The solver, its three passes and the row gather are compiled fully optimised on first call
//      (AggressiveOptimization): tiered compilation would otherwise run them as unoptimised tier-0
//      code (vector operations as calls) through the first seconds of a process — in a one-shot
//      fit, that is the whole fit.
// The vector passes keep the scalar rules exactly: ties go to the last index (as libsvm), a ≤ 0 is
// replaced by τ, and there is no fused multiply-add. Each helper ends with the scalar loop it
// vectorises (its tail), which is also the whole computation for n below the vector width.
//
// Not here (said plainly): no shrinking (libsvm's heuristic of dropping bounded α from the passes)
// and no cache eviction — the Gram matrix is precomputed and whole (MKL needs every K_m anyway).

using System.Numerics;
using System.Runtime.CompilerServices;

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
        if (!k.IsSquare || k.Rows != y.Length) throw new ArgumentException($"smo: Gram is {k.Rows}×{k.Cols} for {y.Length} labels");
        using var rows = new GramRows(k, null);
        return Solve(rows, y, options, warmStart);
    }

    /// <summary>
    /// Solves the binary machine on the points <paramref name="index"/> of the square Gram
    /// <paramref name="k"/> (e.g. the two classes of a one-vs-one pair), as on K[index, index] but
    /// gathering only the rows SMO reads; α is indexed like <paramref name="index"/>.
    /// </summary>
    public static SmoResult Solve(Gram k, int[] index, ReadOnlySpan<sbyte> y, SmoOptions options, double[]? warmStart = null)
    {
        if (!k.IsSquare) throw new ArgumentException($"smo: Gram is {k.Rows}×{k.Cols}, not square");
        if (index.Length != y.Length) throw new ArgumentException($"smo: {index.Length} points for {y.Length} labels");
        using var rows = new GramRows(k, index);
        return Solve(rows, y, options, warmStart);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static SmoResult Solve(GramRows k, ReadOnlySpan<sbyte> y, SmoOptions options, double[]? warmStart)
    {
        int n = y.Length;
        double C = options.C, eps = options.Tolerance;
        if (!(C > 0)) throw new ArgumentOutOfRangeException(nameof(options), C, "smo: C must be > 0");
        long maxIter = options.MaxIterations > 0 ? options.MaxIterations : Math.Max(10_000_000L, 100L * n);

        var yv = y.ToArray();
        var alpha = new double[n];
        // m_t = −y_t G_t; at α = 0, G = −1, so m = y.
        var m = new double[n];
        for (int t = 0; t < n; t++) m[t] = yv[t];
        if (warmStart is not null)
        {
            if (warmStart.Length != n) throw new ArgumentException($"smo: warm start has {warmStart.Length} values for {n} points");
            for (int t = 0; t < n; t++) alpha[t] = Math.Clamp(warmStart[t], 0, C);
            // G_t = −1 + y_t Σ_s α_s y_s K_ts, over the support vectors only; m_t −= α_s y_s K_ts.
            for (int s = 0; s < n; s++)
            {
                if (alpha[s] == 0) continue;
                double a = alpha[s] * yv[s];
                var row = k.Row(s);
                for (int t = 0; t < n; t++) m[t] -= a * row[t];
            }
        }
        var diag = k.Diagonal();
        // The index sets as penalties: up[t] = 0 if t ∈ I_up else −∞; low[t] = 0 if t ∈ I_low else +∞.
        var up = new double[n];
        var low = new double[n];
        void SetSets(int t)
        {
            up[t] = (yv[t] > 0 ? alpha[t] < C : alpha[t] > 0) ? 0 : double.NegativeInfinity;
            low[t] = (yv[t] > 0 ? alpha[t] > 0 : alpha[t] < C) ? 0 : double.PositiveInfinity;
        }
        for (int t = 0; t < n; t++) SetSets(t);

        long iter = 0;
        double gap = double.PositiveInfinity;
        bool converged = false;
        // ── working set: i by the largest violation (here for the first step; later fused with the update)
        var (i, gMax) = ArgMaxUp(m, up);
        while (iter < maxIter)
        {
            if (i < 0) { converged = true; gap = 0; break; }
            // ── … and j by the second-order gain ─────────────────────────────────────────────────
            var ki = k.Row(i);
            double kii = diag[i];
            int j = SelectJ(m, low, diag, ki, kii, gMax, out double gMax2);
            gap = gMax + gMax2;
            if (gap < eps || j < 0) { converged = true; break; }
            iter++;

            // ── the two-variable subproblem, solved exactly and clipped to [0, C]² ─────────────
            var kj = k.Row(j);
            double quad = kii + diag[j] - 2 * ki[j];
            if (quad <= 0) quad = SmoOptions.Tau;
            double oldI = alpha[i], oldJ = alpha[j];
            (alpha[i], alpha[j]) = SolvePair(oldI, oldJ, -yv[i] * m[i], -yv[j] * m[j], yv[i] != yv[j], quad, C);
            SetSets(i);
            SetSets(j);

            // ── G += Q_:i Δα_i + Q_:j Δα_j, i.e. m_t −= y_i K_ti Δα_i + y_j K_tj Δα_j; then the next i ──
            double di = (alpha[i] - oldI) * yv[i], dj = (alpha[j] - oldJ) * yv[j];
            (i, gMax) = UpdateAndArgMaxUp(m, up, ki, kj, di, dj);
        }

        var G = new double[n];
        for (int t = 0; t < n; t++) G[t] = -yv[t] * m[t];
        double objective = 0;
        // f(α) = ½αᵀQα − Σα = ½ Σ_t α_t (G_t − 1), since αᵀG = αᵀQα − Σα.
        for (int t = 0; t < n; t++) objective += alpha[t] * (G[t] - 1);
        objective *= 0.5;
        return new SmoResult(alpha, Rho(alpha, G, yv, C), objective, iter, converged, gap);
    }

    /// <summary>
    /// The two-variable subproblem along the direction that keeps Σ y α: the exact minimiser for
    /// α_i, α_j given their gradients G_i, G_j and quad = K_ii + K_jj − 2K_ij, clipped to [0, C]².
    /// </summary>
    internal static (double Ai, double Aj) SolvePair(double oldI, double oldJ, double gi, double gj, bool opposite, double quad, double C)
    {
        if (opposite)
        {
            // α_i − α_j stays constant; both move by the same δ.
            double delta = (-gi - gj) / quad, diff = oldI - oldJ;
            double ai = oldI + delta, aj = oldJ + delta;
            if (diff > 0) { if (aj < 0) { aj = 0; ai = diff; } }
            else if (ai < 0) { ai = 0; aj = -diff; }
            if (diff > 0) { if (ai > C) { ai = C; aj = C - diff; } }
            else if (aj > C) { aj = C; ai = C + diff; }
            return (ai, aj);
        }
        else
        {
            // α_i + α_j stays constant; one gains what the other loses.
            double delta = (gi - gj) / quad, sum = oldI + oldJ;
            double ai = oldI - delta, aj = oldJ + delta;
            if (sum > C) { if (ai > C) { ai = C; aj = sum - C; } }
            else if (aj < 0) { aj = 0; ai = sum; }
            if (sum > C) { if (aj > C) { aj = C; ai = sum - C; } }
            else if (ai < 0) { ai = 0; aj = sum; }
            return (ai, aj);
        }
    }

    /// <summary>argmax_t m_t + up_t (the last index on ties) and its value; (−1, −∞) when I_up is empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int Index, double Value) ArgMaxUp(ReadOnlySpan<double> m, ReadOnlySpan<double> up)
    {
        int n = m.Length, w = Vector<double>.Count, t = 0;
        var best = new Best(double.NegativeInfinity);
        for (; t <= n - w; t += w)
            best.KeepLarger(new Vector<double>(m[t..]) + new Vector<double>(up[t..]), t);
        var (index, value) = best.Largest();
        for (; t < n; t++)
            if (m[t] + up[t] >= value) (index, value) = (t, m[t] + up[t]);
        return double.IsNegativeInfinity(value) ? (-1, value) : (index, value);
    }

    /// <summary>
    /// m_t −= di·K_it + dj·K_jt for every t, and in the same sweep the next i: argmax_t m_t + up_t
    /// (the last index on ties) and its value; (−1, −∞) when I_up is empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int Index, double Value) UpdateAndArgMaxUp(Span<double> m, ReadOnlySpan<double> up,
        ReadOnlySpan<float> ki, ReadOnlySpan<float> kj, double di, double dj)
    {
        int n = m.Length, w = Vector<double>.Count, t = 0;
        var best = new Best(double.NegativeInfinity);
        var vdi = new Vector<double>(di);
        var vdj = new Vector<double>(dj);
        // Eight floats of each row per step, widened to two vectors of four doubles.
        for (; t <= n - 2 * w; t += 2 * w)
        {
            Vector.Widen(new Vector<float>(ki[t..]), out var ki0, out var ki1);
            Vector.Widen(new Vector<float>(kj[t..]), out var kj0, out var kj1);
            var m0 = new Vector<double>(m[t..]) - (vdi * ki0 + vdj * kj0);
            var m1 = new Vector<double>(m[(t + w)..]) - (vdi * ki1 + vdj * kj1);
            m0.CopyTo(m[t..]);
            m1.CopyTo(m[(t + w)..]);
            best.KeepLarger(m0 + new Vector<double>(up[t..]), t);
            best.KeepLarger(m1 + new Vector<double>(up[(t + w)..]), t + w);
        }
        var (index, value) = best.Largest();
        for (; t < n; t++)
        {
            m[t] -= di * ki[t] + dj * kj[t];
            if (m[t] + up[t] >= value) (index, value) = (t, m[t] + up[t]);
        }
        return double.IsNegativeInfinity(value) ? (-1, value) : (index, value);
    }

    /// <summary>
    /// WSS2's j: over t ∈ I_low with b_t = gMax − m_t &gt; 0, the smallest −b_t²/a_t (the last index
    /// on ties), a_t = K_ii + K_tt − 2K_it (τ if ≤ 0); −1 if none. Also −M(α) = max_{I_low} −m_t.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SelectJ(ReadOnlySpan<double> m, ReadOnlySpan<double> low, ReadOnlySpan<double> diag,
        ReadOnlySpan<float> ki, double kii, double gMax, out double gMax2)
    {
        int n = m.Length, w = Vector<double>.Count, t = 0;
        var best = new Best(double.PositiveInfinity);
        var vMax2 = new Vector<double>(double.NegativeInfinity);
        var vGMax = new Vector<double>(gMax);
        var vKii = new Vector<double>(kii);
        for (; t <= n - 2 * w; t += 2 * w)
        {
            Vector.Widen(new Vector<float>(ki[t..]), out var ki0, out var ki1);
            var mt0 = new Vector<double>(m[t..]) + new Vector<double>(low[t..]);             // +∞ outside I_low
            var mt1 = new Vector<double>(m[(t + w)..]) + new Vector<double>(low[(t + w)..]);
            vMax2 = Vector.MaxNative(vMax2, Vector.MaxNative(-mt0, -mt1));
            best.KeepSmaller(Gain(mt0, new Vector<double>(diag[t..]), ki0, vGMax, vKii), t);
            best.KeepSmaller(Gain(mt1, new Vector<double>(diag[(t + w)..]), ki1, vGMax, vKii), t + w);
        }
        var (j, bestGain) = best.Smallest();
        gMax2 = double.NegativeInfinity;
        for (int l = 0; l < w; l++) gMax2 = Math.Max(gMax2, vMax2[l]);
        for (; t < n; t++)
        {
            double mt = m[t] + low[t];
            if (-mt > gMax2) gMax2 = -mt;
            double b = gMax - mt;
            if (b <= 0) continue;
            double a = kii + diag[t] - 2 * ki[t];
            if (a <= 0) a = SmoOptions.Tau;
            double gain = -b * b / a;
            if (gain <= bestGain) (j, bestGain) = (t, gain);
        }
        return double.IsPositiveInfinity(bestGain) ? -1 : j;
    }

    /// <summary>SelectJ's −b²/a for four t at once, +∞ where b ≤ 0 (outside I_low, b = −∞).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Gain(Vector<double> mt, Vector<double> diagT, Vector<double> kiT, Vector<double> gMax, Vector<double> kii)
    {
        var b = gMax - mt;
        var a = kii + diagT - new Vector<double>(2.0) * kiT;
        a = Vector.ConditionalSelect(Vector.LessThanOrEqual(a, Vector<double>.Zero), new Vector<double>(SmoOptions.Tau), a);
        return Vector.ConditionalSelect(Vector.GreaterThan(b, Vector<double>.Zero), -b * b / a, new Vector<double>(double.PositiveInfinity));
    }

    /// <summary>
    /// A running arg-max (or arg-min) per vector lane: the best value each lane has seen and its
    /// index, a later index replacing an equal value, so that reducing the lanes (ties to the
    /// larger index) gives the last best index, as a scalar loop with ≥ (≤) would.
    /// </summary>
    private struct Best(double start)
    {
        private Vector<double> value = new(start);
        private Vector<long> index = new(-1);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void KeepLarger(Vector<double> v, int at) => Keep(Vector.GreaterThanOrEqual(v, value), v, at);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void KeepSmaller(Vector<double> v, int at) => Keep(Vector.LessThanOrEqual(v, value), v, at);

        private void Keep(Vector<long> take, Vector<double> v, int at)
        {
            value = Vector.ConditionalSelect(take, v, value);
            index = Vector.ConditionalSelect(take, new Vector<long>(at) + Vector<long>.Indices, index);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly (int Index, double Value) Largest() => Reduce(value, index, +1);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly (int Index, double Value) Smallest() => Reduce(value, index, -1);

        // Static, on copies: a call on the struct itself would pin it to memory in the loops that use it.
        private static (int, double) Reduce(Vector<double> value, Vector<long> index, int sign)
        {
            int bi = (int)index[0];
            double bv = value[0];
            for (int l = 1; l < Vector<double>.Count; l++)
            {
                double v = value[l];
                if (sign * v > sign * bv || (v == bv && index[l] > bi)) (bi, bv) = ((int)index[l], v);
            }
            return (bi, bv);
        }
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
