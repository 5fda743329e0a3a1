// PCA and kernel PCA projections for the report's pictures (MathNet's symmetric eigen solver;
// pictures of ≤ a few thousand points, not a hot path).
//   PCA         eigenvectors of the feature covariance (D × D); scores = (x − mean)·V_k
//   kernel PCA  eigenvectors of the centred Gram HKH = U Λ Uᵀ (n × n); scores = U_k √Λ_k
//               (the projections of the training points on the top principal axes in feature space)

using MathNet.Numerics.LinearAlgebra;

namespace FusionScratch.Models.Mkl;

public static class KernelPca
{
    /// <summary>The first <paramref name="components"/> kernel-PCA scores of each point (n × components, row-major).</summary>
    public static double[] Project(Gram k, int components = 2)
    {
        var c = k.Centered();
        int n = c.Rows;
        var m = Matrix<double>.Build.Dense(n, n, (i, j) => 0.5 * (c[i, j] + c[j, i]));
        var evd = m.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, n).OrderByDescending(i => evd.EigenValues[i].Real).Take(components).ToArray();
        var scores = new double[n * components];
        for (int q = 0; q < order.Length; q++)
        {
            double s = Math.Sqrt(Math.Max(evd.EigenValues[order[q]].Real, 0));
            for (int i = 0; i < n; i++) scores[i * components + q] = evd.EigenVectors[i, order[q]] * s;
        }
        return scores;
    }

    /// <summary>Linear PCA scores (n × components) of the points, from the D × D covariance.</summary>
    public static double[] Pca(PointSet x, int components = 2)
    {
        int n = x.Count, d = x.Dim;
        var mean = new double[d];
        for (int i = 0; i < n; i++) for (int k = 0; k < d; k++) mean[k] += x.Data[i * d + k] / (double)n;
        var centred = Matrix<double>.Build.Dense(n, d, (i, k) => x.Data[i * d + k] - mean[k]);
        var cov = centred.TransposeThisAndMultiply(centred) / Math.Max(n - 1, 1);
        var evd = cov.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, d).OrderByDescending(i => evd.EigenValues[i].Real).Take(components).ToArray();
        var v = Matrix<double>.Build.Dense(d, order.Length, (k, q) => evd.EigenVectors[k, order[q]]);
        var s = centred * v;
        var scores = new double[n * components];
        for (int i = 0; i < n; i++) for (int q = 0; q < order.Length; q++) scores[i * components + q] = s[i, q];
        return scores;
    }
}
