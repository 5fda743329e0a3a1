// KernelRegistry — op name → its numbered variants, in reading order (llm.c's kernel numbers).
// `fusion kernel <op> --variant N` runs variant N (or all of them) against variant 1, the naive
// reference:
//   dotnet run -c Release --project src/Runner -- kernel <op> [--variant N]
//
// One small record per op family, holding every direction the family's files implement with
// one shared signature (forward, gradients, sibling ops such as log-softmax). CPU variants only:
// the GPU variants have their parity tests in tests/FusionScratch.Tests/Gpu/.

using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Layout;
using FusionScratch.Kernels.Norm;
using FusionScratch.Kernels.Pool;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels;

/// <summary>What every numbered variant says about itself.</summary>
public interface IKernelVariant
{
    /// <summary>1, 2, …: reading order; 1 is the naive reference.</summary>
    int Number { get; }
    /// <summary>Short name ("naive", "simd").</summary>
    string Name { get; }
    /// <summary>One line: what changes from the variant before, and why.</summary>
    string Summary { get; }
}

/// <summary>One numbered variant of a GEMM.</summary>
public sealed record GemmVariant(int Number, string Name, string Summary, GemmKernel Kernel) : IKernelVariant;

/// <summary>Convolution forward (dense or depthwise): x, w, bias (may be empty), shape, y.</summary>
public delegate void ConvForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y);
/// <summary>Convolution input gradient: dy, w, shape, dx.</summary>
public delegate void ConvBackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx);
/// <summary>Convolution weight gradient: x, dy, shape, dw, db (may be empty).</summary>
public delegate void ConvBackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias);

/// <summary>One numbered convolution variant (Conv2d or DepthwiseConv2d): its three directions and the shapes it handles.</summary>
public sealed record ConvVariant(int Number, string Name, string Summary, Func<Conv2dShape, bool> Handles,
    ConvForward Forward, ConvBackwardInput BackwardInput, ConvBackwardWeight BackwardWeight) : IKernelVariant;

/// <summary>Unary elementwise kernel: y[i] = f(x[i]).</summary>
public delegate void UnaryKernel(ReadOnlySpan<float> x, Span<float> y);
/// <summary>Binary elementwise kernel: z[i] = f(x[i], y[i]).</summary>
public delegate void BinaryKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z);

/// <summary>One numbered variant of a unary elementwise op.</summary>
public sealed record UnaryVariant(int Number, string Name, string Summary, UnaryKernel Kernel) : IKernelVariant;
/// <summary>One numbered variant of a binary elementwise op (same-shape operands).</summary>
public sealed record BinaryVariant(int Number, string Name, string Summary, BinaryKernel Kernel) : IKernelVariant;

/// <summary>Reduction over the middle axis of x (outer, axis, inner) into y (outer, inner).</summary>
public delegate void ReduceKernel(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<float> y);
/// <summary>Index reduction (argmax) over the middle axis of x (outer, axis, inner) into y (outer, inner).</summary>
public delegate void IndexReduceKernel(ReadOnlySpan<float> x, int outer, int axis, int inner, Span<int> y);

/// <summary>One numbered reduction variant: sum, mean, max and argmax.</summary>
public sealed record ReduceVariant(int Number, string Name, string Summary,
    ReduceKernel Sum, ReduceKernel Mean, ReduceKernel Max, IndexReduceKernel ArgMax) : IKernelVariant;

/// <summary>Row-wise forward over a (rows, cols) matrix: x → y.</summary>
public delegate void RowKernel(ReadOnlySpan<float> x, int rows, int cols, Span<float> y);
/// <summary>Row-wise backward over a (rows, cols) matrix: forward output y, upstream dy → dx.</summary>
public delegate void RowBackwardKernel(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx);

/// <summary>One numbered softmax variant: softmax and log-softmax, forward and backward.</summary>
public sealed record SoftmaxVariant(int Number, string Name, string Summary,
    RowKernel Softmax, RowBackwardKernel SoftmaxBackward, RowKernel LogSoftmax, RowBackwardKernel LogSoftmaxBackward) : IKernelVariant;

/// <summary>Fused softmax + cross-entropy forward: logits, labels → probs, losses.</summary>
public delegate void CrossEntropyForwardKernel(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int rows, int cols, Span<float> probs, Span<float> losses);
/// <summary>Fused softmax + cross-entropy backward: probs, labels, dLosses → dLogits.</summary>
public delegate void CrossEntropyBackwardKernel(ReadOnlySpan<float> probs, ReadOnlySpan<int> labels, ReadOnlySpan<float> dLosses, int rows, int cols, Span<float> dLogits);

/// <summary>One numbered fused softmax-cross-entropy variant, forward and backward.</summary>
public sealed record CrossEntropyVariant(int Number, string Name, string Summary,
    CrossEntropyForwardKernel Forward, CrossEntropyBackwardKernel Backward) : IKernelVariant;

/// <summary>Max pooling forward: x → y and the argmax within each plane.</summary>
public delegate void MaxPoolForward(ReadOnlySpan<float> x, in PoolShape s, Span<float> y, Span<int> argmax);
/// <summary>Max pooling backward: dy scattered to the argmax → dx.</summary>
public delegate void MaxPoolBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, in PoolShape s, Span<float> dx);
/// <summary>Average pooling in one direction: x → y forward, dy → dx backward.</summary>
public delegate void AvgPoolKernel(ReadOnlySpan<float> input, in PoolShape s, Span<float> output);
/// <summary>Global average pooling in one direction over (N, C, H, W): x → y (N,C) forward, dy → dx backward.</summary>
public delegate void GlobalPoolKernel(ReadOnlySpan<float> input, int N, int C, int H, int W, Span<float> output);

/// <summary>One numbered pooling variant: max, average and global average pooling, forward and backward.</summary>
public sealed record PoolVariant(int Number, string Name, string Summary,
    MaxPoolForward MaxForward, MaxPoolBackward MaxBackward, AvgPoolKernel AvgForward, AvgPoolKernel AvgBackward,
    GlobalPoolKernel GlobalForward, GlobalPoolKernel GlobalBackward) : IKernelVariant;

/// <summary>Batch norm training forward: x, gamma, beta → y, the batch mean and invStd, updated running statistics.</summary>
public delegate void BatchNormTrainingForward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
    int N, int C, int L, float eps, float momentum, Span<float> y, Span<float> mean, Span<float> invStd,
    Span<float> runningMean, Span<float> runningVar);
/// <summary>Batch norm eval forward with the running statistics.</summary>
public delegate void BatchNormEvalForward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
    ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, int N, int C, int L, float eps, Span<float> y);
/// <summary>Batch norm backward given the forward's mean and invStd: dx, dgamma, dbeta.</summary>
public delegate void BatchNormBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
    ReadOnlySpan<float> gamma, int N, int C, int L, bool batchStats, Span<float> dx, Span<float> dGamma, Span<float> dBeta);

/// <summary>One numbered batch norm variant: training forward, eval forward, backward.</summary>
public sealed record BatchNormVariant(int Number, string Name, string Summary,
    BatchNormTrainingForward TrainingForward, BatchNormEvalForward EvalForward, BatchNormBackward Backward) : IKernelVariant;

/// <summary>Strided gather of a view (dims, strides in elements) into a contiguous y.</summary>
public delegate void StridedCopyKernel(ReadOnlySpan<float> x, ReadOnlySpan<int> strides, ReadOnlySpan<int> dims, Span<float> y);

/// <summary>One numbered strided-copy variant.</summary>
public sealed record CopyVariant(int Number, string Name, string Summary, StridedCopyKernel Kernel) : IKernelVariant;

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

    /// <summary>Dense convolution variants (forward, input gradient, weight gradient); variant 1 is the reference.</summary>
    public static readonly IReadOnlyList<ConvVariant> Conv2d =
    [
        new(1, "naive", "plain loops per output, a bounds test per tap, one thread: the reference", s => true,
            Conv2dKernels.ForwardNaive, Conv2dKernels.BackwardInputNaive, Conv2dKernels.BackwardWeightNaive),
        new(2, "im2col", "unfold patches into a column matrix, one packed GEMM per image (the GEMMs thread themselves)", s => true,
            Conv2dKernels.ForwardIm2Col, Conv2dKernels.BackwardInputIm2Col, Conv2dKernels.BackwardWeightIm2Col),
        new(3, "images", "variant 2 with the batch's images split across threads, one dW partial per chunk", s => true,
            Conv2dKernels.ForwardImageParallel, Conv2dKernels.BackwardInputImageParallel, Conv2dKernels.BackwardWeightImageParallel),
    ];

    /// <summary>Depthwise convolution variants (forward, input gradient, weight gradient); variant 1 is the reference.</summary>
    public static readonly IReadOnlyList<ConvVariant> Depthwise =
    [
        new(1, "naive", "loops per output with a bounds test per tap: the reference", s => true,
            DepthwiseConv2dKernels.ForwardNaive, DepthwiseConv2dKernels.BackwardInputNaive, DepthwiseConv2dKernels.BackwardWeightNaive),
        new(2, "simd", "padded, phase-split plane; vectors along each output row", s => true,
            DepthwiseConv2dKernels.ForwardSimd, DepthwiseConv2dKernels.BackwardInputSimd, DepthwiseConv2dKernels.BackwardWeightSimd),
        new(3, "flat", "stride 1: the padded plane as one row of full vectors, one offset per tap", s => DepthwiseConv2dKernels.FlatInputApplies(s),
            DepthwiseConv2dKernels.ForwardFlat, DepthwiseConv2dKernels.BackwardInputFlat, DepthwiseConv2dKernels.BackwardWeightFlat),
    ];

    /// <summary>Unary elementwise ops (UnaryOps.cs), each with UnaryNaive → UnarySimd.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<UnaryVariant>> Unary = new OrderedDictionary<string, IReadOnlyList<UnaryVariant>>
    {
        ["relu"] = UnaryVariants<Relu>(), ["silu"] = UnaryVariants<Silu>(), ["sigmoid"] = UnaryVariants<Sigmoid>(),
        ["tanh"] = UnaryVariants<Tanh>(), ["exp"] = UnaryVariants<Exp>(), ["log"] = UnaryVariants<Log>(),
        ["square"] = UnaryVariants<Square>(), ["sqrt"] = UnaryVariants<Sqrt>(), ["neg"] = UnaryVariants<Neg>(),
        ["abs"] = UnaryVariants<Abs>(),
    };

    /// <summary>Binary elementwise ops (BinaryOps.cs) on same-shape operands, each with BinaryNaive → BinarySimd.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<BinaryVariant>> Binary = new OrderedDictionary<string, IReadOnlyList<BinaryVariant>>
    {
        ["add"] = BinaryVariants<Add>(), ["sub"] = BinaryVariants<Sub>(), ["mul"] = BinaryVariants<Mul>(),
        ["div"] = BinaryVariants<Div>(), ["maximum"] = BinaryVariants<Maximum>(), ["minimum"] = BinaryVariants<Minimum>(),
    };

    /// <summary>Reductions along one axis (Reduce.cs); variant 1 is the reference.</summary>
    public static readonly IReadOnlyList<ReduceVariant> Reduce =
    [
        new(1, "naive", "one scalar fold per output, axis innermost, one thread: the reference",
            ReduceKernels.SumNaive, ReduceKernels.MeanNaive, ReduceKernels.MaxNaive, ReduceKernels.ArgMaxNaive),
        new(2, "simd", "contiguous rows folded by VectorLoop.Reduce, or whole rows accumulated across the inner axis; threads over outputs",
            ReduceKernels.SumSimd, ReduceKernels.MeanSimd, ReduceKernels.MaxSimd, ReduceKernels.ArgMaxSimd),
    ];

    /// <summary>Softmax and log-softmax over the last axis (Softmax.cs); variant 1 is the reference.</summary>
    public static readonly IReadOnlyList<SoftmaxVariant> Softmax =
    [
        new(1, "naive", "scalar passes per row with MathF.Exp, one thread: the reference",
            SoftmaxKernels.SoftmaxNaive, SoftmaxKernels.SoftmaxBackwardNaive, SoftmaxKernels.LogSoftmaxNaive, SoftmaxKernels.LogSoftmaxBackwardNaive),
        new(2, "simd", "vector max, VectorMath.Exp fused with the running sum, one scale; rows across threads",
            SoftmaxKernels.SoftmaxSimd, SoftmaxKernels.SoftmaxBackwardSimd, SoftmaxKernels.LogSoftmaxSimd, SoftmaxKernels.LogSoftmaxBackwardSimd),
    ];

    /// <summary>Fused softmax + cross-entropy (Softmax.cs); variant 1 is the reference.</summary>
    public static readonly IReadOnlyList<CrossEntropyVariant> CrossEntropy =
    [
        new(1, "naive", "scalar passes per row, loss as logsumexp − x[label], one thread: the reference",
            SoftmaxKernels.CrossEntropyForwardNaive, SoftmaxKernels.CrossEntropyBackwardNaive),
        new(2, "simd", "the softmax passes vectorised, one fused update for the gradient; rows across threads",
            SoftmaxKernels.CrossEntropyForwardSimd, SoftmaxKernels.CrossEntropyBackwardSimd),
    ];

    /// <summary>Max, average and global average pooling (Pool.cs); variant 1 is the reference.</summary>
    public static readonly IReadOnlyList<PoolVariant> Pool =
    [
        new(1, "naive", "loops per output with a bounds test per tap, one thread: the reference",
            PoolKernels.MaxPool2dNaive, PoolKernels.MaxPool2dBackwardNaive, PoolKernels.AvgPool2dNaive, PoolKernels.AvgPool2dBackwardNaive,
            PoolKernels.GlobalAvgPool2dNaive, PoolKernels.GlobalAvgPool2dBackwardNaive),
        new(2, "simd", "padded phase-split planes, vectors along output columns, threads over planes (max backward: the scatter threaded)",
            PoolKernels.MaxPool2dSimd, PoolKernels.MaxPool2dBackwardParallel, PoolKernels.AvgPool2dSimd, PoolKernels.AvgPool2dBackwardSimd,
            PoolKernels.GlobalAvgPool2dSimd, PoolKernels.GlobalAvgPool2dBackwardSimd),
    ];

    /// <summary>Batch normalisation 2d (BatchNorm2d.cs); variant 1 is the reference.</summary>
    public static readonly IReadOnlyList<BatchNormVariant> BatchNorm =
    [
        new(1, "naive", "per channel, plain loops, statistics in double: the reference",
            BatchNorm2dKernels.ForwardTrainingNaive, BatchNorm2dKernels.ForwardEvalNaive, BatchNorm2dKernels.BackwardNaive),
        new(2, "simd", "vector sweeps per channel (two-pass variance, one FMA per output), fused backward; threads over channels",
            BatchNorm2dKernels.ForwardTrainingSimd, BatchNorm2dKernels.ForwardEvalSimd, BatchNorm2dKernels.BackwardSimd),
    ];

    /// <summary>Strided gather of a view into contiguous memory (StridedCopy.cs); variant 1 is the reference.</summary>
    public static readonly IReadOnlyList<CopyVariant> Copy =
    [
        new(1, "naive", "an odometer over the output index, the source offset recomputed per element", CopyKernels.StridedNaive),
        new(2, "fast", "merged dims, memmove / fill / unrolled gather per row, 8×8 blocked transposes, threads", CopyKernels.StridedFast),
    ];

    /// <summary>Op names the `kernel` verb knows, in the order `--help` lists them.</summary>
    public static readonly string[] Ops =
        ["matmul", "conv2d", "depthwise", .. Unary.Keys, .. Binary.Keys, "reduce", "softmax", "crossentropy", "pool", "batchnorm", "copy"];

    /// <summary>The variants of <paramref name="op"/> (one of <see cref="Ops"/>), in reading order.</summary>
    public static IReadOnlyList<IKernelVariant> VariantsOf(string op) => op switch
    {
        "matmul" => MatMul,
        "conv2d" => Conv2d,
        "depthwise" => Depthwise,
        "reduce" => Reduce,
        "softmax" => Softmax,
        "crossentropy" => CrossEntropy,
        "pool" => Pool,
        "batchnorm" => BatchNorm,
        "copy" => Copy,
        _ when Unary.TryGetValue(op, out var unary) => unary,
        _ when Binary.TryGetValue(op, out var binary) => binary,
        _ => throw new ArgumentException($"unknown op '{op}' (ops: {string.Join(", ", Ops)})", nameof(op)),
    };

    private static IReadOnlyList<UnaryVariant> UnaryVariants<TOp>() where TOp : IUnaryOp =>
    [
        new(1, "naive", "a plain loop over the scalar op: the reference", ElementwiseKernels.UnaryNaive<TOp>),
        new(2, "simd", "VectorLoop 512 → 256 → 128 → scalar tail; contiguous chunks across threads for large spans", ElementwiseKernels.UnarySimd<TOp>),
    ];

    private static IReadOnlyList<BinaryVariant> BinaryVariants<TOp>() where TOp : IBinaryOp =>
    [
        new(1, "naive", "a plain loop over the scalar op: the reference", ElementwiseKernels.BinaryNaive<TOp>),
        new(2, "simd", "VectorLoop 512 → 256 → 128 → scalar tail; contiguous chunks across threads for large spans", ElementwiseKernels.BinarySimd<TOp>),
    ];
}
