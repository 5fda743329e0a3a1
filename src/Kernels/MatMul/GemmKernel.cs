// GemmKernel — the one signature every CPU matmul variant shares, so a registry (and the tests)
// can swap MatMulKernels.Naive, .Simd and .Packed; and MatMulKernels.Gemm, the entry point the
// engine calls, which picks the variant for the shape.
//
// Shapes: op(A) is (M,K), op(B) is (K,N), C is (M,N), all dense row-major. A is stored (M,K), or
// (K,M) when transA; B is stored (K,N), or (N,K) when transB. op(X) is X or its transpose.
// Conventions (BLAS sgemm): beta = 0 overwrites C without reading it, so NaN or garbage in C
// does not leak into the result; alpha = 0 (or K = 0) reads neither A nor B and leaves beta·C.
//
//   dotnet run -c Release --project src/Runner -- kernel matmul --variant 1

namespace FusionScratch.Kernels;

/// <summary>
/// General matrix multiply on row-major spans: effectively computes
/// c[i,j] = alpha·Σk op(A)[i,k]·op(B)[k,j] + beta·c[i,j], where op(A) is (M,K) — stored (M,K), or
/// (K,M) when <paramref name="transA"/> — and op(B) is (K,N) — stored (K,N), or (N,K) when
/// <paramref name="transB"/>; C is (M,N). beta = 0 overwrites C even if it holds NaN (BLAS).
/// Every span length must match its shape exactly, or an <see cref="ArgumentException"/> names the shapes.
/// </summary>
public delegate void GemmKernel(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
    int M, int N, int K, float alpha, float beta, Span<float> c);

public static partial class MatMulKernels
{
    /// <summary>
    /// The GEMM the rest of the engine calls (Tensor.MatMul, convolutions, Gram matrices): the
    /// fastest correct variant for the shape. That is <see cref="Packed"/>, except for products of
    /// fewer than <see cref="GemmPackedMinMultiplyAdds"/> multiply-adds, where packing costs more
    /// than it saves and <see cref="Simd"/> runs instead.
    /// </summary>
    public static void Gemm(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, Span<float> c)
    {
        if ((long)M * N * K < GemmPackedMinMultiplyAdds)
            Simd(a, transA, b, transB, M, N, K, alpha, beta, c);
        else
            Packed(a, transA, b, transB, M, N, K, alpha, beta, c);
    }

    /// <summary>
    /// Crossover from Simd to Packed, in multiply-adds (M·N·K), measured on one thread (Zen 5):
    /// 8×8×8 Simd 6.1 vs Packed 4.2 GFLOP/s, 1×256×1 12.8 vs 1.5; 16×16×16 Simd 12.9 vs Packed
    /// 17.4, 32×32×32 26.8 vs 108. Packed's fixed cost (packing B, the per-thread workspace, the
    /// edge-tile write-back) is a few hundred nanoseconds.
    /// </summary>
    internal const long GemmPackedMinMultiplyAdds = 16 * 16 * 16;

    /// <summary>Validates GEMM arguments; the message names the shapes, e.g. "matmul: a has 12 elements, expected M×K = 3×5 = 15".</summary>
    internal static void CheckGemm(int aLength, bool transA, int bLength, bool transB, int M, int N, int K, int cLength)
    {
        if (M < 0 || N < 0 || K < 0)
            throw new ArgumentException($"matmul: negative dimension in M×N×K = {M}×{N}×{K}");
        if (aLength != (long)M * K)
            throw new ArgumentException(transA
                ? $"matmul: a has {aLength} elements, expected K×M = {K}×{M} = {(long)K * M} (transA)"
                : $"matmul: a has {aLength} elements, expected M×K = {M}×{K} = {(long)M * K}", "a");
        if (bLength != (long)K * N)
            throw new ArgumentException(transB
                ? $"matmul: b has {bLength} elements, expected N×K = {N}×{K} = {(long)N * K} (transB)"
                : $"matmul: b has {bLength} elements, expected K×N = {K}×{N} = {(long)K * N}", "b");
        if (cLength != (long)M * N)
            throw new ArgumentException($"matmul: c has {cLength} elements, expected M×N = {M}×{N} = {(long)M * N}", "c");
    }

    /// <summary>c = beta·c, where beta = 0 clears c instead of multiplying (so NaN in c does not survive).</summary>
    internal static void ScaleByBeta(Span<float> c, float beta)
    {
        if (beta == 0f) c.Clear();
        else if (beta != 1f)
            for (int i = 0; i < c.Length; i++) c[i] *= beta;
    }
}
