// Gram variant 2 — inner products through the packed GEMM, then a vectorised epilogue per row.
// Shapes and kernel functions: see Gram.1.Naive.cs. What changes from variant 1 and why:
//   - all M·N inner products come from one GEMM (g = x·yᵀ, y read transposed in place): the
//     O(M·N·D) part runs at GEMM speed (packed panels, FMA micro-kernel, threads);
//   - rbf needs ‖x − y‖², which the GEMM does not give directly: ‖x‖² + ‖y‖² − 2⟨x,y⟩ with the
//     squared norms precomputed once per point (O((M+N)·D)). In float this loses accuracy when
//     x ≈ y (cancellation), so the distance is clamped at 0 and the tests allow ~1e-5 absolute;
//     for the kernel value exp(−γ·d²) that is harmless;
//   - the epilogue (polynomial power, rbf exponential) is one pass over each row of g with
//     Vector512 (then Vector256, then a scalar tail), threads over rows.
//
//   dotnet test --filter "FullyQualifiedName~GramKernelTests"

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels.Gram;

public static partial class GramKernels
{
    /// <summary>
    /// Effectively computes g[i,j] = k(x_i, y_j) for x (M,D) and y (N,D): ⟨x_i,y_j⟩ for all pairs
    /// from <see cref="MatMulKernels.Gemm"/>, then the kernel function applied row by row with SIMD.
    /// </summary>
    public static unsafe void Simd(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int M, int N, int D, GramSpec spec, Span<float> g)
    {
        // x is (M,D), y is (N,D), g is (M,N), all row-major
        Check(x.Length, y.Length, M, N, D, spec, g.Length);
        if (M == 0 || N == 0) return;
        MatMulKernels.Gemm(x, false, y, true, M, N, D, 1f, 0f, g);
        if (spec.Kind == GramKind.Linear) return;

        float[] xNorms = spec.Kind == GramKind.Rbf ? SquaredNorms(x, M, D) : [];
        float[] yNorms = spec.Kind == GramKind.Rbf ? SquaredNorms(y, N, D) : [];
        fixed (float* pg = g)
        {
            nint ag = (nint)pg;
            Parallelism.For(M, Math.Max(1, 16384 / Math.Max(N, 1)), (start, end) =>
            {
                for (int i = start; i < end; i++)
                {
                    var row = new Span<float>((float*)ag + (long)i * N, N);
                    if (spec.Kind == GramKind.Rbf) RbfRow(row, xNorms[i], yNorms, spec.Gamma);
                    else PolynomialRow(row, spec.Gamma, spec.Coef0, spec.Degree);
                }
            });
        }
    }

    /// <summary>‖x_i‖² for every row of x (M,D), accumulated in double.</summary>
    public static float[] SquaredNorms(ReadOnlySpan<float> x, int M, int D)
    {
        var norms = new float[M];
        for (int i = 0; i < M; i++)
        {
            double s = 0;
            foreach (float v in x.Slice(i * D, D)) s += (double)v * v;
            norms[i] = (float)s;
        }
        return norms;
    }

    // row[j] holds ⟨x_i, y_j⟩ on entry and exp(−γ·max(‖x_i‖² + ‖y_j‖² − 2⟨x_i,y_j⟩, 0)) on exit.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RbfRow(Span<float> row, float xNorm, ReadOnlySpan<float> yNorms, float gamma)
    {
        int n = row.Length, j = 0;
        ref float r = ref MemoryMarshal.GetReference(row);
        ref float yn = ref MemoryMarshal.GetReference(yNorms);
        if (Vector512.IsHardwareAccelerated)
        {
            var xv = Vector512.Create(xNorm);
            var ng = Vector512.Create(-gamma);
            var two = Vector512.Create(2f);
            for (; j <= n - 16; j += 16)
            {
                var d2 = xv + Vector512.LoadUnsafe(ref yn, (nuint)j) - two * Vector512.LoadUnsafe(ref r, (nuint)j);
                VectorMath.Exp(ng * Vector512.Max(d2, Vector512<float>.Zero)).StoreUnsafe(ref r, (nuint)j);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var xv = Vector256.Create(xNorm);
            var ng = Vector256.Create(-gamma);
            var two = Vector256.Create(2f);
            for (; j <= n - 8; j += 8)
            {
                var d2 = xv + Vector256.LoadUnsafe(ref yn, (nuint)j) - two * Vector256.LoadUnsafe(ref r, (nuint)j);
                VectorMath.Exp(ng * Vector256.Max(d2, Vector256<float>.Zero)).StoreUnsafe(ref r, (nuint)j);
            }
        }
        // Scalar tail: fewer than 8 (or 16) entries.
        for (; j < n; j++)
            row[j] = MathF.Exp(-gamma * MathF.Max(xNorm + yNorms[j] - 2f * row[j], 0f));
    }

    // row[j] holds ⟨x_i, y_j⟩ on entry and (γ⟨x_i,y_j⟩ + c0)^p on exit (p multiplications).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PolynomialRow(Span<float> row, float gamma, float coef0, int degree)
    {
        int n = row.Length, j = 0;
        ref float r = ref MemoryMarshal.GetReference(row);
        if (Vector512.IsHardwareAccelerated)
        {
            var gv = Vector512.Create(gamma);
            var cv = Vector512.Create(coef0);
            for (; j <= n - 16; j += 16)
            {
                var b = gv * Vector512.LoadUnsafe(ref r, (nuint)j) + cv;
                var p = b;
                for (int k = 1; k < degree; k++) p *= b;
                p.StoreUnsafe(ref r, (nuint)j);
            }
        }
        // Scalar tail (and the whole row where Vector512 is not accelerated).
        for (; j < n; j++)
        {
            float b = gamma * row[j] + coef0, p = b;
            for (int k = 1; k < degree; k++) p *= b;
            row[j] = p;
        }
    }
}
