// KernelRegistry — op name → its numbered variants, in reading order (llm.c's kernel numbers),
// with the default the engine dispatches to. `fusion kernel <op> --variant N` runs variant N
// (or all of them) against variant 1, the naive reference.

namespace FusionScratch.Kernels;

/// <summary>One numbered variant of a GEMM.</summary>
public sealed record GemmVariant(int Number, string Name, string Summary, GemmKernel Kernel);

/// <summary>Depthwise forward: x, w, bias (may be empty), shape, y.</summary>
public delegate void DepthwiseForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y);
/// <summary>Depthwise input gradient: dy, w, shape, dx.</summary>
public delegate void DepthwiseBackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx);
/// <summary>Depthwise weight gradient: x, dy, shape, dw, db (may be empty).</summary>
public delegate void DepthwiseBackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias);

/// <summary>One numbered depthwise variant: its three directions and the shapes it handles.</summary>
public sealed record DepthwiseVariant(int Number, string Name, string Summary, Func<Conv2dShape, bool> Handles,
    DepthwiseForward Forward, DepthwiseBackwardInput BackwardInput, DepthwiseBackwardWeight BackwardWeight);

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

    /// <summary>Depthwise convolution variants (forward, input gradient, weight gradient); variant 1 is the reference.</summary>
    public static readonly IReadOnlyList<DepthwiseVariant> Depthwise =
    [
        new(1, "naive", "loops per output with a bounds test per tap: the reference", s => true,
            DepthwiseConv2dKernels.ForwardNaive, DepthwiseConv2dKernels.BackwardInputNaive, DepthwiseConv2dKernels.BackwardWeightNaive),
        new(2, "simd", "padded, phase-split plane; vectors along each output row", s => true,
            DepthwiseConv2dKernels.ForwardSimd, DepthwiseConv2dKernels.BackwardInputSimd, DepthwiseConv2dKernels.BackwardWeightSimd),
        new(3, "flat", "stride 1: the padded plane as one row of full vectors, one offset per tap", s => DepthwiseConv2dKernels.FlatInputApplies(s),
            DepthwiseConv2dKernels.ForwardFlat, DepthwiseConv2dKernels.BackwardInputFlat, DepthwiseConv2dKernels.BackwardWeightFlat),
    ];

    /// <summary>Op names the `kernel` verb knows.</summary>
    public static readonly string[] Ops = ["matmul", "depthwise"];
}
