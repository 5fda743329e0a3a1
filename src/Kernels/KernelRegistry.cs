// KernelRegistry — op name → its numbered variants, in reading order (llm.c's kernel numbers),
// with the default the engine dispatches to. `fusion kernel <op> --variant N` runs variant N
// (or all of them) against variant 1, the naive reference.

namespace FusionScratch.Kernels;

/// <summary>One numbered variant of a GEMM.</summary>
public sealed record GemmVariant(int Number, string Name, string Summary, GemmKernel Kernel);

/// <summary>The variants of every op the `kernel` verb can probe.</summary>
public static class KernelRegistry
{
    /// <summary>SGEMM variants; variant 1 is the reference the others are checked against.</summary>
    public static readonly IReadOnlyList<GemmVariant> MatMul =
    [
        new(1, "naive", "triple loop, k innermost: the reference", MatMulKernels.Naive),
        new(2, "simd", "i-k-j order: contiguous Vector512 FMA rows, threads over rows of C", MatMulKernels.Simd),
        new(3, "blocked", "variant 2's AXPY loop over L1/L2-sized blocks of C and B (cache blocking alone)", MatMulKernels.Blocked),
        new(4, "packed", "BLIS: packed panels, 12×32 register tile, KC/MC/NC cache blocks, threads over macro-tiles", MatMulKernels.Packed),
    ];

    /// <summary>Op names the `kernel` verb knows.</summary>
    public static readonly string[] Ops = ["matmul"];
}
