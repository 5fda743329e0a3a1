// MatMul — C = alpha·op(A)·op(B) + beta·C in single precision, dense row-major.
//
// Shapes: M, N, K. op(A) is (M,K), op(B) is (K,N), C is (M,N). A is stored (M,K), or (K,M) when
// transA; B is stored (K,N), or (N,K) when transB. All variants share GemmKernel's signature.
// Variants, one file each, in reading order:
//   1. Naive — loops i, j, k with k innermost: one float dot product per c[i,j]. Obvious and
//              slow: for !transB the inner loop walks B down a column (stride N), one cache
//              line per multiply-add. The reference every other variant is tested against.
//   2. Simd  — loops i, k, j: the inner loop is a contiguous AXPY, c[i,:] += a[i,k]·b[k,:],
//              with Vector512/256 FMA; rows of C split across threads. (MatMul.2.Simd.cs)
//   3. Blocked — variant 2's loop over cache-sized blocks of B and C (MatMul.3.Blocked.cs).
//   4. Packed — BLIS: packed panels, a 12×32 register-tiled FMA micro-kernel, KC/MC/NC cache
//              blocks, threads over macro-tiles (MatMul.4.Packed.cs). What MatMulKernels.Gemm runs.
//
//   dotnet run -c Release --project src/Runner -- kernel matmul --variant 1

namespace FusionScratch.Kernels;

/// <summary>Matrix multiply variants, all of the <see cref="GemmKernel"/> signature.</summary>
public static partial class MatMulKernels
{
    /// <summary>
    /// Reference GEMM, three loops with k innermost, accumulating in float: effectively computes
    /// c[i,j] = alpha·Σk op(A)[i,k]·op(B)[k,j] + beta·c[i,j]. beta = 0 overwrites C (NaN in C is
    /// ignored); alpha = 0 reads neither A nor B. Single-threaded.
    /// </summary>
    public static void Naive(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, Span<float> c)
    {
        CheckGemm(a.Length, transA, b.Length, transB, M, N, K, c.Length);
        // a is (M,K) row-major, or (K,M) if transA; b is (K,N), or (N,K) if transB; c is (M,N)
        if (alpha == 0f)
        {
            ScaleByBeta(c, beta); // BLAS quick return: A and B are not read
            return;
        }
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                float acc = 0f;
                for (int k = 0; k < K; k++)
                {
                    float aik = transA ? a[k * M + i] : a[i * K + k];
                    float bkj = transB ? b[j * K + k] : b[k * N + j];
                    acc += aik * bkj;
                }
                // beta = 0 must not read c: 0·NaN would be NaN
                c[i * N + j] = beta == 0f ? alpha * acc : alpha * acc + beta * c[i * N + j];
            }
    }
}
