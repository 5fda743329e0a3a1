// Pack — copies blocks of op(A) and op(B) into the contiguous micro-panels the micro-kernel streams.
//
// Shapes: op(A) is (M,K), op(B) is (K,N); A is stored (M,K), or (K,M) when transA; B is stored
// (K,N), or (N,K) when transB. The packed GEMM (MatMul.4.Packed.cs) packs one MC×KC block of
// op(A) and one KC×NC block of op(B) at a time:
//
//   packed B: NR-column micro-panels, one after the other. Panel q holds rows k = 0..kc−1 of
//             op(B)[pc.., jc + q·NR ..+NR], NR floats per row, 64-byte aligned: the micro-kernel
//             loads row k as NR/16 (or NR/8) vectors. When !transB, row k of a panel is already
//             NR consecutive floats of row k of B, so the packed GEMM may skip this copy and read
//             B in place (row stride N) when M is small; then only a ragged last panel comes here.
//   packed A: MR-row micro-panels, MR·KC floats apart. Inside a panel the layout follows the
//             source, so that packing is a straight copy either way:
//               RowPanel    (!transA, A stored (M,K)): row r of the panel is kc consecutive floats
//                           of row i+r of A; rows are KC floats apart. Element (r,k) at r·KC + k.
//               ColumnPanel (transA, A stored (K,M)): for each k, the MR floats op(A)[i..i+MR, k]
//                           are consecutive in A (row k of the stored matrix) and stay so:
//                           element (r,k) at k·MR + r.
//             The micro-kernel only broadcasts single elements of A, so it does not care which;
//             it is compiled once per layout (a struct type argument). RowPanel's row stride is
//             an argument, so the same code also reads A in place (row stride K), which the
//             packed GEMM does when !transA and a block of A meets few B panels: then only a
//             ragged last micro-panel goes through A() here.
//
// Transposed operands are handled here and only here: the micro-kernel always sees the same
// panels. transB is the one case that needs a real transpose (op(B) row k is a column of the
// stored B): 16×16 blocks transposed in AVX-512 registers, once per call. alpha is not applied
// here: the micro-kernel scales its finished tile, so a copy is a copy and in place is possible.
//
// Edges: a panel past the end of the matrix (fewer than MR rows or NR columns left) is padded
// with zeros, so the micro-kernel always runs its full MR×NR loop; only its write-back is partial.
// K needs no padding: the micro-kernel loops over the kc rows that exist.
//
//   dotnet run -c Release --project src/Runner -- kernel matmul --variant 4

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusionScratch.Kernels;

/// <summary>Where element (r, k) of an MR×kc micro-panel of A lives: at r·RowStride + k·KStride.</summary>
internal interface IPackedALayout
{
    /// <summary>Distance in floats between rows r and r+1 of the micro-panel; rs is the row stride the caller passes.</summary>
    static abstract nint RowStride(nint rs);

    /// <summary>Distance in floats between k and k+1 along a row of the micro-panel.</summary>
    static abstract nint KStride(int mr);
}

/// <summary>
/// A for !transA: row r of the micro-panel is kc consecutive floats, rows rs apart — rs = KC in
/// a packed block, or K when the micro-kernel reads the rows of A in place (see MatMul.4.Packed.cs).
/// </summary>
internal struct RowPanel : IPackedALayout
{
    public static nint RowStride(nint rs) => rs;
    public static nint KStride(int mr) => 1;
}

/// <summary>Packed A for transA: for each k, the MR floats op(A)[i..i+MR, k] together (k-major, BLIS's usual layout).</summary>
internal struct ColumnPanel : IPackedALayout
{
    public static nint RowStride(nint rs) => 1;
    public static nint KStride(int mr) => mr;
}

/// <summary>Packing of op(A) and op(B) blocks into micro-panels (see the header comment for the layouts).</summary>
internal static unsafe class Pack
{
    /// <summary>
    /// Packs op(A)[i0 .. i0+mc, p0 .. p0+kc) into ⌈mc/MR⌉ micro-panels of MR rows, MR·KC floats
    /// apart, at dst (layout RowPanel if !transA, ColumnPanel if transA); rows past mc are zeros.
    /// a is stored (M,K), or (K,M) when transA.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void A(float* a, bool transA, int M, int K, int i0, int mc, int p0, int kc, int MR, float* dst)
    {
        Debug.Assert(mc >= 1 && kc >= 1 && kc <= GemmBlocking.KC && i0 + mc <= M && p0 + kc <= K);
        for (int ir = 0; ir < mc; ir += MR, dst += MR * GemmBlocking.KC)
        {
            int mr = Math.Min(MR, mc - ir);
            if (!transA)
            {
                // RowPanel: row r ← a[i0+ir+r, p0 .. p0+kc), a straight copy; missing rows are zeros.
                for (int r = 0; r < mr; r++)
                    Copy(a + (nint)(i0 + ir + r) * K + p0, dst + r * GemmBlocking.KC, kc);
                for (int r = mr; r < MR; r++)
                    new Span<float>(dst + r * GemmBlocking.KC, kc).Clear();
            }
            else
            {
                // ColumnPanel: group k ← a[p0+k, i0+ir .. +mr), MR floats; missing rows are zeros.
                float* src = a + (nint)p0 * M + i0 + ir;
                if (mr == MR)
                    for (int k = 0; k < kc; k++)
                        Copy(src + (nint)k * M, dst + k * MR, MR);
                else
                    for (int k = 0; k < kc; k++)
                    {
                        float* d = dst + k * MR;
                        for (int r = 0; r < mr; r++) d[r] = src[(nint)k * M + r];
                        for (int r = mr; r < MR; r++) d[r] = 0f;
                    }
            }
        }
    }

    /// <summary>
    /// Packs op(B)[p0 .. p0+kc, j0 + q·NR ..) for the micro-panels q in [q0, q1) of a block of nc
    /// columns: panel q lands at dst + (q − q0)·NR·kc, kc rows of NR floats; columns past nc are zeros.
    /// b is stored (K,N), or (N,K) when transB.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void B(float* b, bool transB, int N, int K, int p0, int kc, int j0, int nc, int NR,
        int q0, int q1, float* dst)
    {
        Debug.Assert(kc >= 1 && nc >= 1 && p0 + kc <= K && j0 + nc <= N && NR % 8 == 0);
        if (!transB)
        {
            // Row k of every panel ← b[p0+k, j0 + q·NR ..): walk B row by row (one contiguous
            // stream, one page at a time) and deal each row out to the panels, NR floats each.
            // Walking panel by panel instead would touch kc pages per panel, 4 KiB apart when N = 1024.
            int full = Math.Min(q1, nc / NR); // panels [q0, full) have NR columns; panel q1−1 may be partial
            for (int k = 0; k < kc; k++)
            {
                float* src = b + (nint)(p0 + k) * N + j0;
                for (int q = q0; q < full; q++)
                    Copy(src + q * NR, dst + (nint)(q - q0) * NR * kc + k * NR, NR);
                for (int q = Math.Max(full, q0); q < q1; q++)
                {
                    int jr = q * NR, nr = nc - jr;
                    float* s = src + jr, dk = dst + (nint)(q - q0) * NR * kc + k * NR;
                    for (int j = 0; j < nr; j++) dk[j] = s[j];
                    for (int j = nr; j < NR; j++) dk[j] = 0f;
                }
            }
            return;
        }
        for (int q = q0; q < q1; q++)
        {
            // transB: op(B)[k, j] = b[j, k], so column j of the panel is a contiguous run of
            // row j0+jr+j of the stored B. With AVX-512, 16 such runs of 16 floats are loaded as
            // 16 vectors, transposed in registers and stored as 16 rows of the panel (about
            // 0.2 cycles per float, against one store per float for the scalar loop below).
            int jr = q * NR, nr = Math.Min(NR, nc - jr);
            float* d = dst + (nint)(q - q0) * NR * kc;
            float* src = b + (nint)(j0 + jr) * K + p0;
            int k0 = 0;
            if (Avx512F.IsSupported && nr == NR && NR % 16 == 0)
            {
                for (; k0 <= kc - 16; k0 += 16)
                    for (int j = 0; j < NR; j += 16)
                        Transpose16x16(src + (nint)j * K + k0, K, d + k0 * NR + j, NR);
            }
            else if (nr < NR)
                new Span<float>(d, kc * NR).Clear();
            for (int j = 0; j < nr; j++)
            {
                float* sj = src + (nint)j * K;
                float* dj = d + j;
                for (int k = k0; k < kc; k++)
                    dj[k * NR] = sj[k];
            }
        }
    }

    /// <summary>
    /// dst[i, r] = src[r, i] for a 16×16 block: src rows are ld floats apart, dst rows ldd apart.
    /// The classic AVX-512 sequence: interleave pairs of rows (unpack ps), then pairs of pairs
    /// (unpack pd), then 128-bit blocks twice (vshuff32x4) — 64 shuffles for 256 floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16x16(float* src, nint ld, float* dst, nint ldd)
    {
        Vector512<float> r0 = Vector512.Load(src), r1 = Vector512.Load(src + ld), r2 = Vector512.Load(src + 2 * ld),
            r3 = Vector512.Load(src + 3 * ld), r4 = Vector512.Load(src + 4 * ld), r5 = Vector512.Load(src + 5 * ld),
            r6 = Vector512.Load(src + 6 * ld), r7 = Vector512.Load(src + 7 * ld), r8 = Vector512.Load(src + 8 * ld),
            r9 = Vector512.Load(src + 9 * ld), r10 = Vector512.Load(src + 10 * ld), r11 = Vector512.Load(src + 11 * ld),
            r12 = Vector512.Load(src + 12 * ld), r13 = Vector512.Load(src + 13 * ld), r14 = Vector512.Load(src + 14 * ld),
            r15 = Vector512.Load(src + 15 * ld);
        // 1. per 128-bit lane: t0 = a0 b0 a1 b1, t1 = a2 b2 a3 b3 (rows a = r0, b = r1), and so on
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<float> t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5);
        Vector512<float> t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9);
        Vector512<float> t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13);
        Vector512<float> t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);
        // 2. per 128-bit lane: r0 = a0 b0 c0 d0, r1 = a1 b1 c1 d1, r2 = a2 b2 c2 d2, r3 = a3 b3 c3 d3
        r0 = UnpackLowPairs(t0, t2); r1 = UnpackHighPairs(t0, t2); r2 = UnpackLowPairs(t1, t3); r3 = UnpackHighPairs(t1, t3);
        r4 = UnpackLowPairs(t4, t6); r5 = UnpackHighPairs(t4, t6); r6 = UnpackLowPairs(t5, t7); r7 = UnpackHighPairs(t5, t7);
        r8 = UnpackLowPairs(t8, t10); r9 = UnpackHighPairs(t8, t10); r10 = UnpackLowPairs(t9, t11); r11 = UnpackHighPairs(t9, t11);
        r12 = UnpackLowPairs(t12, t14); r13 = UnpackHighPairs(t12, t14); r14 = UnpackLowPairs(t13, t15); r15 = UnpackHighPairs(t13, t15);
        // 3. 128-bit blocks: 0x88 takes blocks 0 and 2 of each source, 0xDD blocks 1 and 3
        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t1 = Avx512F.Shuffle4x128(r1, r5, 0x88);
        t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
        t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD);
        t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88); t9 = Avx512F.Shuffle4x128(r9, r13, 0x88);
        t10 = Avx512F.Shuffle4x128(r10, r14, 0x88); t11 = Avx512F.Shuffle4x128(r11, r15, 0x88);
        t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD); t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD);
        t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD); t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);
        // 4. column i of the block = row i of the result
        Avx512F.Shuffle4x128(t0, t8, 0x88).Store(dst);
        Avx512F.Shuffle4x128(t1, t9, 0x88).Store(dst + ldd);
        Avx512F.Shuffle4x128(t2, t10, 0x88).Store(dst + 2 * ldd);
        Avx512F.Shuffle4x128(t3, t11, 0x88).Store(dst + 3 * ldd);
        Avx512F.Shuffle4x128(t4, t12, 0x88).Store(dst + 4 * ldd);
        Avx512F.Shuffle4x128(t5, t13, 0x88).Store(dst + 5 * ldd);
        Avx512F.Shuffle4x128(t6, t14, 0x88).Store(dst + 6 * ldd);
        Avx512F.Shuffle4x128(t7, t15, 0x88).Store(dst + 7 * ldd);
        Avx512F.Shuffle4x128(t0, t8, 0xDD).Store(dst + 8 * ldd);
        Avx512F.Shuffle4x128(t1, t9, 0xDD).Store(dst + 9 * ldd);
        Avx512F.Shuffle4x128(t2, t10, 0xDD).Store(dst + 10 * ldd);
        Avx512F.Shuffle4x128(t3, t11, 0xDD).Store(dst + 11 * ldd);
        Avx512F.Shuffle4x128(t4, t12, 0xDD).Store(dst + 12 * ldd);
        Avx512F.Shuffle4x128(t5, t13, 0xDD).Store(dst + 13 * ldd);
        Avx512F.Shuffle4x128(t6, t14, 0xDD).Store(dst + 14 * ldd);
        Avx512F.Shuffle4x128(t7, t15, 0xDD).Store(dst + 15 * ldd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> UnpackLowPairs(Vector512<float> x, Vector512<float> y) =>
        Avx512F.UnpackLow(x.AsDouble(), y.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> UnpackHighPairs(Vector512<float> x, Vector512<float> y) =>
        Avx512F.UnpackHigh(x.AsDouble(), y.AsDouble()).AsSingle();

    /// <summary>dst[0..n) = src[0..n): vector copy, width ladder 512 → 256 → 128 → scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* src, float* dst, int n)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j <= n - 16; j += 16) Vector512.Store(Vector512.Load(src + j), dst + j);
        if (Vector256.IsHardwareAccelerated)
            for (; j <= n - 8; j += 8) Vector256.Store(Vector256.Load(src + j), dst + j);
        if (Vector128.IsHardwareAccelerated)
            for (; j <= n - 4; j += 4) Vector128.Store(Vector128.Load(src + j), dst + j);
        for (; j < n; j++) dst[j] = src[j];
    }
}
