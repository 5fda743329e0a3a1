// Elementwise ops: unary (relu, silu, sigmoid, tanh, exp, log, square, sqrt, neg), binary with
// NumPy broadcasting (add, sub, mul, div), and tensor–scalar ops, each with its backward rule.
//
// Forward goes to ElementwiseKernels' SIMD variants. Binary ops pass each operand's storage with
// its broadcast strides straight to the kernel, so broadcasting and strided views cost no copy.
// Backward rules that need the op's output (sigmoid, tanh, exp, sqrt) reuse it rather than
// recomputing; rules of broadcast ops sum the gradient back to each operand's shape (SumTo).
// Every kernel call goes through Tensor.Kernel (Memory/CapturedStep.cs), so a captured step can
// replay it.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Layout;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    // ---- unary ---------------------------------------------------------------------------

    private static Tensor MapUnary<TOp>(Tensor x) where TOp : IUnaryOp
    {
        var y = Empty(x.Shape);
        Kernel((x: x.Packed(), y), static s => ElementwiseKernels.UnarySimd<TOp>(s.x.Span, s.y.Span));
        return y;
    }

    /// <summary>Same-shape elementwise f(a, b) with no autodiff (used by backward rules).</summary>
    private static Tensor MapBinary<TOp>(Tensor a, Tensor b) where TOp : IBinaryOp
    {
        var z = Empty(a.Shape);
        Kernel((a: a.Packed(), b: b.Packed(), z), static s => ElementwiseKernels.BinarySimd<TOp>(s.a.Span, s.b.Span, s.z.Span));
        return z;
    }

    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => IsOnGpu ? ReluGpu() : Record(MapUnary<Relu>(this), "relu", [this], g => [MapBinary<ReluBackward>(this, g)]);

    /// <summary>x·σ(x) (swish).</summary>
    public Tensor Silu() => IsOnGpu ? SiluGpu() : Record(MapUnary<Silu>(this), "silu", [this], g => [MapBinary<SiluBackward>(this, g)]);

    /// <summary>1 / (1 + e^−x).</summary>
    public Tensor Sigmoid()
    {
        if (IsOnGpu) return SigmoidGpu();
        var y = MapUnary<Sigmoid>(this);
        return Record(y, "sigmoid", [this], g => [MapBinary<SigmoidBackward>(y, g)]);
    }

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh()
    {
        if (IsOnGpu) return TanhGpu();
        var y = MapUnary<Tanh>(this);
        return Record(y, "tanh", [this], g => [MapBinary<TanhBackward>(y, g)]);
    }

    /// <summary>e^x.</summary>
    public Tensor Exp()
    {
        if (IsOnGpu) return ExpGpu();
        var y = MapUnary<Exp>(this);
        return Record(y, "exp", [this], g => [MapBinary<Mul>(y, g)]);
    }

    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => IsOnGpu ? LogGpu() : Record(MapUnary<Log>(this), "log", [this], g => [MapBinary<LogBackward>(this, g)]);

    /// <summary>x².</summary>
    public Tensor Square() => IsOnGpu ? SquareGpu() : Record(MapUnary<Square>(this), "square", [this], g => [MapBinary<SquareBackward>(this, g)]);

    /// <summary>√x.</summary>
    public Tensor Sqrt()
    {
        if (IsOnGpu) return SqrtGpu();
        var y = MapUnary<Sqrt>(this);
        return Record(y, "sqrt", [this], g => [MapBinary<SqrtBackward>(y, g)]);
    }

    /// <summary>−x.</summary>
    public Tensor Neg() => IsOnGpu ? NegGpu() : Record(MapUnary<Neg>(this), "neg", [this], g => [MapUnary<Neg>(g)]);

    // ---- binary with broadcasting ---------------------------------------------------------

    private static Tensor MapBroadcast<TOp>(Tensor a, Tensor b, string op) where TOp : IBinaryOp
    {
        Shape shape = Shape.Broadcast(a.Shape, b.Shape, op);
        var z = Empty(shape);
        if (a.Shape == shape && b.Shape == shape && a.IsContiguous && b.IsContiguous)
            Kernel((a, b, z), static s => ElementwiseKernels.BinarySimd<TOp>(s.a.Span, s.b.Span, s.z.Span));
        else
            Kernel((a, b, z), static s =>
            {
                // Each operand's strides broadcast to the output shape (0 on the repeated dims), on the stack.
                Shape shape = s.z.Shape;
                Span<int> sa = stackalloc int[shape.Rank], sb = stackalloc int[shape.Rank];
                s.a.Layout.ExpandStrides(shape, sa);
                s.b.Layout.ExpandStrides(shape, sb);
                ElementwiseKernels.BroadcastSimd<TOp>(
                    s.a.CpuArray.AsSpan(s.a.Layout.Offset), sa,
                    s.b.CpuArray.AsSpan(s.b.Layout.Offset), sb,
                    shape.Dims, s.z.Span);
            });
        return z;
    }

    /// <summary>a + b with broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b) => OnGpu(a, b, "add") ? AddGpu(a, b) :
        Record(MapBroadcast<Add>(a, b, "add"), "add", [a, b], g => [g.SumTo(a.Shape), g.SumTo(b.Shape)]);

    /// <summary>a − b with broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => OnGpu(a, b, "sub") ? SubGpu(a, b) :
        Record(MapBroadcast<Sub>(a, b, "sub"), "sub", [a, b], g => [g.SumTo(a.Shape), MapUnary<Neg>(g).SumTo(b.Shape)]);

    /// <summary>a ⊙ b with broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b) => OnGpu(a, b, "mul") ? MulGpu(a, b) :
        Record(MapBroadcast<Mul>(a, b, "mul"), "mul", [a, b], g =>
            [a.RequiresGrad ? MapBroadcast<Mul>(g, b, "mul").SumTo(a.Shape) : null,
             b.RequiresGrad ? MapBroadcast<Mul>(g, a, "mul").SumTo(b.Shape) : null]);

    /// <summary>a / b with broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b)
    {
        if (OnGpu(a, b, "div")) return DivGpu(a, b);
        var y = MapBroadcast<Div>(a, b, "div");
        return Record(y, "div", [a, b], g =>
            // d/da = g / b;  d/db = −g·a/b² = −(g·y)/b
            [a.RequiresGrad ? MapBroadcast<Div>(g, b, "div").SumTo(a.Shape) : null,
             b.RequiresGrad ? MapUnary<Neg>(MapBroadcast<Div>(MapBinary<Mul>(g, y), b, "div")).SumTo(b.Shape) : null]);
    }

    // ---- tensor–scalar ----------------------------------------------------------------------

    private static Tensor MapScalar<TOp>(Tensor x, float s) where TOp : IBinaryOp
    {
        var y = Empty(x.Shape);
        Kernel((x: x.Packed(), s, y), static k => ElementwiseKernels.ScalarSimd<TOp>(k.x.Span, k.s, k.y.Span));
        return y;
    }

    private static Tensor MapScalarLeft<TOp>(float s, Tensor x) where TOp : IBinaryOp
    {
        var y = Empty(x.Shape);
        Kernel((s, x: x.Packed(), y), static k => ElementwiseKernels.ScalarLeftSimd<TOp>(k.s, k.x.Span, k.y.Span));
        return y;
    }

    /// <summary>x + s.</summary>
    public Tensor AddScalar(float s) => IsOnGpu ? AddScalarGpu(s) : Record(MapScalar<Add>(this, s), "add_scalar", [this], g => [g]);

    /// <summary>x · s.</summary>
    public Tensor MulScalar(float s) => IsOnGpu ? MulScalarGpu(s) : Record(MapScalar<Mul>(this, s), "mul_scalar", [this], g => [MapScalar<Mul>(g, s)]);

    /// <summary>s − x.</summary>
    public Tensor RSubScalar(float s) => IsOnGpu ? RSubScalarGpu(s) : Record(MapScalarLeft<Sub>(s, this), "rsub_scalar", [this], g => [MapUnary<Neg>(g)]);

    /// <summary>s / x.</summary>
    public Tensor RDivScalar(float s)
    {
        if (IsOnGpu) return RDivScalarGpu(s);
        var y = MapScalarLeft<Div>(s, this);
        // d/dx (s/x) = −s/x² = −y/x
        return Record(y, "rdiv_scalar", [this], g => [MapUnary<Neg>(MapBinary<Div>(MapBinary<Mul>(g, y), this))]);
    }

    // ---- dropout ------------------------------------------------------------------------------

    /// <summary>
    /// Inverted dropout: each element zeroed with probability <paramref name="p"/>, the others
    /// scaled by 1/(1 − p); the mask is drawn from <paramref name="rng"/> by a kernel call (so a
    /// replayed step draws a fresh one), and the op is x ⊙ mask, whose Mul rule is the backward.
    /// </summary>
    public static Tensor Dropout(Tensor x, float p, Rng rng)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentException($"dropout: probability must be in [0, 1), got {p}");
        var mask = Empty(x.Shape);
        Kernel((mask, p, rng), static k =>
        {
            Span<float> m = k.mask.Span;
            float keep = 1f / (1f - k.p);
            for (int i = 0; i < m.Length; i++) m[i] = k.rng.NextFloat() < k.p ? 0f : keep;
        });
        return x * mask.To(x.Device); // drawn on the host (the Rng lives there); sent along for a GPU input
    }

    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Div(a, b);
    public static Tensor operator -(Tensor a) => a.Neg();
    public static Tensor operator +(Tensor a, float s) => a.AddScalar(s);
    public static Tensor operator +(float s, Tensor a) => a.AddScalar(s);
    public static Tensor operator -(Tensor a, float s) => a.AddScalar(-s);
    public static Tensor operator -(float s, Tensor a) => a.RSubScalar(s);
    public static Tensor operator *(Tensor a, float s) => a.MulScalar(s);
    public static Tensor operator *(float s, Tensor a) => a.MulScalar(s);
    public static Tensor operator /(Tensor a, float s) => a.MulScalar(1f / s);
    public static Tensor operator /(float s, Tensor a) => a.RDivScalar(s);
}
