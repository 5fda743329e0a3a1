// MicroKernel12x32 — the register-tiled heart of the packed GEMM, Vector512 (AVX-512) version.
//
// Op: C[0:MR, 0:NR] = alpha·Ã·B̃ + beta·C, one MR×NR = 12×32 tile of C, where Ã is an MR×kc
// micro-panel of op(A) (layout TLayout, rows rsA apart: see Pack.cs) and B̃ a kc×NR micro-panel
// of op(B) whose row k is NR consecutive floats, rows rsB apart (NR when packed, N when the
// packed GEMM reads B in place). Shapes: M,N,K as in GemmKernel.
//
// What it does, and why it is fast:
//   - The whole 12×32 tile lives in 24 zmm registers (row r = two vectors, cRa and cRb) for all kc
//     steps: C is read and written once per call, not once per k.
//   - Per k: load the 32 floats of row k of B̃ (two vectors), then for each of the 12 rows
//     broadcast Ã[r,k] (vbroadcastss from memory) and issue two FMAs. 24 FMAs per 14 loads: the
//     two FMA pipes, not the load ports, set the pace; with 24 independent accumulators the
//     4-cycle FMA latency is hidden (8 FMAs in flight suffice).
//   - The JIT keeps all 24 accumulators, the two B vectors and the broadcast in zmm0–zmm26 with
//     no spills (verified: DOTNET_JitDisasm="Run" shows a 42-instruction loop of loads, broadcasts
//     and vfmadd231ps). The method is specialised per layout (a struct type argument); the row
//     offsets of A are recomputed from the stride each step with lea/imul, which the integer
//     units absorb (measured: same speed as constant displacements).
//   - alpha multiplies the finished tile (24 multiplies per call, skipped when alpha = 1), so the
//     operands can be read in place, unscaled.
//   - Edge tiles (mr < 12 rows or nr < 32 columns valid) run the same full loop — packing padded
//     the missing rows and columns with zeros — and only the write-back differs: the tile goes to
//     a stack buffer and EdgeWriteBack copies the valid mr × nr part with masked stores
//     (Avx512F.MaskLoad/MaskStore), so a ragged edge costs one extra 1.5 KiB copy, not a slow loop.
//
//   dotnet run -c Release --project src/Runner -- kernel matmul --variant 4

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusionScratch.Kernels;

/// <summary>12×32 Vector512 FMA micro-kernel of the packed GEMM.</summary>
internal readonly unsafe struct MicroKernel12x32 : IMicroKernel
{
    public const int MR = 12;
    public const int NR = 32;
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
        // Strides inside the packed micro-panel of A: constants once TLayout is known.
        nint rs = TLayout.RowStride(rsA), ks = TLayout.KStride(MR);

        Vector512<float> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default,
                         c3a = default, c3b = default, c4a = default, c4b = default, c5a = default, c5b = default,
                         c6a = default, c6b = default, c7a = default, c7b = default, c8a = default, c8b = default,
                         c9a = default, c9b = default, c10a = default, c10b = default, c11a = default, c11b = default;
        for (int k = 0; k < kc; k++)
        {
            // row k of B̃: two vectors of 16
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16);
            Vector512<float> x;
            x = Vector512.Create(a[0 * rs]);  c0a = Vector512.FusedMultiplyAdd(x, b0, c0a);   c0b = Vector512.FusedMultiplyAdd(x, b1, c0b);
            x = Vector512.Create(a[1 * rs]);  c1a = Vector512.FusedMultiplyAdd(x, b0, c1a);   c1b = Vector512.FusedMultiplyAdd(x, b1, c1b);
            x = Vector512.Create(a[2 * rs]);  c2a = Vector512.FusedMultiplyAdd(x, b0, c2a);   c2b = Vector512.FusedMultiplyAdd(x, b1, c2b);
            x = Vector512.Create(a[3 * rs]);  c3a = Vector512.FusedMultiplyAdd(x, b0, c3a);   c3b = Vector512.FusedMultiplyAdd(x, b1, c3b);
            x = Vector512.Create(a[4 * rs]);  c4a = Vector512.FusedMultiplyAdd(x, b0, c4a);   c4b = Vector512.FusedMultiplyAdd(x, b1, c4b);
            x = Vector512.Create(a[5 * rs]);  c5a = Vector512.FusedMultiplyAdd(x, b0, c5a);   c5b = Vector512.FusedMultiplyAdd(x, b1, c5b);
            x = Vector512.Create(a[6 * rs]);  c6a = Vector512.FusedMultiplyAdd(x, b0, c6a);   c6b = Vector512.FusedMultiplyAdd(x, b1, c6b);
            x = Vector512.Create(a[7 * rs]);  c7a = Vector512.FusedMultiplyAdd(x, b0, c7a);   c7b = Vector512.FusedMultiplyAdd(x, b1, c7b);
            x = Vector512.Create(a[8 * rs]);  c8a = Vector512.FusedMultiplyAdd(x, b0, c8a);   c8b = Vector512.FusedMultiplyAdd(x, b1, c8b);
            x = Vector512.Create(a[9 * rs]);  c9a = Vector512.FusedMultiplyAdd(x, b0, c9a);   c9b = Vector512.FusedMultiplyAdd(x, b1, c9b);
            x = Vector512.Create(a[10 * rs]); c10a = Vector512.FusedMultiplyAdd(x, b0, c10a); c10b = Vector512.FusedMultiplyAdd(x, b1, c10b);
            x = Vector512.Create(a[11 * rs]); c11a = Vector512.FusedMultiplyAdd(x, b0, c11a); c11b = Vector512.FusedMultiplyAdd(x, b1, c11b);
            a += ks;
            b += rsB;
        }

        if (alpha != 1f)
        {
            // alpha scales the tile once here (24 multiplies per call), not every element of a packed operand.
            Vector512<float> va = Vector512.Create(alpha);
            c0a *= va; c0b *= va; c1a *= va; c1b *= va; c2a *= va; c2b *= va; c3a *= va; c3b *= va;
            c4a *= va; c4b *= va; c5a *= va; c5b *= va; c6a *= va; c6b *= va; c7a *= va; c7b *= va;
            c8a *= va; c8b *= va; c9a *= va; c9b *= va; c10a *= va; c10b *= va; c11a *= va; c11b *= va;
        }

        if (mr == MR && nr == NR)
        {
            // Full tile: write straight into C.
            if (beta == 0f)
            {
                // BLAS: beta = 0 overwrites C without reading it (NaN in C must not survive).
                Store(c, c0a, c0b);            Store(c + ldc, c1a, c1b);      Store(c + 2 * ldc, c2a, c2b);
                Store(c + 3 * ldc, c3a, c3b);  Store(c + 4 * ldc, c4a, c4b);  Store(c + 5 * ldc, c5a, c5b);
                Store(c + 6 * ldc, c6a, c6b);  Store(c + 7 * ldc, c7a, c7b);  Store(c + 8 * ldc, c8a, c8b);
                Store(c + 9 * ldc, c9a, c9b);  Store(c + 10 * ldc, c10a, c10b); Store(c + 11 * ldc, c11a, c11b);
            }
            else
            {
                // beta·C + tile as one FMA per vector (beta = 1 gives C + tile exactly).
                Vector512<float> vb = Vector512.Create(beta);
                Update(c, vb, c0a, c0b);            Update(c + ldc, vb, c1a, c1b);      Update(c + 2 * ldc, vb, c2a, c2b);
                Update(c + 3 * ldc, vb, c3a, c3b);  Update(c + 4 * ldc, vb, c4a, c4b);  Update(c + 5 * ldc, vb, c5a, c5b);
                Update(c + 6 * ldc, vb, c6a, c6b);  Update(c + 7 * ldc, vb, c7a, c7b);  Update(c + 8 * ldc, vb, c8a, c8b);
                Update(c + 9 * ldc, vb, c9a, c9b);  Update(c + 10 * ldc, vb, c10a, c10b); Update(c + 11 * ldc, vb, c11a, c11b);
            }
            return;
        }

        // Edge tile: park the whole tile on the stack, then copy out its valid mr × nr part.
        float* t = stackalloc float[MR * NR];
        Store(t, c0a, c0b);            Store(t + NR, c1a, c1b);       Store(t + 2 * NR, c2a, c2b);
        Store(t + 3 * NR, c3a, c3b);   Store(t + 4 * NR, c4a, c4b);   Store(t + 5 * NR, c5a, c5b);
        Store(t + 6 * NR, c6a, c6b);   Store(t + 7 * NR, c7a, c7b);   Store(t + 8 * NR, c8a, c8b);
        Store(t + 9 * NR, c9a, c9b);   Store(t + 10 * NR, c10a, c10b); Store(t + 11 * NR, c11a, c11b);
        EdgeWriteBack(t, c, ldc, beta, mr, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> lo, Vector512<float> hi)
    {
        lo.Store(c);
        hi.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(float* c, Vector512<float> beta, Vector512<float> lo, Vector512<float> hi)
    {
        Vector512.FusedMultiplyAdd(beta, Vector512.Load(c), lo).Store(c);
        Vector512.FusedMultiplyAdd(beta, Vector512.Load(c + 16), hi).Store(c + 16);
    }

    /// <summary>c[r, j] = beta·c[r, j] + t[r, j] for r &lt; mr, j &lt; nr, with masked loads and stores so nothing past column nr is touched.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EdgeWriteBack(float* t, float* c, nint ldc, float beta, int mr, int nr)
    {
        // Lane masks: lane j of the low vector is live if j < nr, of the high vector if 16 + j < nr.
        Vector512<int> lanes = Vector512<int>.Indices;
        Vector512<float> mlo = Vector512.LessThan(lanes, Vector512.Create(nr)).AsSingle();
        Vector512<float> mhi = Vector512.LessThan(lanes, Vector512.Create(nr - 16)).AsSingle();
        Vector512<float> vb = Vector512.Create(beta);
        for (int r = 0; r < mr; r++, t += NR, c += ldc)
        {
            Vector512<float> lo = Vector512.Load(t), hi = Vector512.Load(t + 16);
            if (beta != 0f)
            {
                lo = Vector512.FusedMultiplyAdd(vb, Avx512F.MaskLoad(c, mlo, Vector512<float>.Zero), lo);
                hi = Vector512.FusedMultiplyAdd(vb, Avx512F.MaskLoad(c + 16, mhi, Vector512<float>.Zero), hi);
            }
            Avx512F.MaskStore(c, mlo, lo);
            Avx512F.MaskStore(c + 16, mhi, hi);
        }
    }
}
