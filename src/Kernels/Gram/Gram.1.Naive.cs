// Gram — the matrix of a Mercer kernel function over two sets of points, for MKL.
//
// Op and shapes: x is (M,D) row-major (M points of D features), y is (N,D), g is (M,N) with
//   g[i,j] = k(x_i, y_j), where k is one of
//     linear      k(x,y) = ⟨x,y⟩
//     polynomial  k(x,y) = (γ⟨x,y⟩ + c0)^p        (integer degree p ≥ 1)
//     rbf         k(x,y) = exp(−γ‖x − y‖²)
// (The MKL code calls these kernel *functions* and their output a Gram matrix — see
// src/Models/Mkl/KernelFunctions.cs — to keep them apart from compute kernels like this one.)
//
// Variants (same signature, so the tests and a registry can swap them):
//   1 Naive  one loop per entry over D, accumulated in double, ‖x − y‖² taken directly: the
//            reference, O(M·N·D) scalar work, no cancellation.
//   2 Simd   the inner products for all pairs at once through our packed GEMM (g = x·yᵀ), then
//            one vectorised pass per row: rbf uses ‖x‖² + ‖y‖² − 2⟨x,y⟩ (clamped at 0: rounding
//            can make it slightly negative for near-duplicates) and VectorMath.Exp. The GEMM is
//            where the time goes, so this runs at GEMM speed.
//
//   dotnet test --filter "FullyQualifiedName~GramKernelTests"

namespace FusionScratch.Kernels.Gram;

/// <summary>Which kernel function a Gram kernel evaluates.</summary>
public enum GramKind { Linear, Polynomial, Rbf }

/// <summary>
/// A kernel function's parameters: <see cref="Gamma"/> scales ⟨x,y⟩ (polynomial) or ‖x − y‖² (rbf);
/// <see cref="Coef0"/> and <see cref="Degree"/> are the polynomial's c0 and p.
/// </summary>
public readonly record struct GramSpec(GramKind Kind, float Gamma = 1f, float Coef0 = 0f, int Degree = 2)
{
    public static GramSpec Linear() => new(GramKind.Linear);
    public static GramSpec Polynomial(int degree, float gamma = 1f, float coef0 = 1f) => new(GramKind.Polynomial, gamma, coef0, degree);
    public static GramSpec Rbf(float gamma) => new(GramKind.Rbf, gamma);

    /// <summary>The kernel function on one pair, given ⟨x,y⟩ and ‖x − y‖² (scalar reference).</summary>
    public double Apply(double dot, double squaredDistance) => Kind switch
    {
        GramKind.Linear => dot,
        GramKind.Polynomial => Math.Pow(Gamma * dot + Coef0, Degree),
        _ => Math.Exp(-Gamma * squaredDistance),
    };
}

/// <summary>Gram-matrix compute kernels; every variant has the <see cref="GramKernel"/> signature.</summary>
public delegate void GramKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int M, int N, int D, GramSpec spec, Span<float> g);

public static partial class GramKernels
{
    /// <summary>
    /// Reference: effectively computes g[i,j] = k(x_i, y_j) for x (M,D) and y (N,D), with one
    /// double-precision loop over D per entry.
    /// </summary>
    public static void Naive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int M, int N, int D, GramSpec spec, Span<float> g)
    {
        // x is (M,D), y is (N,D), g is (M,N), all row-major
        Check(x.Length, y.Length, M, N, D, spec, g.Length);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                double dot = 0, dist = 0;
                for (int k = 0; k < D; k++)
                {
                    double a = x[i * D + k], b = y[j * D + k];
                    dot += a * b;
                    dist += (a - b) * (a - b);
                }
                g[i * N + j] = (float)spec.Apply(dot, dist);
            }
    }

    /// <summary>Validates shapes; the message names them, e.g. "gram: x has 10 elements, expected M×D = 3×4 = 12".</summary>
    internal static void Check(int xLength, int yLength, int M, int N, int D, GramSpec spec, int gLength)
    {
        if (M < 0 || N < 0 || D < 0)
            throw new ArgumentException($"gram: negative dimension in M×N×D = {M}×{N}×{D}");
        if (xLength != (long)M * D)
            throw new ArgumentException($"gram: x has {xLength} elements, expected M×D = {M}×{D} = {(long)M * D}", "x");
        if (yLength != (long)N * D)
            throw new ArgumentException($"gram: y has {yLength} elements, expected N×D = {N}×{D} = {(long)N * D}", "y");
        if (gLength != (long)M * N)
            throw new ArgumentException($"gram: g has {gLength} elements, expected M×N = {M}×{N} = {(long)M * N}", "g");
        if (spec.Kind == GramKind.Polynomial && spec.Degree < 1)
            throw new ArgumentException($"gram: polynomial degree must be ≥ 1, got {spec.Degree}");
    }
}
