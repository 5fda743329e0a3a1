// SimpleMKL (Rakotomamonjy, Bach, Canu and Grandvalet, JMLR 2008) — kernel weights on the simplex
// by reduced-gradient descent on the SVM objective, with our SMO underneath.
//
// Problem. Base Grams K_1 … K_M over the training points, weights d on the simplex
// Δ = {d ≥ 0, Σd = 1}, K(d) = Σ_m d_m K_m. For one binary SVM
//     J(d) = max_α  Σα − ½ αᵀ Y K(d) Y α   s.t. 0 ≤ α ≤ C, yᵀα = 0     (the SVM dual optimum)
// and MKL solves min_{d ∈ Δ} J(d). J is convex in d and, the optimal α* being unique for a
// strictly PD K(d), differentiable (Danskin): ∂J/∂d_m = −½ α*ᵀ Y K_m Y α* = −½ s_m.
// Multiclass: J sums the binary machines' J (one-vs-one or one-vs-rest, shared d), and so do s_m.
//
// One iteration (the derivation, with the Lagrangian and KKT conditions, is in
// SimpleMkl.Lagrangian.md beside this file):
//   1. μ = argmax_m d_m (a weight safely inside the simplex). Reduced gradient: eliminate d_μ
//      through Σd = 1, so the free coordinates see ∂J/∂d_m − ∂J/∂d_μ.
//   2. Descent direction D: D_m = −(∂J/∂d_m − ∂J/∂d_μ) for m ≠ μ, except D_m = 0 where d_m = 0 and
//      the reduced gradient is positive (that weight would go negative); D_μ = −Σ_{m≠μ} D_m,
//      so Σ D = 0 and d + γD stays on the plane Σd = 1.
//   3. Descent to the boundary: take the largest step γmax = min_{D_m<0} −d_m/D_m, which zeroes
//      one weight; while that lowers J, accept it and recompute D on the new face (the gradient is
//      kept, as in the paper) — each J is one SVM solve, warm-started from the last α.
//   4. Line search (golden section) on the last segment [0, γmax] where J stopped falling.
//   5. Stop when the relative duality gap (J(d) − D(α))/J(d) ≤ ε (0.01), where
//      D(α) = Σα − ½ max_m s_m is the MKL dual at the current α: gap = ½(max_m s_m − Σ_m d_m s_m).
//      The gap is 0 exactly when the KKT conditions hold: every active kernel (d_m > 0) has the
//      same s_m (= 2λ, λ the multiplier of Σd = 1) and no inactive kernel has a larger one.
// Every accepted step lowers J, so J falls monotonically (a step that does not is refused).

using System.Diagnostics;

namespace FusionScratch.Models.Mkl;

/// <summary>SimpleMKL settings.</summary>
public sealed record SimpleMklOptions
{
    /// <summary>The SVM box bound.</summary>
    public double C { get; init; } = 10;
    /// <summary>Stop at relative duality gap ≤ this.</summary>
    public double GapTolerance { get; init; } = 0.01;
    public int MaxIterations { get; init; } = 50;
    public MulticlassScheme Scheme { get; init; } = MulticlassScheme.OneVsOne;
    /// <summary>SMO's KKT tolerance; tighter than libsvm's 1e-3 so the gradient is accurate enough for a 1 % gap.</summary>
    public double SmoTolerance { get; init; } = 1e-4;
    /// <summary>J evaluations of the golden-section line search per iteration.</summary>
    public int LineSearchEvaluations { get; init; } = 6;
    /// <summary>Starting weights (default uniform).</summary>
    public double[]? InitialWeights { get; init; }
}

/// <summary>The state at the start of one SimpleMKL iteration.</summary>
public sealed record MklIteration(int Iteration, double Objective, double RelativeGap, double[] Weights, double[] Gradient, int SvmSolves, double Seconds);

/// <summary>
/// The KKT check at a point d: λ = −(mean ∂J/∂d_m over active kernels), the multiplier of Σd = 1;
/// <see cref="ActiveSpread"/> = max over active m of |∂J/∂d_m + λ|/|λ| (0 when all active kernels
/// share one gradient value); <see cref="InactiveViolation"/> = max over inactive m of
/// (−∂J/∂d_m − λ)/|λ|, clipped at 0 (&gt; 0 means an unused kernel would lower J).
/// </summary>
public sealed record KktCheck(double Lambda, double ActiveSpread, double InactiveViolation, int ActiveKernels)
{
    public static KktCheck At(ReadOnlySpan<double> d, ReadOnlySpan<double> gradient, double activeThreshold = 1e-6)
    {
        double sum = 0;
        int active = 0;
        for (int m = 0; m < d.Length; m++) if (d[m] > activeThreshold) { sum += gradient[m]; active++; }
        double lambda = active > 0 ? -sum / active : 0, scale = Math.Max(Math.Abs(lambda), 1e-300);
        double spread = 0, inactive = 0;
        for (int m = 0; m < d.Length; m++)
        {
            if (d[m] > activeThreshold) spread = Math.Max(spread, Math.Abs(gradient[m] + lambda) / scale);
            else inactive = Math.Max(inactive, (-gradient[m] - lambda) / scale);
        }
        return new KktCheck(lambda, spread, inactive, active);
    }
}

/// <summary>What an MKL method returns: the weights, the SVM trained on K(weights), and how it got there.</summary>
public sealed record MklResult(
    string Method, double[] Weights, MulticlassSvm Svm, IReadOnlyList<MklIteration> History,
    bool Converged, string StopReason, int SvmSolves, double Seconds, KktCheck? Kkt, double RelativeGap);

public static class SimpleMkl
{
    /// <summary>
    /// Weights at or below this are zero. Without it a weight left at 1e-18 by rounding counts as
    /// active: the direction then pulls on it, the step to the boundary is 1e-20 long, and the
    /// descent stalls at a point that is not optimal.
    /// </summary>
    public const double ZeroWeight = 1e-10;

    /// <summary>Back onto the simplex, with weights below <see cref="ZeroWeight"/> set to exactly 0.</summary>
    public static double[] Clean(ReadOnlySpan<double> d)
    {
        var p = SimplexProjection.Project(d);
        for (int m = 0; m < p.Length; m++) if (p[m] <= ZeroWeight) p[m] = 0;
        double sum = p.Sum();
        for (int m = 0; m < p.Length; m++) p[m] /= sum;
        return p;
    }

    /// <summary>J(d) and its SVM: one multiclass solve on K(d).</summary>
    public static MulticlassSvm Solve(IReadOnlyList<Gram> grams, ReadOnlySpan<double> d, ReadOnlySpan<int> labels, int classes,
        SimpleMklOptions options, MulticlassSvm? warmStart = null, Gram? buffer = null) =>
        MulticlassSvm.Train(Gram.Combine(grams, d, buffer), labels, classes, options.Scheme,
            new SmoOptions(options.C, options.SmoTolerance), warmStart);

    /// <summary>∂J/∂d_m = −½ s_m at the SVM's α.</summary>
    public static double[] Gradient(MulticlassSvm svm, IReadOnlyList<Gram> grams) =>
        svm.QuadraticForms(grams).Select(s => -0.5 * s).ToArray();

    /// <summary>The relative duality gap ½(max_m s_m − Σ_m d_m s_m)/J, from the gradient (s = −2∇J).</summary>
    public static double RelativeGap(ReadOnlySpan<double> d, ReadOnlySpan<double> gradient, double j)
    {
        double max = double.NegativeInfinity, weighted = 0;
        for (int m = 0; m < d.Length; m++)
        {
            double s = -2 * gradient[m];
            max = Math.Max(max, s);
            weighted += d[m] * s;
        }
        return 0.5 * (max - weighted) / Math.Abs(j);
    }

    /// <summary>The reduced-gradient descent direction at d (see the file header, step 2).</summary>
    public static double[] Direction(ReadOnlySpan<double> d, ReadOnlySpan<double> gradient)
    {
        int mu = 0;
        for (int m = 1; m < d.Length; m++) if (d[m] > d[mu]) mu = m;
        var D = new double[d.Length];
        double sum = 0;
        for (int m = 0; m < d.Length; m++)
        {
            if (m == mu) continue;
            double reduced = gradient[m] - gradient[mu];
            D[m] = d[m] <= ZeroWeight && reduced > 0 ? 0 : -reduced;
            sum += D[m];
        }
        D[mu] = -sum;
        return D;
    }

    /// <summary>Runs SimpleMKL on the base training Grams (unit-diagonal or trace-normalised, so their scales are comparable).</summary>
    public static MklResult Train(IReadOnlyList<Gram> grams, ReadOnlySpan<int> labels, int classes, SimpleMklOptions options,
        Action<MklIteration>? onIteration = null)
    {
        var clock = Stopwatch.StartNew();
        int M = grams.Count;
        var y = labels.ToArray();
        var buffer = new Gram(grams[0].Rows, grams[0].Cols);
        int solves = 0;
        MulticlassSvm Eval(double[] w, MulticlassSvm? warm)
        {
            solves++;
            return Solve(grams, w, y, classes, options, warm, buffer);
        }

        var d = options.InitialWeights is { } init ? Clean(init) : Enumerable.Repeat(1.0 / M, M).ToArray();
        var svm = Eval(d, null);
        double J = svm.J;
        var history = new List<MklIteration>();
        string stop = "iteration limit";
        bool converged = false;
        double[] gradient = [];
        double gap = double.NaN;
        for (int iter = 0; ; iter++)
        {
            gradient = Gradient(svm, grams);
            gap = RelativeGap(d, gradient, J);
            var record = new MklIteration(iter, J, gap, (double[])d.Clone(), gradient, solves, clock.Elapsed.TotalSeconds);
            history.Add(record);
            onIteration?.Invoke(record);
            if (gap <= options.GapTolerance) { converged = true; stop = $"relative duality gap {gap:G3} ≤ {options.GapTolerance}"; break; }
            if (iter >= options.MaxIterations) break;

            var D = Direction(d, gradient);
            if (D.All(v => Math.Abs(v) < 1e-14)) { stop = "zero descent direction"; break; }

            // ── 3. descent to the boundary, while J keeps falling ───────────────────────────────
            var (dCur, JCur, svmCur) = (d, J, svm);
            double[] segmentEnd;
            double JEnd;
            MulticlassSvm svmEnd;
            while (true)
            {
                double gMax = double.PositiveInfinity;
                int nu = -1;
                for (int m = 0; m < M; m++)
                    if (D[m] < 0 && -dCur[m] / D[m] < gMax) { gMax = -dCur[m] / D[m]; nu = m; }
                var next = new double[M];
                for (int m = 0; m < M; m++) next[m] = dCur[m] + gMax * D[m];
                next[nu] = 0;
                next = Clean(next);
                var svmNext = Eval(next, svmCur);
                if (svmNext.J < JCur && next.Count(w => w > 0) > 1)
                {
                    (dCur, JCur, svmCur) = (next, svmNext.J, svmNext);
                    D = Direction(dCur, gradient);
                    if (D.All(v => Math.Abs(v) < 1e-14)) { (segmentEnd, JEnd, svmEnd) = (next, svmNext.J, svmNext); break; }
                    continue;
                }
                if (svmNext.J < JCur) { (dCur, JCur, svmCur) = (next, svmNext.J, svmNext); }   // one kernel left: a vertex
                (segmentEnd, JEnd, svmEnd) = (next, svmNext.J, svmNext);
                break;
            }

            // ── 4. golden-section line search on [dCur, segmentEnd] ─────────────────────────────
            var (dBest, JBest, svmBest) = (dCur, JCur, svmCur);
            if (JEnd < JBest) (dBest, JBest, svmBest) = (segmentEnd, JEnd, svmEnd);
            if (!ReferenceEquals(dCur, segmentEnd))
            {
                double[] Point(double t) => Clean(dCur.Select((v, m) => v + t * (segmentEnd[m] - v)).ToArray());
                const double phi = 0.6180339887498949;
                double a = 0, b = 1, c = b - phi * (b - a), e = a + phi * (b - a);
                var svmC = Eval(Point(c), svmCur);
                var svmE = Eval(Point(e), svmCur);
                double Jc = svmC.J, Je = svmE.J;
                void Consider(double t, MulticlassSvm s)
                {
                    if (s.J < JBest) (dBest, JBest, svmBest) = (Point(t), s.J, s);
                }
                Consider(c, svmC);
                Consider(e, svmE);
                for (int k = 2; k < options.LineSearchEvaluations; k++)
                {
                    if (Jc < Je) { b = e; (e, Je, svmE) = (c, Jc, svmC); c = b - phi * (b - a); svmC = Eval(Point(c), svmCur); Jc = svmC.J; Consider(c, svmC); }
                    else { a = c; (c, Jc, svmC) = (e, Je, svmE); e = a + phi * (b - a); svmE = Eval(Point(e), svmCur); Je = svmE.J; Consider(e, svmE); }
                }
            }
            // The minimum can sit much closer to d than golden section's first points (J curves
            // sharply when a step moves many α): backtrack from the shortest point tried.
            for (double t = 0.05; !(JBest < J) && t > 1e-6 && !ReferenceEquals(dCur, segmentEnd); t *= 0.1)
            {
                var p = Clean(dCur.Select((v, m) => v + t * (segmentEnd[m] - v)).ToArray());
                var s = Eval(p, svmCur);
                if (s.J < JBest) (dBest, JBest, svmBest) = (p, s.J, s);
            }
            if (!(JBest < J)) { stop = "no decrease along the descent direction (SMO tolerance limits J's precision)"; break; }
            (d, J, svm) = (dBest, JBest, svmBest);
        }
        return new MklResult("SimpleMKL", d, svm, history, converged, stop, solves, clock.Elapsed.TotalSeconds,
            KktCheck.At(d, gradient), gap);
    }
}
