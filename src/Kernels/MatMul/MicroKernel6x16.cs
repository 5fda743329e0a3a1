// MicroKernel6x16 — the packed GEMM's micro-kernel for CPUs without AVX-512 (Vector256, AVX2 + FMA).
//
// Op: C[0:MR, 0:NR] = alpha·Ã·B̃ + beta·C, one MR×NR = 6×16 tile of C; Ã is an MR×kc micro-panel
// of op(A) (layout TLayout, rows rsA apart: see Pack.cs), B̃ a kc×NR micro-panel of op(B), rows
// rsB apart (packed or in place).
//
// The same scheme as MicroKernel12x32 at half the width and half the height, sized for the 16
// ymm registers of AVX2: 12 accumulators (6 rows × 2 vectors of 8), 2 for the row of B̃, 1 for
// the broadcast — BLIS's haswell sgemm kernel is also 6×16. MatMulKernels.Packed picks it when
// Vector512 is not hardware-accelerated; the tests force it through an internal switch.
// Edge tiles go through a stack buffer and a plain scalar copy-out of the valid mr × nr part
// (no masked stores: simpler, and edges are a small share of the work).
//
//   dotnet run -c Release --project src/Runner -- kernel matmul --variant 4

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusionScratch.Kernels;

/// <summary>6×16 Vector256 FMA micro-kernel of the packed GEMM.</summary>
internal readonly unsafe struct MicroKernel6x16 : IMicroKernel
{
    public const int MR = 6;
    public const int NR = 16;
    static int IMicroKernel.MR => MR;
    static int IMicroKernel.NR => NR;

    /// <summary>
    /// c[r, j] = alpha·Σk a[r, k]·b[k, j] + beta·c[r, j] for r &lt; mr, j &lt; nr, where a is an MR×kc
    /// micro-panel in layout <typeparamref name="TLayout"/> (rows rsA apart), b a kc×NR micro-panel
    /// (rows rsB apart) and c has row stride ldc. beta = 0 does not read c.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public static void Run<TLayout>(int kc, float* a, nint rsA, float* b, nint rsB, float* c, nint ldc, float alpha, float beta, int mr, int nr)
        where TLayout : struct, IPackedALayout
    {
        Debug.Assert(kc >= 1 && kc <= GemmBlocking.KC);
        Debug.Assert(mr >= 1 && mr <= MR && nr >= 1 && nr <= NR);
        nint rs = TLayout.RowStride(rsA), ks = TLayout.KStride(MR);

        Vector256<float> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default,
                         c3a = default, c3b = default, c4a = default, c4b = default, c5a = default, c5b = default;
        for (int k = 0; k < kc; k++)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
            Vector256<float> x;
            x = Vector256.Create(a[0 * rs]); c0a = Vector256.FusedMultiplyAdd(x, b0, c0a); c0b = Vector256.FusedMultiplyAdd(x, b1, c0b);
            x = Vector256.Create(a[1 * rs]); c1a = Vector256.FusedMultiplyAdd(x, b0, c1a); c1b = Vector256.FusedMultiplyAdd(x, b1, c1b);
            x = Vector256.Create(a[2 * rs]); c2a = Vector256.FusedMultiplyAdd(x, b0, c2a); c2b = Vector256.FusedMultiplyAdd(x, b1, c2b);
            x = Vector256.Create(a[3 * rs]); c3a = Vector256.FusedMultiplyAdd(x, b0, c3a); c3b = Vector256.FusedMultiplyAdd(x, b1, c3b);
            x = Vector256.Create(a[4 * rs]); c4a = Vector256.FusedMultiplyAdd(x, b0, c4a); c4b = Vector256.FusedMultiplyAdd(x, b1, c4b);
            x = Vector256.Create(a[5 * rs]); c5a = Vector256.FusedMultiplyAdd(x, b0, c5a); c5b = Vector256.FusedMultiplyAdd(x, b1, c5b);
            a += ks;
            b += rsB;
        }

        if (alpha != 1f)
        {
            // alpha scales the tile once here, not every element of a packed operand.
            Vector256<float> va = Vector256.Create(alpha);
            c0a *= va; c0b *= va; c1a *= va; c1b *= va; c2a *= va; c2b *= va;
            c3a *= va; c3b *= va; c4a *= va; c4b *= va; c5a *= va; c5b *= va;
        }

        if (mr == MR && nr == NR)
        {
            // Full tile: write straight into C.
            Write(c, beta, c0a, c0b);           Write(c + ldc, beta, c1a, c1b);     Write(c + 2 * ldc, beta, c2a, c2b);
            Write(c + 3 * ldc, beta, c3a, c3b); Write(c + 4 * ldc, beta, c4a, c4b); Write(c + 5 * ldc, beta, c5a, c5b);
            return;
        }

        // Edge tile: park the whole tile on the stack, then copy out its valid mr × nr part.
        float* t = stackalloc float[MR * NR];
        Write(t, 0f, c0a, c0b);          Write(t + NR, 0f, c1a, c1b);     Write(t + 2 * NR, 0f, c2a, c2b);
        Write(t + 3 * NR, 0f, c3a, c3b); Write(t + 4 * NR, 0f, c4a, c4b); Write(t + 5 * NR, 0f, c5a, c5b);
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++)
            {
                float v = t[r * NR + j];
                // beta = 0 must not read c: 0·NaN would be NaN
                c[r * ldc + j] = beta == 0f ? v : MathF.FusedMultiplyAdd(beta, c[r * ldc + j], v);
            }
    }

    /// <summary>c[0:16] = tile row (beta = 0, C not read) or beta·c[0:16] + tile row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(float* c, float beta, Vector256<float> lo, Vector256<float> hi)
    {
        if (beta != 0f)
        {
            Vector256<float> vb = Vector256.Create(beta);
            lo = Vector256.FusedMultiplyAdd(vb, Vector256.Load(c), lo);
            hi = Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 8), hi);
        }
        lo.Store(c);
        hi.Store(c + 8);
    }
}
