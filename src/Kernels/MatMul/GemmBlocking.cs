// GemmBlocking — the block sizes of the packed GEMM (MatMul.4.Packed.cs), named as in BLIS.
//
// Shapes: op(A) is (M,K), op(B) is (K,N), C is (M,N). The five loops around the micro-kernel cut
// them into blocks; each constant below is the size of one block along one dimension and is
// chosen so that the block stays in one level of the memory hierarchy while it is reused:
//
//   MR × NR   the C tile held in registers by the micro-kernel (MicroKernel12x32 / MicroKernel6x16)
//   KC        depth of one rank-KC update: the KC×NR micro-panel of packed B that every A
//             micro-panel of a block meets in turn (L1, or streamed from L2)
//   MC        rows of one A block (MC×KC), which must stay in L2 while every B micro-panel passes
//   NC        columns of one packed B block (KC×NC), kept in L2/L3 (one copy per thread)
//
// This machine (AMD EPYC, Zen 5, read with `getconf -a | grep CACHE`; /sys/devices/system/cpu/cpu0/cache
// is not exposed in this VM): L1d 48 KiB 12-way per core, L2 1 MiB 8-way per core, L3 32 MiB per
// CCD (the VM reports more), 64-byte lines. Two 512-bit FMA pipes with a 4-cycle latency; the
// micro-kernel alone, on L1-resident panels, runs at 220 GFLOP/s on one core.
//
// Reasoning, for the Vector512 micro-kernel (12×32):
//   - MR × NR = 12 × 32: 24 zmm accumulators (12 rows × 2 vectors of 16), 2 zmm for the row of
//     B, 1 for the broadcast of A: 27 of the 32 zmm registers, no spills (checked with
//     DOTNET_JitDisasm). Per k the kernel issues 24 FMAs (12 cycles on two pipes) against 2 vector
//     loads and 12 broadcasts (7 cycles on two load ports), so it is FMA-bound, and 24 independent
//     accumulators cover the 2 pipes × 4 cycles = 8 FMAs in flight with room to spare. NR = 32 (two
//     vectors) makes a row of the C tile two full cache lines, and splits N = 64 (the convolution
//     shape) into whole panels. 6×64 would load fewer broadcasts but waste more on ragged N.
//   - KC = 384. The textbook rule (B micro-panel in L1, about half of it) gives KC ≈ 192–256:
//     KC × NR × 4 B = 24–32 KiB. Measured (one thread, best of 3 rounds, GFLOP/s):
//                      KC = 192   256   384   512
//         1024³              193   187   197   195
//         2048³               –    175   193   188
//         21632×64×288       172   161   189   187
//     Zen 5's L2 feeds L1 fast enough that a B micro-panel of 48 KiB, streamed rather than held,
//     costs nothing, while a deeper KC halves the passes over C (each pass loads and stores the
//     whole of C) and the thread barriers per call; K = 288 (the convolution) becomes one block.
//   - MC = 384 (a multiple of MR = 12 and of 6): the A block is MC × KC × 4 B = 576 KiB, a bit over
//     half of the 1 MiB L2; MC = 240 measured 3–10 % slower (more passes over the B block).
//   - NC = 4096 (a multiple of NR): a B block is KC × NC × 4 B = 6 MiB at most, within L3.
//     N ≤ NC in every shape the engine uses today, so loop 5 usually runs once.
// The Vector256 micro-kernel (6×16, for CPUs without AVX-512) keeps the same KC, MC and NC:
// 12 ymm accumulators + 2 for B + 1 broadcast fit the 16 ymm registers of AVX2, and its B
// micro-panel (24 KiB) fits the 32 KiB L1 of those CPUs (BLIS's haswell sgemm is also 6×16).
//
//   dotnet run -c Release --project src/Runner -- kernel matmul --variant 4

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
