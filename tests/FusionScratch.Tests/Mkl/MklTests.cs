// MKL: SimpleMKL's weights stay on the simplex, J falls monotonically, the optimum on two kernels
// is that of a fine grid, the gradient matches finite differences of J; the fast weightings;
// the Gram type, Nyström, kernel ridge, simplex projection.

using FusionScratch.Models.Mkl;
using MathNet.Numerics.LinearAlgebra;

namespace FusionScratch.Tests.Mkl;

public class MklTests
{
    /// <summary>
    /// 3 classes; base kernels: RBF on the signal (two widths), cosine polynomial on the signal, a
    /// wide RBF on pure noise (wide on purpose: a narrow RBF on noise is close to the identity,
    /// which memorises the training points and rightly lowers J — MKL would use it).
    /// </summary>
    private static (List<Gram> Grams, int[] Labels) Problem(int n, int seed)
    {
        var (signal, noise, labels) = Toys.Classes(n, 3, 2.0, 5, seed);
        var grams = new List<Gram>
        {
            KernelFunction.Rbf(0.5).Compute(signal),
            KernelFunction.Rbf(5).Compute(signal),
            KernelFunction.Cosine(KernelFunction.Polynomial(2, 0.5, 1)).Compute(signal),
            KernelFunction.Rbf(0.02).Compute(noise),
        };
        return (grams, labels);
    }

    [Fact]
    public void SimpleMkl_KeepsWeightsOnSimplex_DecreasesJ_AndClosesTheGap()
    {
        var (grams, labels) = Problem(90, 1);
        var result = SimpleMkl.Train(grams, labels, 3, new SimpleMklOptions { C = 5, GapTolerance = 0.01, SmoTolerance = 1e-5 });
        Assert.True(result.Converged, result.StopReason);
        Assert.True(result.RelativeGap <= 0.01);
        Assert.True(result.History.Count >= 2, $"expected at least one descent step from uniform weights; gap {result.History[0].RelativeGap}, J {result.History[0].Objective}, grad {string.Join(", ", result.History[0].Gradient)}");
        foreach (var it in result.History) Assert.True(SimplexProjection.IsOnSimplex(it.Weights), string.Join(", ", it.Weights));
        Assert.True(SimplexProjection.IsOnSimplex(result.Weights));
        for (int i = 1; i < result.History.Count; i++)
            Assert.True(result.History[i].Objective <= result.History[i - 1].Objective, $"J rose at iteration {i}");
        Assert.True(result.Weights[3] < 0.05, $"the noise kernel kept weight {result.Weights[3]}; weights {string.Join(", ", result.Weights)}");
        Assert.NotNull(result.Kkt);
        Assert.True(result.Kkt!.ActiveSpread < 0.05, $"active kernels' gradients differ by {result.Kkt.ActiveSpread:P1}");
    }

    [Fact]
    public void SimpleMkl_OnTwoKernels_LandsOnTheOptimumOfAFineGrid()
    {
        var (grams4, labels) = Problem(60, 2);
        var grams = new List<Gram> { grams4[0], grams4[2] };
        var options = new SimpleMklOptions { C = 5, GapTolerance = 1e-4, SmoTolerance = 1e-7, LineSearchEvaluations = 12, MaxIterations = 100 };
        var result = SimpleMkl.Train(grams, labels, 3, options);

        double bestT = 0, bestJ = double.PositiveInfinity;
        for (int step = 0; step <= 200; step++)
        {
            double t = step / 200.0;
            double j = SimpleMkl.Solve(grams, [t, 1 - t], labels, 3, options).J;
            if (j < bestJ) (bestT, bestJ) = (t, j);
        }
        double jMkl = SimpleMkl.Solve(grams, result.Weights, labels, 3, options).J;
        Assert.True(jMkl <= bestJ * (1 + 1e-4), $"SimpleMKL J {jMkl:R} at t = {result.Weights[0]:F4}, grid J {bestJ:R} at t = {bestT}");
        Assert.True(Math.Abs(result.Weights[0] - bestT) <= 0.02, $"SimpleMKL t = {result.Weights[0]:F4}, grid t = {bestT}");
    }

    [Fact]
    public void MklGradient_MatchesFiniteDifferencesOfJ()
    {
        var (grams, labels) = Problem(45, 3);
        var options = new SimpleMklOptions { C = 2, SmoTolerance = 1e-10 };
        double[] d = [0.4, 0.1, 0.3, 0.2];
        var svm = SimpleMkl.Solve(grams, d, labels, 3, options);
        var gradient = SimpleMkl.Gradient(svm, grams);
        const double h = 1e-4;
        for (int m = 0; m < d.Length; m++)
        {
            var plus = (double[])d.Clone();
            var minus = (double[])d.Clone();
            plus[m] += h;
            minus[m] -= h;
            double fd = (SimpleMkl.Solve(grams, plus, labels, 3, options).J - SimpleMkl.Solve(grams, minus, labels, 3, options).J) / (2 * h);
            Assert.True(Math.Abs(fd - gradient[m]) <= 1e-3 + 1e-3 * Math.Abs(fd), $"∂J/∂d_{m}: analytic {gradient[m]:R}, finite difference {fd:R}");
        }
    }

    [Fact]
    public void FastWeights_AreOnTheSimplex_AndPreferTheSignal()
    {
        var (grams, labels) = Problem(90, 4);
        foreach (var (name, w) in new[] { ("cka", FastWeights.Cka(grams, labels, 3)), ("easymkl", FastWeights.EasyMkl(grams, labels, 3)), ("uniform", FastWeights.Uniform(4)) })
        {
            Assert.True(SimplexProjection.IsOnSimplex(w, 1e-9), $"{name}: {string.Join(", ", w)}");
            if (name != "uniform") Assert.True(w[0] > w[3], $"{name}: signal {w[0]} vs noise {w[3]}");
        }
        var rho = FastWeights.Alignments(grams, labels, 3);
        Assert.All(rho, r => Assert.InRange(r, -1, 1));
        Assert.True(rho[0] > 0.3 && Math.Abs(rho[3]) < 0.1, string.Join(", ", rho));
    }

    [Fact]
    public void SimplexProjection_SatisfiesItsKktConditions()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var v = Enumerable.Range(0, 1 + trial % 9).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
            var d = SimplexProjection.Project(v);
            Assert.True(SimplexProjection.IsOnSimplex(d, 1e-12));
            // d = max(v − θ, 0): every positive coordinate moved by the same θ, every zero one had v ≤ θ.
            double theta = v.Zip(d).Where(p => p.Second > 0).Select(p => p.First - p.Second).First();
            for (int m = 0; m < v.Length; m++)
                if (d[m] > 0) Assert.Equal(theta, v[m] - d[m], 1e-12);
                else Assert.True(v[m] <= theta + 1e-12);
        }
        Assert.Equal([0.2, 0.3, 0.5], SimplexProjection.Project([0.2, 0.3, 0.5]));
    }

    [Fact]
    public void Gram_Normalisations_DoWhatTheySay()
    {
        var (signal, _, _) = Toys.Classes(30, 3, 2, 0, 5);
        var k = KernelFunction.Polynomial(2, 1, 1).Compute(signal);
        var c = k.Centered();
        for (int i = 0; i < 30; i++) Assert.True(Math.Abs(Enumerable.Range(0, 30).Sum(j => (double)c[i, j])) < 1e-2 * Math.Abs(k[i, i]));
        var cosine = KernelFunction.Cosine(KernelFunction.Polynomial(2, 1, 1)).Compute(signal);
        Assert.All(cosine.Diagonal(), v => Assert.Equal(1, v, 1e-5));
        var t = KernelFunction.Linear().Compute(signal);
        t.NormalizeTrace();
        Assert.Equal(30, t.Trace(), 1e-3);
        var combined = Gram.Combine([k, t], [0.25, 0.75]);
        Assert.Equal(0.25 * k[3, 4] + 0.75 * t[3, 4], combined[3, 4], 1e-4);
    }

    [Fact]
    public void Nystrom_ErrorFallsAsRankGrows()
    {
        var (signal, noise, _) = Toys.Classes(240, 3, 2, 6, 9);
        var x = Concat(signal, noise);
        var f = KernelFunction.Rbf(0.1);
        var k = f.Compute(x);
        double previous = double.PositiveInfinity;
        foreach (int r in new[] { 5, 10, 20, 40, 80, 160 })
        {
            var landmarks = Nystrom.SampleLandmarks(240, r, 3);
            var ny = Nystrom.FitFromFull(landmarks, k);
            var phi = ny.Features(k.Sub(Enumerable.Range(0, 240).ToArray(), landmarks));
            double err = Nystrom.RelativeError(k, ny.Approximate(phi, phi));
            Assert.True(err < previous, $"rank {r}: error {err:G3} ≥ {previous:G3}");
            previous = err;
        }
        Assert.True(previous < 0.05, $"rank 160 error {previous:G3}");
    }

    private static PointSet Concat(PointSet a, PointSet b)
    {
        var data = new float[a.Count * (a.Dim + b.Dim)];
        for (int i = 0; i < a.Count; i++)
        {
            a.Row(i).CopyTo(data.AsSpan(i * (a.Dim + b.Dim)));
            b.Row(i).CopyTo(data.AsSpan(i * (a.Dim + b.Dim) + a.Dim));
        }
        return new PointSet(data, a.Count, a.Dim + b.Dim);
    }

    [Fact]
    public void Cholesky_MatchesMathNet_AndKernelRidgeClassifies()
    {
        var (train, _, labels) = Toys.Classes(120, 3, 4, 0, 13);
        var k = KernelFunction.Rbf(0.5).Compute(train);
        int n = 120;
        var s = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) s[i * n + j] = k[i, j] + (i == j ? 0.1 : 0);
        var L = Cholesky.Factor(s, n);
        var reference = Matrix<double>.Build.Dense(n, n, (i, j) => s[i * n + j]).Cholesky().Factor;
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) Assert.Equal(reference[i, j], L[i * n + j], 1e-9);
        var b = Enumerable.Range(0, n * 2).Select(v => Math.Sin(v)).ToArray();
        var x = (double[])b.Clone();
        Cholesky.Solve(L, n, x, 2);
        var expected = Matrix<double>.Build.Dense(n, n, (i, j) => s[i * n + j]).Solve(Matrix<double>.Build.Dense(n, 2, (i, c) => b[i * 2 + c]));
        for (int i = 0; i < n; i++) for (int c = 0; c < 2; c++) Assert.Equal(expected[i, c], x[i * 2 + c], 1e-7);

        var (test, _, testLabels) = Toys.Classes(120, 3, 4, 0, 14);
        var krr = KernelRidge.Fit(k, labels, 3, 0.1);
        var predicted = krr.Predict(KernelFunction.Rbf(0.5).Compute(test, train));
        Assert.True(predicted.Zip(testLabels, (p, t) => p == t ? 1.0 : 0).Average() > 0.9);
    }

    [Fact]
    public void KernelPca_SeparatesWellSeparatedClasses_AlongItsFirstAxes()
    {
        var (signal, _, labels) = Toys.Classes(60, 2, 6, 0, 15);
        var scores = KernelPca.Project(KernelFunction.Linear().Compute(signal), 2);
        var pca = KernelPca.Pca(signal, 2);
        // Linear kernel PCA = PCA up to the sign of each axis.
        for (int i = 0; i < 60; i++)
            for (int q = 0; q < 2; q++) Assert.Equal(Math.Abs(pca[i * 2 + q]), Math.Abs(scores[i * 2 + q]), 1e-2);
    }
}
