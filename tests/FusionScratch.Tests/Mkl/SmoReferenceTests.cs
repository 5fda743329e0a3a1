// The fast SMO (vector passes over m = −yG with index-set penalties, rows gathered on demand)
// against the plain scalar loop it replaced: the same working sets in the same order, so the same
// α bit for bit, the same iteration count and the same bias.

using FusionScratch.Models.Mkl;

namespace FusionScratch.Tests.Mkl;

public class SmoReferenceTests
{
    [Theory]
    [InlineData(203, 0.7, 1.0, 1e-3)]     // noisy, many α at C; n not a multiple of any vector width
    [InlineData(160, 3.0, 100.0, 1e-5)]   // nearly separable, few support vectors
    [InlineData(7, 0.5, 1.5, 1e-9)]       // shorter than one vector: the scalar tails alone
    public void FastSmo_TakesTheSameStepsAsThePlainLoop(int n, double separation, double c, double eps)
    {
        var (x, y) = Toys.Blobs(n, separation, 17);
        foreach (var f in new[] { KernelFunction.Rbf(0.5), KernelFunction.Linear() })
        {
            var k = f.Compute(x);
            var fast = Smo.Solve(k, y, new SmoOptions(c, eps));
            var (alpha, iterations, rho) = PlainSmo(k, y, c, eps);
            Assert.Equal(iterations, fast.Iterations);
            Assert.Equal(alpha, fast.Alpha);
            Assert.Equal(rho, fast.Rho);
        }
    }

    [Fact]
    public void MachineOnASubset_EqualsTheMachineOnTheCopiedSubGram()
    {
        var (x, y) = Toys.Blobs(300, 1.0, 4);
        var k = KernelFunction.Rbf(0.4).Compute(x);
        int[] index = Enumerable.Range(0, 300).Where(t => t % 3 != 1).ToArray();
        sbyte[] sub = index.Select(t => y[t]).ToArray();
        var onRows = Smo.Solve(k, index, sub, new SmoOptions(2));
        var onCopy = Smo.Solve(k.Sub(index, index), sub, new SmoOptions(2));
        Assert.Equal(onCopy.Alpha, onRows.Alpha);
        Assert.Equal(onCopy.Iterations, onRows.Iterations);
        Assert.Equal(onCopy.Rho, onRows.Rho);
    }

    /// <summary>
    /// SMO as first written: G itself, the index sets tested with branches, i and j chosen by
    /// scalar loops (ties to the last index), G updated in a loop of its own.
    /// </summary>
    private static (double[] Alpha, long Iterations, double Rho) PlainSmo(Gram k, sbyte[] y, double C, double eps)
    {
        int n = y.Length;
        var alpha = new double[n];
        var G = Enumerable.Repeat(-1.0, n).ToArray();
        long iter = 0;
        while (true)
        {
            int i = -1;
            double gMax = double.NegativeInfinity;
            for (int t = 0; t < n; t++)
            {
                bool up = y[t] > 0 ? alpha[t] < C : alpha[t] > 0;
                if (up && -y[t] * G[t] >= gMax) { gMax = -y[t] * G[t]; i = t; }
            }
            if (i < 0) break;
            int j = -1;
            double gMax2 = double.NegativeInfinity, bestGain = double.PositiveInfinity;
            for (int t = 0; t < n; t++)
            {
                bool low = y[t] > 0 ? alpha[t] > 0 : alpha[t] < C;
                if (!low) continue;
                double ytGt = y[t] * G[t];
                if (ytGt > gMax2) gMax2 = ytGt;
                double b = gMax + ytGt;
                if (b <= 0) continue;
                double a = (double)k[i, i] + k[t, t] - 2 * k[i, t];   // in double, as the diagonal is kept
                if (a <= 0) a = SmoOptions.Tau;
                double gain = -b * b / a;
                if (gain <= bestGain) { bestGain = gain; j = t; }
            }
            if (gMax + gMax2 < eps || j < 0) break;
            iter++;
            double quad = (double)k[i, i] + k[j, j] - 2 * k[i, j];
            if (quad <= 0) quad = SmoOptions.Tau;
            double oldI = alpha[i], oldJ = alpha[j];
            (alpha[i], alpha[j]) = Smo.SolvePair(oldI, oldJ, G[i], G[j], y[i] != y[j], quad, C);
            double di = (alpha[i] - oldI) * y[i], dj = (alpha[j] - oldJ) * y[j];
            for (int t = 0; t < n; t++) G[t] += y[t] * (di * k[i, t] + dj * k[j, t]);
        }
        // ρ as Smo computes it: the mean of y_t G_t over free α (every toy here has some).
        var free = Enumerable.Range(0, n).Where(t => alpha[t] > 0 && alpha[t] < C).ToArray();
        double rho = free.Sum(t => y[t] * G[t]) / free.Length;
        return (alpha, iter, rho);
    }
}
