// Pack — copies blocks of op(A) and op(B) into the contiguous micro-panels the micro-kernel streams.
//
// Shapes: op(A) is (M,K), op(B) is (K,N); A is stored (M,K), or (K,M) when transA; B is stored
// (K,N), or (N,K) when transB. The packed GEMM (MatMul.4.Packed.cs) packs one MC×KC block of
// op(A) and one KC×NC block of op(B) at a time:
//
//   packed B: NR-column micro-panels, one after the other. Panel q holds rows k = 0..kc−1 of
//             op(B)[pc.., jc + q·NR ..+NR], NR floats per row, 64-byte aligned: the micro-kernel
//             loads row k as NR/16 (or NR/8) aligned vectors. alpha is folded in here, because
//             B is packed exactly once per call (A is packed once per NC block of columns).
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
// packed panels. transB is the one case that needs a real transpose (op(B) row k is a column of
// the stored B): an O(K·N) strided copy, once per call.
//
// Edges: a panel past the end of the matrix (fewer than MR rows or NR columns left) is padded
// with zeros, so the micro-kernel always runs its full MR×NR loop; only its write-back is partial.
// K needs no padding: the micro-kernel loops over the kc rows that exist.
//
//   dotnet run --project src/Runner -- kernel matmul --variant 4

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
    /// Packs alpha·op(B)[p0 .. p0+kc, j0 + q·NR ..) for the micro-panels q in [q0, q1) of a block of nc
    /// columns: panel q lands at dst + q·NR·kc, kc rows of NR floats; columns past nc are zeros.
    /// b is stored (K,N), or (N,K) when transB.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void B(float* b, bool transB, int N, int K, int p0, int kc, int j0, int nc, int NR, float alpha,
        int q0, int q1, float* dst)
    {
        Debug.Assert(kc >= 1 && nc >= 1 && p0 + kc <= K && j0 + nc <= N && NR % 8 == 0);
        if (!transB)
        {
            // Row k of every panel ← alpha·b[p0+k, j0 + q·NR ..): walk B row by row (one contiguous
            // stream, one page at a time) and deal each row out to the panels, NR floats each.
            // Walking panel by panel instead would touch kc pages per panel, 4 KiB apart when N = 1024.
            int full = Math.Min(q1, nc / NR); // panels [q0, full) have NR columns; panel q1−1 may be partial
            for (int k = 0; k < kc; k++)
            {
                float* src = b + (nint)(p0 + k) * N + j0;
                for (int q = q0; q < full; q++)
                    Scale(src + q * NR, dst + (nint)q * NR * kc + k * NR, NR, alpha);
                for (int q = Math.Max(full, q0); q < q1; q++)
                {
                    int jr = q * NR, nr = nc - jr;
                    float* s = src + jr, dk = dst + (nint)q * NR * kc + k * NR;
                    for (int j = 0; j < nr; j++) dk[j] = alpha * s[j];
                    for (int j = nr; j < NR; j++) dk[j] = 0f;
                }
            }
            return;
        }
        for (int q = q0; q < q1; q++)
        {
            // transB: op(B)[k, j] = b[j, k], so column j of the panel is a contiguous run of
            // row j0+jr+j of the stored B: read it in order, write it NR floats apart.
            int jr = q * NR, nr = Math.Min(NR, nc - jr);
            float* d = dst + (nint)q * NR * kc;
            if (nr < NR) new Span<float>(d, kc * NR).Clear();
            for (int j = 0; j < nr; j++)
            {
                float* s = b + (nint)(j0 + jr + j) * K + p0;
                float* dj = d + j;
                for (int k = 0; k < kc; k++)
                    dj[k * NR] = alpha * s[k];
            }
        }
    }

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

    /// <summary>dst[0..n) = alpha·src[0..n), n a multiple of 8: the row copy of packed B with alpha folded in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scale(float* src, float* dst, int n, float alpha)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> va = Vector512.Create(alpha);
            for (; j <= n - 16; j += 16) Vector512.Store(va * Vector512.Load(src + j), dst + j);
        }
        Vector256<float> vb = Vector256.Create(alpha);
        for (; j <= n - 8; j += 8) Vector256.Store(vb * Vector256.Load(src + j), dst + j);
        for (; j < n; j++) dst[j] = alpha * src[j];
    }
}
