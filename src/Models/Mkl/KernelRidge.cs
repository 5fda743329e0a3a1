// Kernel ridge regression as a second base learner for a learned kernel: one-vs-rest targets
// T (n × c, +1 for the class, −1 otherwise), coefficients A = (K + λI)⁻¹ T by a Cholesky
// factorisation of our own, prediction argmax_c (K_test A)_c.
//
// Cholesky (Banachiewicz, row by row): for a symmetric positive definite S = LLᵀ,
//     L_ij = (S_ij − Σ_{k<j} L_ik L_jk)/L_jj  (j < i),   L_ii = √(S_ii − Σ_{k<i} L_ik²).
// Each entry is a dot product of two contiguous row prefixes of L, vectorised; n³/6 multiply-adds
// in double (n = 3 000: about 4.5·10⁹, a few seconds on one core). Checked against MathNet in the tests.

using System.Numerics;

namespace FusionScratch.Models.Mkl;

public static class Cholesky
{
    /// <summary>The lower factor L (n × n, row-major, upper part zero) of the SPD matrix s.</summary>
    public static double[] Factor(ReadOnlySpan<double> s, int n)
    {
        if (s.Length != (long)n * n) throw new ArgumentException($"cholesky: {s.Length} values for {n}×{n}");
        var L = new double[(long)n * n];
        for (int i = 0; i < n; i++)
        {
            var li = L.AsSpan(i * n, n);
            for (int j = 0; j <= i; j++)
            {
                double v = s[i * n + j] - Dot(li[..j], L.AsSpan(j * n, j));
                if (j < i) li[j] = v / L[j * n + j];
                else
                {
                    if (!(v > 0)) throw new ArgumentException($"cholesky: the matrix is not positive definite (pivot {i} is {v:G3})");
                    li[i] = Math.Sqrt(v);
                }
            }
        }
        return L;
    }

    /// <summary>Solves L Lᵀ X = B for B (n × c, row-major), in place.</summary>
    public static void Solve(ReadOnlySpan<double> L, int n, Span<double> b, int c)
    {
        for (int col = 0; col < c; col++)
        {
            for (int i = 0; i < n; i++)                 // L z = b
            {
                double v = b[i * c + col];
                for (int k = 0; k < i; k++) v -= L[i * n + k] * b[k * c + col];
                b[i * c + col] = v / L[i * n + i];
            }
            for (int i = n - 1; i >= 0; i--)            // Lᵀ x = z
            {
                double v = b[i * c + col];
                for (int k = i + 1; k < n; k++) v -= L[k * n + i] * b[k * c + col];
                b[i * c + col] = v / L[i * n + i];
            }
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int i = 0, w = Vector<double>.Count;
        var acc = Vector<double>.Zero;
        for (; i <= a.Length - w; i += w) acc += new Vector<double>(a[i..]) * new Vector<double>(b[i..]);
        double s = Vector.Sum(acc);
        for (; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}

/// <summary>A fitted kernel ridge classifier: A = (K + λI)⁻¹ T over the training points.</summary>
public sealed class KernelRidge
{
    private KernelRidge(double[] coefficients, int classes) => (Coefficients, Classes) = (coefficients, classes);

    /// <summary>A (n × classes), row-major.</summary>
    public double[] Coefficients { get; }
    public int Classes { get; }

    public static KernelRidge Fit(Gram k, ReadOnlySpan<int> labels, int classes, double lambda)
    {
        int n = labels.Length;
        if (!k.IsSquare || k.Rows != n) throw new ArgumentException($"kernel ridge: Gram is {k.Rows}×{k.Cols} for {n} labels");
        var s = new double[(long)n * n];
        for (int i = 0; i < n; i++)
        {
            var row = k.Row(i);
            for (int j = 0; j < n; j++) s[i * n + j] = row[j];
            s[i * n + i] += lambda;
        }
        var L = Cholesky.Factor(s, n);
        var t = new double[n * classes];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < classes; c++) t[i * classes + c] = labels[i] == c ? 1 : -1;
        Cholesky.Solve(L, n, t, classes);
        return new KernelRidge(t, classes);
    }

    /// <summary>argmax_c Σ_s cross[r, s] A[s, c] for every row of a (test × train) Gram.</summary>
    public int[] Predict(Gram cross)
    {
        var predicted = new int[cross.Rows];
        var score = new double[Classes];
        for (int r = 0; r < cross.Rows; r++)
        {
            Array.Clear(score);
            var row = cross.Row(r);
            for (int s = 0; s < row.Length; s++)
                for (int c = 0; c < Classes; c++) score[c] += row[s] * Coefficients[s * Classes + c];
            int best = 0;
            for (int c = 1; c < Classes; c++) if (score[c] > score[best]) best = c;
            predicted[r] = best;
        }
        return predicted;
    }
}
