// Gram — a kernel matrix G[i,j] = k(x_i, y_j), rows = points x, columns = points y, row-major
// floats; and PointSet, the (N,D) feature matrix of one view that kernel functions read.
//
// The MKL solvers work on precomputed Gram matrices: K_m over the training points for every base
// kernel m, combined as K(d) = Σ_m d_m K_m, and the cross Gram (test × train) to predict.
// Normalisations (applied to a square training Gram; a test Gram gets the same scale):
//   centering        K ← HKH, H = I − 11ᵀ/n (for alignment, kernel PCA)
//   unit trace       K ← K·n/tr K (average diagonal 1; makes base kernels commensurate)
//   unit diagonal    K_ij ← K_ij/√(K_ii K_jj) (cosine normalisation, see KernelFunction.Cosine)

using System.Numerics;

namespace FusionScratch.Models.Mkl;

/// <summary>N points of D features, row-major: the input of a kernel function.</summary>
public sealed record PointSet(float[] Data, int Count, int Dim)
{
    public ReadOnlySpan<float> Row(int i) => Data.AsSpan(i * Dim, Dim);

    /// <summary>The points at <paramref name="indices"/>, in that order.</summary>
    public PointSet Rows(IReadOnlyList<int> indices)
    {
        var data = new float[indices.Count * Dim];
        for (int k = 0; k < indices.Count; k++) Row(indices[k]).CopyTo(data.AsSpan(k * Dim, Dim));
        return new PointSet(data, indices.Count, Dim);
    }
}

/// <summary>A kernel matrix: <see cref="Rows"/>×<see cref="Cols"/> floats, row-major.</summary>
public sealed class Gram
{
    public Gram(int rows, int cols, float[] data)
    {
        if (data.Length != (long)rows * cols)
            throw new ArgumentException($"gram: {data.Length} values for {rows}×{cols}");
        (Rows, Cols, Data) = (rows, cols, data);
    }

    public Gram(int rows, int cols) : this(rows, cols, new float[(long)rows * cols]) { }

    public int Rows { get; }
    public int Cols { get; }
    public float[] Data { get; }
    public bool IsSquare => Rows == Cols;

    public float this[int i, int j]
    {
        get => Data[(long)i * Cols + j];
        set => Data[(long)i * Cols + j] = value;
    }

    public ReadOnlySpan<float> Row(int i) => Data.AsSpan((int)((long)i * Cols), Cols);

    /// <summary>The diagonal of a square Gram.</summary>
    public double[] Diagonal()
    {
        RequireSquare("diagonal");
        var d = new double[Rows];
        for (int i = 0; i < Rows; i++) d[i] = this[i, i];
        return d;
    }

    public double Trace() => Diagonal().Sum();

    /// <summary>The sub-matrix G[rows, cols] (e.g. the points of two classes for a one-vs-one SVM).</summary>
    public Gram Sub(IReadOnlyList<int> rows, IReadOnlyList<int> cols)
    {
        var s = new Gram(rows.Count, cols.Count);
        // An array, not the interface, in the inner loop: IReadOnlyList<int>'s indexer on an int[] is
        // an interface call per element, which made this copy several times slower.
        int[] c = cols as int[] ?? [.. cols];
        for (int a = 0; a < rows.Count; a++)
        {
            var src = Row(rows[a]);
            var dst = s.Data.AsSpan(a * c.Length, c.Length);
            for (int b = 0; b < c.Length; b++) dst[b] = src[c[b]];
        }
        return s;
    }

    /// <summary>
    /// Σ_m w_m G_m over Grams of one shape (terms with w_m = 0 are skipped), written into
    /// <paramref name="into"/> when given (a buffer reused across MKL steps) or a new Gram.
    /// </summary>
    public static Gram Combine(IReadOnlyList<Gram> grams, ReadOnlySpan<double> weights, Gram? into = null)
    {
        if (grams.Count == 0 || grams.Count != weights.Length)
            throw new ArgumentException($"combine: {grams.Count} Grams and {weights.Length} weights");
        var sum = into ?? new Gram(grams[0].Rows, grams[0].Cols);
        if (sum.Rows != grams[0].Rows || sum.Cols != grams[0].Cols)
            throw new ArgumentException($"combine: the output is {sum.Rows}×{sum.Cols}, the Grams {grams[0].Rows}×{grams[0].Cols}");
        Array.Clear(sum.Data);
        for (int m = 0; m < grams.Count; m++)
        {
            if (grams[m].Rows != sum.Rows || grams[m].Cols != sum.Cols)
                throw new ArgumentException($"combine: Gram {m} is {grams[m].Rows}×{grams[m].Cols}, expected {sum.Rows}×{sum.Cols}");
            if (weights[m] != 0) Axpy((float)weights[m], grams[m].Data, sum.Data);
        }
        return sum;
    }

    /// <summary>y += a·x with System.Numerics vectors (a memory-bound pass; no need for more).</summary>
    internal static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0, w = Vector<float>.Count;
        var av = new Vector<float>(a);
        for (; i <= x.Length - w; i += w)
            (new Vector<float>(y[i..]) + av * new Vector<float>(x[i..])).CopyTo(y[i..]);
        for (; i < x.Length; i++) y[i] += a * x[i];
    }

    /// <summary>HGH with H = I − 11ᵀ/n: subtracts row and column means, adds back the grand mean (square Grams).</summary>
    public Gram Centered()
    {
        RequireSquare("centering");
        int n = Rows;
        var mean = new double[n];
        double grand = 0;
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            foreach (float v in Row(i)) s += v;
            mean[i] = s / n;
            grand += s;
        }
        grand /= (double)n * n;
        // G is symmetric, so row means are column means.
        var c = new Gram(n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                c[i, j] = (float)(this[i, j] - mean[i] - mean[j] + grand);
        return c;
    }

    /// <summary>Multiplies every entry by s, in place.</summary>
    public Gram Scale(double s)
    {
        float f = (float)s;
        for (int i = 0; i < Data.Length; i++) Data[i] *= f;
        return this;
    }

    /// <summary>Scales a square Gram to trace n (average diagonal 1), in place; returns the factor for the matching test Gram.</summary>
    public double NormalizeTrace()
    {
        double t = Trace();
        if (!(t > 0)) throw new InvalidOperationException($"gram: trace {t} cannot be normalised");
        double s = Rows / t;
        Scale(s);
        return s;
    }

    /// <summary>
    /// Cosine normalisation G_ij/√(r_i c_j) given the kernel's self-values r_i = k(x_i,x_i) of the
    /// row points and c_j = k(y_j,y_j) of the column points, in place (unit diagonal on a square Gram).
    /// </summary>
    public Gram NormalizeUnitDiagonal(ReadOnlySpan<double> rowSelf, ReadOnlySpan<double> colSelf)
    {
        if (rowSelf.Length != Rows || colSelf.Length != Cols)
            throw new ArgumentException($"unit diagonal: {rowSelf.Length} row and {colSelf.Length} column self-values for {Rows}×{Cols}");
        var inv = new double[Cols];
        for (int j = 0; j < Cols; j++) inv[j] = colSelf[j] > 0 ? 1 / Math.Sqrt(colSelf[j]) : 0;
        for (int i = 0; i < Rows; i++)
        {
            double ri = rowSelf[i] > 0 ? 1 / Math.Sqrt(rowSelf[i]) : 0;
            var row = Data.AsSpan(i * Cols, Cols);
            for (int j = 0; j < Cols; j++) row[j] = (float)(row[j] * ri * inv[j]);
        }
        return this;
    }

    /// <summary>⟨G, H⟩_F = Σ_ij G_ij H_ij, in double.</summary>
    public double FrobeniusInner(Gram other)
    {
        if (other.Rows != Rows || other.Cols != Cols) throw new ArgumentException("frobenius: shapes differ");
        double s = 0;
        for (int i = 0; i < Data.Length; i++) s += (double)Data[i] * other.Data[i];
        return s;
    }

    private void RequireSquare(string what)
    {
        if (!IsSquare) throw new InvalidOperationException($"gram: {what} needs a square Gram, this one is {Rows}×{Cols}");
    }
}
