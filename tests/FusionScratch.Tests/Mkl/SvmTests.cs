// The SMO solver: KKT conditions on separable and noisy toys, the optimum of a brute-force QP on
// tiny problems, warm starts, multiclass schemes.

using FusionScratch.Models.Mkl;
using MathNet.Numerics.LinearAlgebra;

namespace FusionScratch.Tests.Mkl;

internal static class Toys
{
    /// <summary>n points in 2-D: class +1 around (+s, 0), class −1 around (−s, 0), unit Gaussian noise.</summary>
    public static (PointSet X, sbyte[] Y) Blobs(int n, double separation, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n * 2];
        var y = new sbyte[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = (sbyte)(i % 2 == 0 ? 1 : -1);
            x[2 * i] = (float)(y[i] * separation + Gauss(rng));
            x[2 * i + 1] = (float)Gauss(rng);
        }
        return (new PointSet(x, n, 2), y);
    }

    /// <summary>k classes on a circle of radius r in 2-D plus <paramref name="noiseDims"/> pure-noise dimensions.</summary>
    public static (PointSet Signal, PointSet Noise, int[] Labels) Classes(int n, int k, double r, int noiseDims, int seed)
    {
        var rng = new Random(seed);
        var s = new float[n * 2];
        var z = new float[n * noiseDims];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % k;
            double a = 2 * Math.PI * labels[i] / k;
            s[2 * i] = (float)(r * Math.Cos(a) + Gauss(rng));
            s[2 * i + 1] = (float)(r * Math.Sin(a) + Gauss(rng));
            for (int q = 0; q < noiseDims; q++) z[i * noiseDims + q] = (float)Gauss(rng);
        }
        return (new PointSet(s, n, 2), new PointSet(z, n, noiseDims), labels);
    }

    public static double Gauss(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

public class SvmTests
{
    [Theory]
    [InlineData(4.0, 100.0)]   // separable: hard-margin-like, no α at C
    [InlineData(0.7, 1.0)]     // noisy: overlapping classes, many α at C
    public void Smo_MeetsKktWithinTolerance(double separation, double c)
    {
        var (x, y) = Toys.Blobs(80, separation, 3);
        foreach (var f in new[] { KernelFunction.Linear(), KernelFunction.Rbf(0.5) })
        {
            var k = f.Compute(x);
            var r = Smo.Solve(k, y, new SmoOptions(c, 1e-4));
            Assert.True(r.Converged);
            Assert.True(r.KktGap < 1e-4, $"{f.Name}: gap {r.KktGap}");
            Assert.All(r.Alpha, a => Assert.InRange(a, 0, c));
            double violation = Smo.KktViolation(k, y, r, c);
            Assert.True(violation < 2e-4, $"{f.Name} C={c}: KKT violation {violation:G3}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Smo_MatchesBruteForceQp_OnTinyProblems(int seed)
    {
        var (x, y) = Toys.Blobs(7, 0.5, seed);
        var k = KernelFunction.Rbf(0.7).Compute(x);
        const double C = 1.5;
        var r = Smo.Solve(k, y, new SmoOptions(C, 1e-9));
        var (alpha, best) = BruteForce(k, y, C);
        Assert.True(Math.Abs(r.DualObjective - best) <= 1e-7 * Math.Max(1, Math.Abs(best)), $"SMO {r.DualObjective:R} vs brute force {best:R}");
        for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(r.Alpha[i] - alpha[i]) < 1e-4, $"α[{i}] {r.Alpha[i]} vs {alpha[i]}");
    }

    /// <summary>
    /// The exact optimum of ½αᵀQα − Σα over the box and yᵀα = 0 by enumerating, for every point,
    /// whether α_i is 0, C or free, and solving the stationarity system of the free ones:
    /// Q_FF α_F + b·y_F = 1 − Q_FB α_B, y_Fᵀ α_F = −y_Bᵀ α_B. The best feasible candidate wins.
    /// </summary>
    private static (double[] Alpha, double Objective) BruteForce(Gram k, sbyte[] y, double C)
    {
        int n = y.Length;
        double best = double.PositiveInfinity;
        double[] bestAlpha = [];
        int combos = (int)Math.Pow(3, n);
        for (int code = 0; code < combos; code++)
        {
            var state = new int[n];
            for (int i = 0, c = code; i < n; i++, c /= 3) state[i] = c % 3;   // 0: α = 0, 1: α = C, 2: free
            var alpha = new double[n];
            for (int i = 0; i < n; i++) if (state[i] == 1) alpha[i] = C;
            var free = Enumerable.Range(0, n).Where(i => state[i] == 2).ToArray();
            if (free.Length > 0)
            {
                int f = free.Length;
                var a = Matrix<double>.Build.Dense(f + 1, f + 1);
                var rhs = Vector<double>.Build.Dense(f + 1);
                for (int p = 0; p < f; p++)
                {
                    int i = free[p];
                    for (int q = 0; q < f; q++) a[p, q] = y[i] * y[free[q]] * k[i, free[q]];
                    a[p, f] = y[i];
                    a[f, p] = y[i];
                    double s = 1;
                    for (int j = 0; j < n; j++) if (state[j] != 2) s -= y[i] * y[j] * k[i, j] * alpha[j];
                    rhs[p] = s;
                }
                double eq = 0;
                for (int j = 0; j < n; j++) if (state[j] != 2) eq -= y[j] * alpha[j];
                rhs[f] = eq;
                if (Math.Abs(a.Determinant()) < 1e-12) continue;
                var sol = a.Solve(rhs);
                bool ok = true;
                for (int p = 0; p < f; p++)
                {
                    if (sol[p] < -1e-12 || sol[p] > C + 1e-12) ok = false;
                    alpha[free[p]] = Math.Clamp(sol[p], 0, C);
                }
                if (!ok) continue;
            }
            double balance = Enumerable.Range(0, n).Sum(i => y[i] * alpha[i]);
            if (Math.Abs(balance) > 1e-9) continue;
            double obj = 0;
            for (int i = 0; i < n; i++)
            {
                obj -= alpha[i];
                for (int j = 0; j < n; j++) obj += 0.5 * alpha[i] * alpha[j] * y[i] * y[j] * k[i, j];
            }
            if (obj < best) (best, bestAlpha) = (obj, alpha);
        }
        return (bestAlpha, best);
    }

    [Fact]
    public void Smo_WarmStart_ReachesTheSameOptimum_InFewerIterations()
    {
        var (x, y) = Toys.Blobs(120, 1.0, 5);
        var k1 = KernelFunction.Rbf(0.5).Compute(x);
        var k2 = KernelFunction.Rbf(0.6).Compute(x);
        var o = new SmoOptions(1, 1e-5);
        var first = Smo.Solve(k1, y, o);
        var cold = Smo.Solve(k2, y, o);
        var warm = Smo.Solve(k2, y, o, first.Alpha);
        Assert.Equal(cold.DualObjective, warm.DualObjective, 1e-4);
        Assert.True(warm.Iterations < cold.Iterations, $"warm {warm.Iterations} vs cold {cold.Iterations}");
    }

    [Theory]
    [InlineData(MulticlassScheme.OneVsOne)]
    [InlineData(MulticlassScheme.OneVsRest)]
    public void MulticlassSvm_SeparatesFourClasses(MulticlassScheme scheme)
    {
        var (train, _, labels) = Toys.Classes(200, 4, 4, 0, 11);
        var (test, _, testLabels) = Toys.Classes(200, 4, 4, 0, 12);
        var f = KernelFunction.Rbf(0.3);
        var svm = MulticlassSvm.Train(f.Compute(train), labels, 4, scheme, new SmoOptions(10));
        Assert.Equal(scheme == MulticlassScheme.OneVsOne ? 6 : 4, svm.Machines.Count);
        var predicted = svm.Predict(f.Compute(test, train));
        double accuracy = predicted.Zip(testLabels, (p, t) => p == t ? 1.0 : 0).Average();
        Assert.True(accuracy > 0.95, $"{scheme}: accuracy {accuracy}");
    }
}
