// MatMul variant 7 — GpuRegisterBlocked: variant 6's shared-memory tiles, plus a 4×4 block of C
// per thread held in registers (the step every fast CUDA SGEMM takes after tiling).
//
// Shapes: M, N, K as in MatMul.1.Naive.cs; C = alpha·op(A)·op(B) + beta·C, row-major, transposes
// by flag (handled while loading tiles, so the inner loop is the same for all four cases).
//
// Launch: groups of 16×16 = 256 threads; group (gx, gy) owns the BM×BN = 64×64 block of C at rows
// gy·64.., columns gx·64... Thread (tx, ty) owns the 4×4 elements c[gy·64 + ty + 16·r, gx·64 + tx +
// 16·q] for r, q in 0..3 — strided by 16, not a contiguous 4×4 square, so that for every r the
// 16 threads of a row of the group touch 16 neighbouring columns: their shared-memory reads hit 16
// different banks and their stores of C coalesce. The grid is ceil(N/64) × ceil(M/64) groups.
//
// Memory hierarchy, from slow to fast:
//   global     A, B, C. The group walks K in steps of BK = 16. Per step its 256 threads load a 64×16
//              tile of op(A) and a 16×64 tile of op(B), four elements of each per thread, and every
//              loaded element is used 64 times (by all 64 rows or columns of the block), against 16
//              in variant 6: per group and step, 2·1024 loads feed 64·64·16 = 65 536 multiply-adds
//              (32 per load; variant 6: 512 loads for 4 096, 8 per load), so global traffic drops 4×.
//              The load loop picks its index order from the transpose flag so that neighbouring
//              threads read neighbouring addresses of the stored matrix (coalesced) in all four cases.
//   shared     tileA (BK×BM, stored k-major, i.e. op(A)'s tile transposed) and tileB (BK×BN), 2 × 1024
//              floats = 8 KiB per group. Storing tileA k-major makes the inner loop read a[k, ·] and
//              b[k, ·] as rows: for a given k, a thread's four A values and four B values sit 16 floats
//              apart in two rows of shared memory.
//   registers  the 16 accumulators (four Quad values) plus, per k, four values of A and four of B
//              (two more Quads). Each k costs 8 shared-memory reads for 16 FMAs — every value brought
//              into a register is used 4 times — where variant 6 reads 2 per FMA. That ratio
//              (arithmetic intensity at the register level) is what lets the FMA units, not the
//              shared-memory port, set the pace. C is read (beta ≠ 0) and written once per element.
// Registers, not a local array: ILGPU 1.5.3 has LocalMemory.Allocate<float>(16), but a per-thread
// array indexed in a loop may be placed in (slow, off-chip) local memory by the PTX back end; four
// Quad structs (plain fields, passed by value) are scalar-replaced into 16 registers for sure.
// Barriers: as variant 6 — one after the tiles are stored (complete before anyone reads them),
// one after the multiply (nobody still reads when the next step overwrites). Every thread reaches
// every barrier: threads whose rows or columns fall outside C load zeros (so the ragged last tiles
// add nothing) and skip only the guarded stores at the end.
//
// Not yet here (next steps once a GPU can measure them): 8×8 blocks per thread (128×128 per group),
// vectorised 128-bit loads, double-buffered tiles so the loads of step k+1 overlap the FMAs of
// step k, and padding tileA's rows against the bank conflicts of its transposing store.
//
//   dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~MatMulGpu   (not yet in `fusion kernel`)
//   dotnet run -c Release --project src/Runner -- bench gemm --device gpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Kernels;

/// <summary>Four floats in registers: one row (or column) slice of a thread's 4×4 block in <see cref="MatMulKernels.GpuRegisterBlocked(Accelerator, ArrayView{float}, bool, ArrayView{float}, bool, int, int, int, float, float, ArrayView{float})"/>.</summary>
public readonly struct Quad
{
    public readonly float V0, V1, V2, V3;

    public Quad(float v0, float v1, float v2, float v3) => (V0, V1, V2, V3) = (v0, v1, v2, v3);

    /// <summary>acc + a·b, element by element over b: four FMAs with one value of A.</summary>
    public static Quad Fma(Quad acc, float a, Quad b) =>
        new(acc.V0 + a * b.V0, acc.V1 + a * b.V1, acc.V2 + a * b.V2, acc.V3 + a * b.V3);

    /// <summary>Element q (0..3).</summary>
    public float this[int q] => q == 0 ? V0 : q == 1 ? V1 : q == 2 ? V2 : V3;
}

public static partial class MatMulKernels
{
    /// <summary>Rows and columns of C one group of <see cref="GpuRegisterBlocked(Accelerator, ArrayView{float}, bool, ArrayView{float}, bool, int, int, int, float, float, ArrayView{float})"/> owns.</summary>
    public const int GpuBlock = 64;

    /// <summary>Depth of one K step (the width of the shared-memory tiles).</summary>
    public const int GpuBlockK = 16;

    private const int GpuThreadsPerSide = 16;                          // groups are 16×16 threads
    private const int GpuThreads = GpuThreadsPerSide * GpuThreadsPerSide;
    private const int GpuTileLoads = GpuBlock * GpuBlockK / GpuThreads; // elements of each tile one thread loads per step (4)

    /// <summary>
    /// Register-blocked GPU GEMM on device buffers, queued on the default stream: effectively
    /// computes c[i,j] = alpha·Σk op(A)[i,k]·op(B)[k,j] + beta·c[i,j], each thread a 4×4 block of C.
    /// Asynchronous. The GEMM the device ops run (<see cref="GpuGemm"/>).
    /// </summary>
    public static void GpuRegisterBlocked(Accelerator accelerator, ArrayView<float> a, bool transA, ArrayView<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, ArrayView<float> c)
    {
        CheckGpuGemm(a.Length, b.Length, M, N, K, c.Length);
        if (M == 0 || N == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, GpuRegisterBlockedKernel,
            static acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuGemmArgs>(GpuRegisterBlockedKernel));
        var grid = new Index2D(GpuLaunch.GroupsFor(N, GpuBlock), GpuLaunch.GroupsFor(M, GpuBlock));
        var group = new Index2D(GpuThreadsPerSide, GpuThreadsPerSide);
        kernel(new KernelConfig(grid, group), a, b, c, new GpuGemmArgs(M, N, K, alpha, beta, transA, transB));
    }

    /// <summary>The register-blocked GEMM on host spans (upload, run, download), for tests and benchmarks.</summary>
    public static void GpuRegisterBlocked(Accelerator accelerator, ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, Span<float> c)
        => GpuOnHost(accelerator, a, transA, b, transB, M, N, K, alpha, beta, c, GpuRegisterBlocked);

    /// <summary>
    /// The GEMM every device op runs (tensor MatMul, the convolutions' im2col GEMMs, the LMF
    /// projections): today <see cref="GpuRegisterBlocked(Accelerator, ArrayView{float}, bool, ArrayView{float}, bool, int, int, int, float, float, ArrayView{float})"/>,
    /// chosen here in one place as <see cref="Gemm"/> chooses on the CPU.
    /// </summary>
    public static void GpuGemm(Accelerator accelerator, ArrayView<float> a, bool transA, ArrayView<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, ArrayView<float> c)
        => GpuRegisterBlocked(accelerator, a, transA, b, transB, M, N, K, alpha, beta, c);

    private static void GpuRegisterBlockedKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GpuGemmArgs s)
    {
        // Shared memory, once per group: tileA[k·64 + i] = op(A)[i0 + i, k0 + k] (k-major),
        // tileB[k·64 + j] = op(B)[k0 + k, j0 + j].
        ArrayView<float> tileA = SharedMemory.Allocate<float>(GpuBlockK * GpuBlock);
        ArrayView<float> tileB = SharedMemory.Allocate<float>(GpuBlockK * GpuBlock);

        int tx = Group.IdxX, ty = Group.IdxY;
        int tid = ty * GpuThreadsPerSide + tx;             // 0..255, for spreading the tile loads
        int i0 = Grid.IdxY * GpuBlock, j0 = Grid.IdxX * GpuBlock;

        // The thread's 4×4 block: row r of it is c0..c3[q] = C[i0 + ty + 16r, j0 + tx + 16q].
        Quad c0 = default, c1 = default, c2 = default, c3 = default;

        for (int k0 = 0; k0 < s.K; k0 += GpuBlockK)
        {
            // Load: 1024 elements per tile, element e = tid + 256·l for l = 0..3. The split of e
            // into (row, k) follows the stored layout, so consecutive threads read consecutive
            // addresses: along k for A (M,K) and B (N,K)ᵀ, along i or j for Aᵀ and B (K,N).
            for (int l = 0; l < GpuTileLoads; l++)
            {
                int e = tid + l * GpuThreads;
                int ia = s.TransA != 0 ? e % GpuBlock : e / GpuBlockK;
                int ka = s.TransA != 0 ? e / GpuBlock : e % GpuBlockK;
                int i = i0 + ia, k = k0 + ka;
                tileA[ka * GpuBlock + ia] = i < s.M && k < s.K ? s.A(a, i, k) : 0f;

                int jb = s.TransB != 0 ? e / GpuBlockK : e % GpuBlock;
                int kb = s.TransB != 0 ? e % GpuBlockK : e / GpuBlock;
                int j = j0 + jb;
                k = k0 + kb;
                tileB[kb * GpuBlock + jb] = k < s.K && j < s.N ? s.B(b, k, j) : 0f;
            }

            // Barrier 1: both tiles are complete before anyone reads them.
            Group.Barrier();

            // Outer products: per k, four values of A's column and four of B's row go to registers,
            // and each is used in four FMAs.
            for (int k = 0; k < GpuBlockK; k++)
            {
                int ra = k * GpuBlock + ty, rb = k * GpuBlock + tx;
                var bq = new Quad(tileB[rb], tileB[rb + 16], tileB[rb + 32], tileB[rb + 48]);
                c0 = Quad.Fma(c0, tileA[ra], bq);
                c1 = Quad.Fma(c1, tileA[ra + 16], bq);
                c2 = Quad.Fma(c2, tileA[ra + 32], bq);
                c3 = Quad.Fma(c3, tileA[ra + 48], bq);
            }

            // Barrier 2: everyone is done reading before the next step overwrites the tiles.
            Group.Barrier();
        }

        StoreRow(c, s, i0 + ty, j0 + tx, c0);
        StoreRow(c, s, i0 + ty + 16, j0 + tx, c1);
        StoreRow(c, s, i0 + ty + 32, j0 + tx, c2);
        StoreRow(c, s, i0 + ty + 48, j0 + tx, c3);
    }

    // The guarded write-back of one row of a thread's block: c[i, j + 16q] for the q inside C.
    private static void StoreRow(ArrayView<float> c, GpuGemmArgs s, int i, int j, Quad acc)
    {
        if (i >= s.M) return;
        for (int q = 0; q < 4; q++)
        {
            int jq = j + 16 * q;
            if (jq < s.N)
                c[i * s.N + jq] = s.Update(acc[q], c, i * s.N + jq);
        }
    }
}
