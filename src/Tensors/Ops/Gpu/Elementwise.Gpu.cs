// Elementwise ops on the GPU: the device halves of Ops/Elementwise.cs (unary, binary with NumPy
// broadcasting, tensor–scalar), each with its backward rule, mirroring the CPU rules line for line.
//
// Broadcasting: the operand whose shape differs from the output's is expanded (a stride-0 view) and
// packed by the strided-gather kernel, then the same-shape BinaryGpu runs. That costs one extra
// buffer where the CPU kernel reads broadcast strides directly; it keeps one binary kernel per op.
// Backward rules sum the gradient back to each operand's shape with SumTo (Sum(axis) on the GPU).

using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    /// <summary>y = TOp(x) on x's GPU, unrecorded.</summary>
    private static Tensor MapUnaryGpu<TOp>(Tensor x) where TOp : struct, IScalarUnaryOp
    {
        x = x.GpuPacked();
        var y = EmptyOn(x.Device, x.Shape);
        ElementwiseKernels.UnaryGpu<TOp>(x.GpuAccelerator, x.GpuView(), y.GpuView(), x.Numel);
        return y;
    }

    /// <summary>Same-shape z = TOp(a, b) on the GPU, unrecorded.</summary>
    private static Tensor MapBinaryGpu<TOp>(Tensor a, Tensor b) where TOp : struct, IScalarBinaryOp
    {
        a = a.GpuPacked();
        b = b.GpuPacked();
        var z = EmptyOn(a.Device, a.Shape);
        ElementwiseKernels.BinaryGpu<TOp>(a.GpuAccelerator, a.GpuView(), b.GpuView(), z.GpuView(), a.Numel);
        return z;
    }

    /// <summary>z = TOp(a, b) with broadcasting on the GPU, unrecorded (operands expanded and packed first).</summary>
    private static Tensor MapBroadcastGpu<TOp>(Tensor a, Tensor b, string op) where TOp : struct, IScalarBinaryOp
    {
        OnGpu(a, b, op);
        Shape shape = Shape.Broadcast(a.Shape, b.Shape, op);
        if (a.Shape != shape) a = a.Expand(shape.ToArray());
        if (b.Shape != shape) b = b.Expand(shape.ToArray());
        return MapBinaryGpu<TOp>(a, b);
    }

    private static Tensor MapScalarGpu<TOp>(Tensor x, float s) where TOp : struct, IScalarBinaryOp
    {
        x = x.GpuPacked();
        var y = EmptyOn(x.Device, x.Shape);
        ElementwiseKernels.ScalarGpu<TOp>(x.GpuAccelerator, x.GpuView(), s, y.GpuView(), x.Numel);
        return y;
    }

    private static Tensor MapScalarLeftGpu<TOp>(float s, Tensor x) where TOp : struct, IScalarBinaryOp
    {
        x = x.GpuPacked();
        var y = EmptyOn(x.Device, x.Shape);
        ElementwiseKernels.ScalarLeftGpu<TOp>(x.GpuAccelerator, s, x.GpuView(), y.GpuView(), x.Numel);
        return y;
    }

    /// <summary>A GPU unary op whose backward is TBackward(x, g).</summary>
    private Tensor UnaryGpu<TOp, TBackward>(string op) where TOp : struct, IScalarUnaryOp where TBackward : struct, IScalarBinaryOp =>
        Record(MapUnaryGpu<TOp>(this), op, [this], g => [MapBinaryGpu<TBackward>(this, g)]);

    /// <summary>A GPU unary op whose backward is TBackward(y, g), y the op's output.</summary>
    private Tensor UnaryGpuFromOutput<TOp, TBackward>(string op) where TOp : struct, IScalarUnaryOp where TBackward : struct, IScalarBinaryOp
    {
        var y = MapUnaryGpu<TOp>(this);
        return Record(y, op, [this], g => [MapBinaryGpu<TBackward>(y, g)]);
    }

    private Tensor ReluGpu() => UnaryGpu<Relu, ReluBackward>("relu");
    private Tensor SiluGpu() => UnaryGpu<Silu, SiluBackward>("silu");
    private Tensor SigmoidGpu() => UnaryGpuFromOutput<Sigmoid, SigmoidBackward>("sigmoid");
    private Tensor TanhGpu() => UnaryGpuFromOutput<Tanh, TanhBackward>("tanh");
    private Tensor ExpGpu() => UnaryGpuFromOutput<Exp, Mul>("exp");
    private Tensor LogGpu() => UnaryGpu<Log, LogBackward>("log");
    private Tensor SquareGpu() => UnaryGpu<Square, SquareBackward>("square");
    private Tensor SqrtGpu() => UnaryGpuFromOutput<Sqrt, SqrtBackward>("sqrt");
    private Tensor NegGpu() => Record(MapUnaryGpu<Neg>(this), "neg", [this], g => [MapUnaryGpu<Neg>(g)]);

    private static Tensor AddGpu(Tensor a, Tensor b) =>
        Record(MapBroadcastGpu<Add>(a, b, "add"), "add", [a, b], g => [g.SumTo(a.Shape), g.SumTo(b.Shape)]);

    private static Tensor SubGpu(Tensor a, Tensor b) =>
        Record(MapBroadcastGpu<Sub>(a, b, "sub"), "sub", [a, b], g => [g.SumTo(a.Shape), MapUnaryGpu<Neg>(g).SumTo(b.Shape)]);

    private static Tensor MulGpu(Tensor a, Tensor b) =>
        Record(MapBroadcastGpu<Mul>(a, b, "mul"), "mul", [a, b], g =>
            [a.RequiresGrad ? MapBroadcastGpu<Mul>(g, b, "mul").SumTo(a.Shape) : null,
             b.RequiresGrad ? MapBroadcastGpu<Mul>(g, a, "mul").SumTo(b.Shape) : null]);

    private static Tensor DivGpu(Tensor a, Tensor b)
    {
        var y = MapBroadcastGpu<Div>(a, b, "div");
        return Record(y, "div", [a, b], g =>
            [a.RequiresGrad ? MapBroadcastGpu<Div>(g, b, "div").SumTo(a.Shape) : null,
             b.RequiresGrad ? MapUnaryGpu<Neg>(MapBroadcastGpu<Div>(MapBinaryGpu<Mul>(g, y), b, "div")).SumTo(b.Shape) : null]);
    }

    private Tensor AddScalarGpu(float s) => Record(MapScalarGpu<Add>(this, s), "add_scalar", [this], g => [g]);
    private Tensor MulScalarGpu(float s) => Record(MapScalarGpu<Mul>(this, s), "mul_scalar", [this], g => [MapScalarGpu<Mul>(g, s)]);
    private Tensor RSubScalarGpu(float s) => Record(MapScalarLeftGpu<Sub>(s, this), "rsub_scalar", [this], g => [MapUnaryGpu<Neg>(g)]);

    private Tensor RDivScalarGpu(float s)
    {
        var y = MapScalarLeftGpu<Div>(s, this);
        return Record(y, "rdiv_scalar", [this], g => [MapUnaryGpu<Neg>(MapBinaryGpu<Div>(MapBinaryGpu<Mul>(g, y), this))]);
    }
}
