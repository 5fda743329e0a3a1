// GemmBlocking — the block sizes of the packed GEMM (MatMul.4.Packed.cs), named as in BLIS.
//
// Shapes: op(A) is (M,K), op(B) is (K,N), C is (M,N). The five loops around the micro-kernel cut
// them into blocks; each constant below is the size of one block along one dimension and is
// chosen so that the block stays in one level of the memory hierarchy while it is reused:
//
//   MR × NR   the C tile held in registers by the micro-kernel (MicroKernel12x32 / MicroKernel6x16)
//   KC        depth of one rank-KC update: a KC×NR micro-panel of packed B must stay in L1
//   MC        rows of one packed A block (MC×KC), which must stay in L2 while every B micro-panel passes
//   NC        columns of one packed B block (KC×NC), kept in L3 and shared by the threads
//
// This machine (AMD EPYC, Zen 5, read with `getconf -a | grep CACHE`; /sys/devices/system/cpu/cpu0/cache
// is not exposed in this VM): L1d 48 KiB 12-way per core, L2 1 MiB 8-way per core, L3 32 MiB per
// CCD (the VM reports more), 64-byte lines. Two 512-bit FMA pipes with a 4-cycle latency.
//
// Reasoning, for the Vector512 micro-kernel (12×32):
//   - MR × NR = 12 × 32: 24 zmm accumulators (12 rows × 2 vectors of 16), 2 zmm for the row of
//     B, 1 for the broadcast of A: 27 of the 32 zmm registers, no spills (checked with
//     DOTNET_JitDisasm). Per k the kernel issues 24 FMAs (12 cycles on two pipes) against 2 vector
//     loads and 12 broadcasts (7 cycles on two load ports), so it is FMA-bound, and 24 independent
//     accumulators cover the 2 pipes × 4 cycles = 8 FMAs in flight with room to spare. NR = 32 (two
//     vectors) makes a row of the C tile two full cache lines, and splits N = 64 (the convolution
//     shape) into whole panels. 6×64 would load fewer broadcasts but waste more on ragged N.
//   - KC = 256: the B micro-panel is KC × NR × 4 B = 32 KiB, two thirds of L1, leaving room for
//     the A micro-panel streaming through (12 rows × 64 B live at a time) and the C tile. Larger
//     KC amortises the C tile's load and store over more FMAs (1 pass over C per 256 k) but starts
//     to evict B from L1; KC = 192 and 320 measured no better here.
//   - MC = 384 (a multiple of MR = 12 and of 6): the A block is MC × KC × 4 B = 384 KiB, under half of
//     the 1 MiB L2, so it survives while the B micro-panels and the C tiles pass through L2.
//   - NC = 4096 (a multiple of NR): the shared B block is KC × NC × 4 B = 4 MiB, an eighth of L3.
//     N ≤ NC in every shape the engine uses today, so loop 5 usually runs once.
// The Vector256 micro-kernel (6×16, for CPUs without AVX-512) keeps the same KC, MC and NC:
// 12 ymm accumulators + 2 for B + 1 broadcast fit the 16 ymm registers of AVX2, and its B
// micro-panel (16 KiB) fits the 32 KiB L1 of those CPUs (BLIS's haswell sgemm uses 6×16, KC = 256).
//
//   dotnet run --project src/Runner -- kernel matmul --variant 4

namespace FusionScratch.Kernels;

/// <summary>Block sizes of the packed GEMM, named as in BLIS (see the header comment for why these values).</summary>
internal static class GemmBlocking
{
    /// <summary>Depth of one rank-KC update; also the row stride of a row-major packed A micro-panel.</summary>
    public const int KC = 384;

    /// <summary>Rows of one packed A block (a multiple of every MR).</summary>
    public const int MC = 384;

    /// <summary>Columns of one packed B block (a multiple of every NR).</summary>
    public const int NC = 4096;
}
