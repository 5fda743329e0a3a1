// MatMul variant 6 — GpuTiled: shared-memory tiling, explicitly grouped (the classic CUDA GEMM).
//
// Shapes: M, N, K as in MatMul.1.Naive.cs; C = alpha·op(A)·op(B) + beta·C, row-major, transposes
// by flag (handled while loading tiles, so the inner loop is the same for all four cases).
//
// Launch: groups of Tile×Tile = 16×16 = 256 threads; group (gx, gy) owns the 16×16 block of C at
// rows gy·16.., columns gx·16..; thread (tx, ty) inside it owns c[gy·16+ty, gx·16+tx]. The grid is
// ceil(N/16) × ceil(M/16) groups; threads past the edge of C still take part in loading and in
// every barrier, they just load zeros and store nothing.
//
// Memory hierarchy, from slow to fast:
//   global  A, B, C. Each group walks K in steps of 16: per step, its 256 threads load one 16×16
//           tile of op(A) and one of op(B), one element each — so every element loaded from global
//           memory is used 16 times (by a whole row or column of the group) instead of once as in
//           variant 5: global traffic drops 16×. Without transposes the loads are coalesced
//           (tx walks a row of A or B); with transA/transB they are strided but correct.
//   shared  tileA and tileB, 2 × 256 floats = 2 KiB per group, visible to all threads of a group
//           and only to them (on-chip, ~100× lower latency than global).
//   registers  acc, one float per thread, live across the whole K loop; c is touched once.
// Barriers: Group.Barrier() waits until every thread of the group reaches it. The first one, after
// the loads, makes sure the whole tile is in shared memory before anyone reads it; the second, after
// the multiply, makes sure nobody is still reading the tile when the next iteration overwrites it.
// Every thread must reach every barrier, so no thread returns early (edge threads load zeros).
//
// Next: variant 7 (MatMul.7.GpuRegisterBlocked.cs) gives each thread a 4×4 block of C in registers
// from 64×64 tiles, so each value read from shared memory feeds 4 FMAs instead of 1, and each value
// loaded from global memory 64 instead of 16; it is what the device ops run (MatMulKernels.GpuGemm).
// This variant stays as the readable step between naive and register-blocked. Vectorised loads,
// double buffering and 8×8 blocks are still to write (see variant 7's header).
//
//   dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~MatMulGpu   (not yet in `fusion kernel`)
//   dotnet run -c Release --project src/Runner -- bench gemm --device gpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Kernels;

public static partial class MatMulKernels
{
    /// <summary>Tile width of <see cref="GpuTiled(Accelerator, ArrayView{float}, bool, ArrayView{float}, bool, int, int, int, float, float, ArrayView{float})"/>: groups are GpuTile×GpuTile threads.</summary>
    public const int GpuTile = 16;

    /// <summary>
    /// Shared-memory tiled GPU GEMM on device buffers, queued on the default stream: effectively
    /// computes c[i,j] = alpha·Σk op(A)[i,k]·op(B)[k,j] + beta·c[i,j]. Asynchronous.
    /// </summary>
    public static void GpuTiled(Accelerator accelerator, ArrayView<float> a, bool transA, ArrayView<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, ArrayView<float> c)
    {
        CheckGpuGemm(a.Length, b.Length, M, N, K, c.Length);
        if (M == 0 || N == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, GpuTiledKernel,
            static acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuGemmArgs>(GpuTiledKernel));
        var grid = new Index2D(GpuLaunch.GroupsFor(N, GpuTile), GpuLaunch.GroupsFor(M, GpuTile));
        var group = new Index2D(GpuTile, GpuTile);
        kernel(new KernelConfig(grid, group), a, b, c, new GpuGemmArgs(M, N, K, alpha, beta, transA, transB));
    }

    /// <summary>The tiled GEMM on host spans (upload, run, download), for tests and benchmarks.</summary>
    public static void GpuTiled(Accelerator accelerator, ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, Span<float> c)
        => GpuOnHost(accelerator, a, transA, b, transB, M, N, K, alpha, beta, c, GpuTiled);

    private static void GpuTiledKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GpuGemmArgs s)
    {
        // Shared memory: allocated once per group (the size must be a compile-time constant);
        // element [r·16 + q] is row r, column q of the tile.
        ArrayView<float> tileA = SharedMemory.Allocate<float>(GpuTile * GpuTile);
        ArrayView<float> tileB = SharedMemory.Allocate<float>(GpuTile * GpuTile);

        int tx = Group.IdxX, ty = Group.IdxY;          // position inside the group: column, row
        int i = Grid.IdxY * GpuTile + ty;              // the row of C this thread owns
        int j = Grid.IdxX * GpuTile + tx;              // the column of C this thread owns

        float acc = 0f;                                // register accumulator
        for (int k0 = 0; k0 < s.K; k0 += GpuTile)
        {
            // Each thread loads one element of each tile: tileA[ty,tx] = op(A)[i, k0+tx] and
            // tileB[ty,tx] = op(B)[k0+ty, j], zero outside the matrices (so the ragged last
            // tile adds nothing).
            int ka = k0 + tx, kb = k0 + ty;
            tileA[ty * GpuTile + tx] = i < s.M && ka < s.K ? s.A(a, i, ka) : 0f;
            tileB[ty * GpuTile + tx] = kb < s.K && j < s.N ? s.B(b, kb, j) : 0f;

            // Barrier 1: the tiles are complete before anyone reads a neighbour's element.
            Group.Barrier();

            // Row ty of tileA times column tx of tileB, all from shared memory.
            for (int k = 0; k < GpuTile; k++)
                acc += tileA[ty * GpuTile + k] * tileB[k * GpuTile + tx];

            // Barrier 2: everyone is done reading before the next iteration overwrites the tiles.
            Group.Barrier();
        }

        if (i < s.M && j < s.N)
            c[i * s.N + j] = s.Update(acc, c, i * s.N + j);
    }
}
