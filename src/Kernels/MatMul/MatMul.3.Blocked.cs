// MatMul, variant 3 — cache blocking alone: variant 2's inner loop, run over blocks that fit the caches.
//
// Shapes: op(A) is (M,K), op(B) is (K,N), C is (M,N), row-major; see MatMul.1.Naive.cs.
// What changes from variant 2 (Simd), and why:
//   - Variant 2 streams all of B (K×N) past every row of C: once B outgrows L2, every row of C
//     reads B from L3 or memory again. Here the loops are cut into blocks (BLIS's names):
//       jc over N in BlockedNC steps   a strip of BlockedNC columns of C and of B
//       pc over K in BlockedKC steps   a BlockedKC × BlockedNC block of B: 512 KiB, kept in L2
//       i  over the rows of C          c[i, jc..] (2 KiB) stays in L1 while the block's rows of B pass
//     so each element of B is fetched from beyond L2 once per strip, not once per row of C.
//   - beta is applied once, up front (ScaleByBeta), because C is now visited K/BlockedKC times.
//   - Same AXPY-of-four inner loop, same transB handling (transpose into a pooled scratch),
//     same threads (rows of C split across Parallelism.For).
// What it does not fix: C is still loaded and stored once per four k, and nothing stays in
// registers across the k loop. Blocking alone buys little here — L2 on this CPU is fast — which
// is the point of variant 4: keep an MR×NR tile of C in registers, and pack the operands.
//
//   dotnet run -c Release --project src/Runner -- kernel matmul --variant 3

using System.Buffers;
using System.Diagnostics;

namespace FusionScratch.Kernels;

public static partial class MatMulKernels
{
    /// <summary>Columns per strip in <see cref="Blocked"/>: a 2 KiB segment of a row of C (L1).</summary>
    internal const int BlockedNC = 512;

    /// <summary>Depth per block in <see cref="Blocked"/>: BlockedKC × BlockedNC floats of B = 512 KiB (L2).</summary>
    internal const int BlockedKC = 256;

    /// <summary>
    /// GEMM with variant 2's vectorised AXPY inner loop over cache-sized blocks of B and C (no
    /// packing, no register tile): effectively computes c[i,j] = alpha·Σk op(A)[i,k]·op(B)[k,j] + beta·c[i,j].
    /// Matches <see cref="Naive"/> within rounding. beta = 0 overwrites C (NaN in C is ignored);
    /// alpha = 0 reads neither A nor B. Rows of C split across threads (the threaded call allocates its closure).
    /// </summary>
    public static void Blocked(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, Span<float> c)
    {
        CheckGemm(a.Length, transA, b.Length, transB, M, N, K, c.Length);
        // a is (M,K) row-major, or (K,M) if transA; b is (K,N), or (N,K) if transB; c is (M,N)
        if (M == 0 || N == 0) return;
        ScaleByBeta(c, beta); // C is visited once per K block: scale it once, then accumulate
        if (alpha == 0f || K == 0) return; // BLAS quick return: A and B are not read

        float[]? scratch = null;
        try
        {
            ReadOnlySpan<float> bkn = b; // B as (K,N) row-major
            if (transB)
            {
                scratch = ArrayPool<float>.Shared.Rent(K * N);
                TransposeInto(b, N, K, scratch.AsSpan(0, K * N));
                bkn = scratch.AsSpan(0, K * N);
            }
            long work = (long)M * N * K;
            if (Parallelism.Threads == 1 || M < 2 || work < 2L * SimdParallelThreshold)
                BlockedRows(a, transA, bkn, M, N, K, alpha, c, 0, M);
            else
                BlockedParallel(a, transA, bkn, M, N, K, alpha, c);
        }
        finally
        {
            if (scratch != null) ArrayPool<float>.Shared.Return(scratch);
        }
    }

    private static unsafe void BlockedParallel(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> bkn, int M, int N, int K,
        float alpha, Span<float> c)
    {
        int minRows = (int)Math.Max(1, SimdParallelThreshold / Math.Max(1L, (long)N * K));
        fixed (float* pa = a, pb = bkn, pc = c)
            Parallelism.For(M, minRows,
                (A: new Pinned<float>(pa, a.Length), transA, B: new Pinned<float>(pb, bkn.Length), M, N, K, alpha, C: new Pinned<float>(pc, c.Length)),
                static (st, i0, i1) => BlockedRows(st.A.Span, st.transA, st.B.Span, st.M, st.N, st.K, st.alpha, st.C.Span, i0, i1));
    }

    /// <summary>Rows [i0, i1) of C += alpha·op(A)·B, B given as (K,N), block by block.</summary>
    private static void BlockedRows(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> bkn, int M, int N, int K,
        float alpha, Span<float> c, int i0, int i1)
    {
        Debug.Assert(BlockedKC % 4 == 0);
        // jc over N in BlockedNC steps: one strip of columns
        for (int jc = 0; jc < N; jc += BlockedNC)
        {
            int nc = Math.Min(BlockedNC, N - jc);
            // pc over K in BlockedKC steps: one L2-sized block of B
            for (int pc = 0; pc < K; pc += BlockedKC)
            {
                int kc = Math.Min(BlockedKC, K - pc);
                // every row of this thread's C against the block: c[i, jc..jc+nc] += Σk a[i,k]·b[k, jc..jc+nc]
                for (int i = i0; i < i1; i++)
                {
                    Span<float> ci = c.Slice(i * N + jc, nc);
                    int k = pc, kEnd = pc + kc;
                    for (; k <= kEnd - 4; k += 4)
                        Axpy4(A(a, transA, M, K, i, k) * alpha, A(a, transA, M, K, i, k + 1) * alpha,
                              A(a, transA, M, K, i, k + 2) * alpha, A(a, transA, M, K, i, k + 3) * alpha,
                              bkn.Slice(k * N + jc, 3 * N + nc), N, ci);
                    for (; k < kEnd; k++)
                        Axpy(A(a, transA, M, K, i, k) * alpha, bkn.Slice(k * N + jc, nc), ci);
                }
            }
        }
    }
}
