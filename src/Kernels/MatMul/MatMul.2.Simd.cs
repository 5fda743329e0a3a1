// MatMul, variant 2 — the first SIMD step: reorder the loops so the inner loop is contiguous.
//
// Shapes: op(A) is (M,K), op(B) is (K,N), C is (M,N), row-major; see MatMul.1.Naive.cs.
// What changes from variant 1, and why:
//   - Loop order i, k, j instead of i, j, k. Row i of C is built as Σk a[i,k]·(row k of B): the
//     inner loop is an AXPY, c[i,:] += a[i,k]·b[k,:], over two contiguous rows, so it runs as
//     Vector512 (else Vector256, then Vector128) fused multiply-adds with unit-stride loads. The
//     row of C (N floats) stays in L1 while all K rows of B stream past.
//   - Four rows of B per pass: c[i,:] += a[i,k]·b[k,:] + … + a[i,k+3]·b[k+3,:] as four FMAs on
//     one load and one store of c[i,:]. A single AXPY needs a load and a store of C per FMA, and
//     the store port (one per cycle) caps it; grouping four ran about 2× faster here.
//     The FMAs run in the same k order as four single AXPYs, so the rounding does not change.
//   - transB: B is stored (N,K), so b[k,:] would be strided. We first transpose B into a
//     (K,N) scratch from ArrayPool (O(N·K) copies against O(M·N·K) multiply-adds, and pooled, so
//     no allocation in steady state) and run the same inner loop. The alternative — a dot product
//     along K per c[i,j] — is contiguous only when A is not transposed too, and ends each output
//     with a horizontal add; one inner loop for all four cases is easier to read and to tune.
//   - transA: a[i,k] is one scalar per (i,k) (K·M of them against M·N·K multiply-adds), so the
//     stride does not matter and A is read in place.
//   - Threads: rows of C are split across Parallelism.For; each thread owns whole rows, so no
//     two threads write the same cache line except at chunk edges.
//   - alpha is folded into a[i,k] (alpha·a[i,k] then the FMA), so the rounding differs from
//     Naive's alpha·Σ; the FMA rounds once per step where Naive rounds twice.
// Still slow next to BLAS: each group of four k re-loads and re-stores the whole row of C, every
// element of B is loaded once per row of C (M times in all, from L2 or memory once B outgrows
// L1), and only one row of C is live at a time. Variant 3 (MatMul.3.Blocked.cs) blocks the loops
// for the caches; variant 4 (MatMul.4.Packed.cs) keeps an MR×NR block of C in registers for a
// whole block of K and packs the operands.
//
//   dotnet run -c Release --project src/Runner -- kernel matmul --variant 2

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusionScratch.Kernels;

public static partial class MatMulKernels
{
    /// <summary>Multiply-adds a thread should get at least; smaller products stay on the calling thread.</summary>
    internal const int SimdParallelThreshold = 1 << 17;

    /// <summary>
    /// GEMM with a vectorised AXPY inner loop (i-k-j order), rows of C split across threads:
    /// effectively computes c[i,j] = alpha·Σk op(A)[i,k]·op(B)[k,j] + beta·c[i,j]. Matches
    /// <see cref="Naive"/> within rounding. beta = 0 overwrites C (NaN in C is ignored);
    /// alpha = 0 reads neither A nor B.
    /// </summary>
    public static void Simd(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, Span<float> c)
    {
        CheckGemm(a.Length, transA, b.Length, transB, M, N, K, c.Length);
        // a is (M,K) row-major, or (K,M) if transA; b is (K,N), or (N,K) if transB; c is (M,N)
        if (M == 0 || N == 0) return;
        if (alpha == 0f || K == 0)
        {
            ScaleByBeta(c, beta); // BLAS quick return: A and B are not read
            return;
        }

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
                SimdRows(a, transA, bkn, M, N, K, alpha, beta, c, 0, M);
            else
                SimdParallel(a, transA, bkn, M, N, K, alpha, beta, c);
        }
        finally
        {
            if (scratch != null) ArrayPool<float>.Shared.Return(scratch);
        }
    }

    private static unsafe void SimdParallel(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> bkn, int M, int N, int K,
        float alpha, float beta, Span<float> c)
    {
        // Spans cannot be loop state, so each chunk rebuilds them from the pinned pointers.
        int minRows = (int)Math.Max(1, SimdParallelThreshold / Math.Max(1L, (long)N * K));
        fixed (float* pa = a, pb = bkn, pc = c)
            Parallelism.For(M, minRows,
                (A: new Pinned<float>(pa, a.Length), transA, B: new Pinned<float>(pb, bkn.Length), M, N, K, alpha, beta, C: new Pinned<float>(pc, c.Length)),
                static (st, i0, i1) => SimdRows(st.A.Span, st.transA, st.B.Span, st.M, st.N, st.K, st.alpha, st.beta, st.C.Span, i0, i1));
    }

    /// <summary>Rows [i0, i1) of C: c[i,:] = beta·c[i,:], then c[i,:] += (alpha·a[i,k])·b[k,:] for every k, four k at a time.</summary>
    private static void SimdRows(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> bkn, int M, int N, int K,
        float alpha, float beta, Span<float> c, int i0, int i1)
    {
        for (int i = i0; i < i1; i++)
        {
            Span<float> ci = c.Slice(i * N, N);
            ScaleByBeta(ci, beta);
            int k = 0;
            for (; k <= K - 4; k += 4) // four rows of B per pass over c[i,:]
                Axpy4(A(a, transA, M, K, i, k) * alpha, A(a, transA, M, K, i, k + 1) * alpha,
                      A(a, transA, M, K, i, k + 2) * alpha, A(a, transA, M, K, i, k + 3) * alpha,
                      bkn.Slice(k * N, 4 * N), N, ci);
            for (; k < K; k++) // the last K mod 4 rows, one at a time
                Axpy(A(a, transA, M, K, i, k) * alpha, bkn.Slice(k * N, N), ci);
        }
    }

    /// <summary>op(A)[i,k] from A stored (M,K), or (K,M) when transA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float A(ReadOnlySpan<float> a, bool transA, int M, int K, int i, int k) => transA ? a[k * M + i] : a[i * K + k];

    /// <summary>
    /// y[j] += s0·x[j] + s1·x[ld+j] + s2·x[2ld+j] + s3·x[3ld+j] as four fused multiply-adds in that
    /// order (the order of four single AXPYs), loading and storing y once instead of four times.
    /// x holds four rows of B, ld apart. Width ladder 512 → 256 → 128 → scalar tail of at most 3.
    /// </summary>
    private static void Axpy4(float s0, float s1, float s2, float s3, ReadOnlySpan<float> x, int ld, Span<float> y)
    {
        int n = y.Length, j = 0;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float x1 = ref Unsafe.Add(ref x0, ld);
        ref float x2 = ref Unsafe.Add(ref x0, 2 * ld);
        ref float x3 = ref Unsafe.Add(ref x0, 3 * ld);
        ref float yr = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> v0 = Vector512.Create(s0), v1 = Vector512.Create(s1), v2 = Vector512.Create(s2), v3 = Vector512.Create(s3);
            for (; j <= n - 16; j += 16)
            {
                var acc = Vector512.LoadUnsafe(ref yr, (nuint)j);
                acc = Vector512.FusedMultiplyAdd(v0, Vector512.LoadUnsafe(ref x0, (nuint)j), acc);
                acc = Vector512.FusedMultiplyAdd(v1, Vector512.LoadUnsafe(ref x1, (nuint)j), acc);
                acc = Vector512.FusedMultiplyAdd(v2, Vector512.LoadUnsafe(ref x2, (nuint)j), acc);
                acc = Vector512.FusedMultiplyAdd(v3, Vector512.LoadUnsafe(ref x3, (nuint)j), acc);
                acc.StoreUnsafe(ref yr, (nuint)j);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> v0 = Vector256.Create(s0), v1 = Vector256.Create(s1), v2 = Vector256.Create(s2), v3 = Vector256.Create(s3);
            for (; j <= n - 8; j += 8)
            {
                var acc = Vector256.LoadUnsafe(ref yr, (nuint)j);
                acc = Vector256.FusedMultiplyAdd(v0, Vector256.LoadUnsafe(ref x0, (nuint)j), acc);
                acc = Vector256.FusedMultiplyAdd(v1, Vector256.LoadUnsafe(ref x1, (nuint)j), acc);
                acc = Vector256.FusedMultiplyAdd(v2, Vector256.LoadUnsafe(ref x2, (nuint)j), acc);
                acc = Vector256.FusedMultiplyAdd(v3, Vector256.LoadUnsafe(ref x3, (nuint)j), acc);
                acc.StoreUnsafe(ref yr, (nuint)j);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> v0 = Vector128.Create(s0), v1 = Vector128.Create(s1), v2 = Vector128.Create(s2), v3 = Vector128.Create(s3);
            for (; j <= n - 4; j += 4)
            {
                var acc = Vector128.LoadUnsafe(ref yr, (nuint)j);
                acc = Vector128.FusedMultiplyAdd(v0, Vector128.LoadUnsafe(ref x0, (nuint)j), acc);
                acc = Vector128.FusedMultiplyAdd(v1, Vector128.LoadUnsafe(ref x1, (nuint)j), acc);
                acc = Vector128.FusedMultiplyAdd(v2, Vector128.LoadUnsafe(ref x2, (nuint)j), acc);
                acc = Vector128.FusedMultiplyAdd(v3, Vector128.LoadUnsafe(ref x3, (nuint)j), acc);
                acc.StoreUnsafe(ref yr, (nuint)j);
            }
        }
        for (; j < n; j++)
        {
            float acc = Unsafe.Add(ref yr, j);
            acc = MathF.FusedMultiplyAdd(s0, Unsafe.Add(ref x0, j), acc);
            acc = MathF.FusedMultiplyAdd(s1, Unsafe.Add(ref x1, j), acc);
            acc = MathF.FusedMultiplyAdd(s2, Unsafe.Add(ref x2, j), acc);
            acc = MathF.FusedMultiplyAdd(s3, Unsafe.Add(ref x3, j), acc);
            Unsafe.Add(ref yr, j) = acc;
        }
    }

    /// <summary>y[j] += s·x[j] with fused multiply-adds, width ladder 512 → 256 → 128 → scalar tail of at most 3.</summary>
    private static void Axpy(float s, ReadOnlySpan<float> x, Span<float> y)
    {
        int n = x.Length, j = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            var sv = Vector512.Create(s);
            for (; j <= n - 16; j += 16)
                Vector512.FusedMultiplyAdd(sv, Vector512.LoadUnsafe(ref xr, (nuint)j), Vector512.LoadUnsafe(ref yr, (nuint)j))
                    .StoreUnsafe(ref yr, (nuint)j);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var sv = Vector256.Create(s);
            for (; j <= n - 8; j += 8)
                Vector256.FusedMultiplyAdd(sv, Vector256.LoadUnsafe(ref xr, (nuint)j), Vector256.LoadUnsafe(ref yr, (nuint)j))
                    .StoreUnsafe(ref yr, (nuint)j);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var sv = Vector128.Create(s);
            for (; j <= n - 4; j += 4)
                Vector128.FusedMultiplyAdd(sv, Vector128.LoadUnsafe(ref xr, (nuint)j), Vector128.LoadUnsafe(ref yr, (nuint)j))
                    .StoreUnsafe(ref yr, (nuint)j);
        }
        for (; j < n; j++)
            Unsafe.Add(ref yr, j) = MathF.FusedMultiplyAdd(s, Unsafe.Add(ref xr, j), Unsafe.Add(ref yr, j));
    }

    /// <summary>dst (cols, rows) = transpose of src (rows, cols), both row-major. Plain loops: O(rows·cols), off the hot path.</summary>
    private static void TransposeInto(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < cols; q++)
                dst[q * rows + r] = src[r * cols + q];
    }
}
