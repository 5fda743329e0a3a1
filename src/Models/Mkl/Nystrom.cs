// Nyström low-rank approximation of a Gram matrix (Williams and Seeger, 2001), for n too large
// for the exact Gram. With r landmark points L (a seeded random subset):
//     C = K(X, L)  (n × r),   W = K(L, L)  (r × r) = U Λ Uᵀ,
//     K ≈ C W⁺ Cᵀ = Φ Φᵀ   with features  Φ = C U Λ^(−½)  (eigenvalues below 1e-8·λ_max dropped).
// Cost O(n·r·D + r³ + n·r²) instead of O(n²·D) and n² memory; Φ then feeds any linear method, and
// ΦΦᵀ any Gram-based one. The error ‖K − ΦΦᵀ‖_F falls as r grows (exact at r = n). W's eigen
// decomposition is MathNet's (r ≤ a few thousand; not a hot path).

using MathNet.Numerics.LinearAlgebra;

namespace FusionScratch.Models.Mkl;

public sealed class Nystrom
{
    private Nystrom(int[] landmarks, double[] projection, int rank) => (Landmarks, Projection, Rank) = (landmarks, projection, rank);

    public int[] Landmarks { get; }
    /// <summary>U Λ^(−½), r × rank row-major (r = landmarks).</summary>
    public double[] Projection { get; }
    /// <summary>Columns of Φ kept (eigenvalues of W above the cut).</summary>
    public int Rank { get; }

    /// <summary>r distinct indices in 0..n−1 (seeded partial Fisher–Yates).</summary>
    public static int[] SampleLandmarks(int n, int r, ulong seed)
    {
        if (r > n) throw new ArgumentException($"nyström: {r} landmarks from {n} points");
        var idx = Enumerable.Range(0, n).ToArray();
        var rng = new Random((int)(seed % int.MaxValue));
        for (int i = 0; i < r; i++) { int j = rng.Next(i, n); (idx[i], idx[j]) = (idx[j], idx[i]); }
        return idx[..r];
    }

    /// <summary>Fits the projection from W = K(L, L).</summary>
    public static Nystrom Fit(int[] landmarks, Gram landmarkGram)
    {
        int r = landmarks.Length;
        if (!landmarkGram.IsSquare || landmarkGram.Rows != r) throw new ArgumentException($"nyström: W is {landmarkGram.Rows}×{landmarkGram.Cols} for {r} landmarks");
        var w = Matrix<double>.Build.Dense(r, r, (i, j) => 0.5 * (landmarkGram[i, j] + landmarkGram[j, i]));
        var evd = w.Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(v => v.Real).ToArray();
        double cut = 1e-8 * Math.Max(values.Max(), 1e-300);
        var keep = Enumerable.Range(0, r).Where(k => values[k] > cut).OrderByDescending(k => values[k]).ToArray();
        var p = new double[r * keep.Length];
        for (int i = 0; i < r; i++)
            for (int c = 0; c < keep.Length; c++)
                p[i * keep.Length + c] = evd.EigenVectors[i, keep[c]] / Math.Sqrt(values[keep[c]]);
        return new Nystrom(landmarks, p, keep.Length);
    }

    /// <summary>Fits from a full Gram (its landmark rows and columns), e.g. to measure the approximation.</summary>
    public static Nystrom FitFromFull(int[] landmarks, Gram k) => Fit(landmarks, k.Sub(landmarks, landmarks));

    /// <summary>Φ = C · U Λ^(−½) (n × Rank) from C = K(X, L) (n × r).</summary>
    public float[] Features(Gram columns)
    {
        int n = columns.Rows, r = Landmarks.Length;
        if (columns.Cols != r) throw new ArgumentException($"nyström: C has {columns.Cols} columns for {r} landmarks");
        var phi = new float[n * Rank];
        var acc = new double[Rank];
        for (int i = 0; i < n; i++)
        {
            Array.Clear(acc);
            var row = columns.Row(i);
            for (int l = 0; l < r; l++)
            {
                double c = row[l];
                for (int q = 0; q < Rank; q++) acc[q] += c * Projection[l * Rank + q];
            }
            for (int q = 0; q < Rank; q++) phi[i * Rank + q] = (float)acc[q];
        }
        return phi;
    }

    /// <summary>ΦΦᵀ as a Gram (rows of a × rows of b), through the linear Gram kernel (our GEMM).</summary>
    public Gram Approximate(float[] phiA, float[] phiB) =>
        KernelFunction.Linear().Compute(new PointSet(phiA, phiA.Length / Math.Max(Rank, 1), Rank), new PointSet(phiB, phiB.Length / Math.Max(Rank, 1), Rank));

    /// <summary>‖K − K̃‖_F / ‖K‖_F.</summary>
    public static double RelativeError(Gram exact, Gram approximate)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < exact.Data.Length; i++)
        {
            double e = exact.Data[i], d = e - approximate.Data[i];
            diff += d * d;
            norm += e * e;
        }
        return Math.Sqrt(diff / norm);
    }
}
