// Unary elementwise ops and their backward ops, as operator structs for the elementwise kernels.
//
// Op and shapes: y[i] = f(x[i]) over one span (x and y the same length); backward ops are binary:
// dx[i] = g(first[i], dy[i]) where first is the forward input x or, where cheaper, the forward
// output y (named in each op's doc), and dy is the upstream gradient.
// Each struct has a scalar Invoke (MathF; used by the naive kernels and, later, the GPU) and
// Vector128/256/512 Invokes (VectorMath for exp/log/tanh/sigmoid; used by the SIMD kernels).
//
// Forward:  Relu Silu Sigmoid Tanh Exp Log Square Sqrt Neg Abs
// Backward: ReluBackward(x, dy)   SiluBackward(x, dy)   SigmoidBackward(y, dy)   TanhBackward(y, dy)
//           SqrtBackward(y, dy)   SquareBackward(x, dy) LogBackward(x, dy)
//           Exp's backward is Mul(y, dy) with the forward output; Neg's is Neg(dy); Abs's is not
//           here yet (sign(x)·dy, undefined at 0).
// NaN in, NaN out for every forward op (Relu included, as torch.relu); the backward ops at a kink
// (ReluBackward at x = 0) pick 0.
//
// Run: dotnet run -c Release --project src/Runner -- kernel relu   (or silu, sigmoid, tanh, exp, log, …)

using System.Runtime.Intrinsics;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels.Elementwise;

// Max, not x > 0 ? x : 0: the comparison would turn NaN into 0 and hide a diverged
// activation; IEEE maximum propagates it (and costs nothing next to the memory traffic).
/// <summary>y = max(x, 0); NaN stays NaN (IEEE maximum, like torch.relu).</summary>
public readonly struct Relu : IUnaryOp
{
    public static float Invoke(float x) => MathF.Max(x, 0f);
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Max(x, Vector128<float>.Zero);
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
}

// x·σ(x) with the overflow-free σ rather than x/(1 + e^(−x)): the latter returns −0 for
// x < −88, where the true value is a tiny negative number. silu(−∞) is NaN (−∞·0), as in PyTorch.
/// <summary>y = x·σ(x) = x/(1 + e^(−x)) (also called swish).</summary>
public readonly struct Silu : IUnaryOp
{
    public static float Invoke(float x) => x * Sigmoid.Invoke(x);
    public static Vector128<float> Invoke(Vector128<float> x) => x * VectorMath.Sigmoid(x);
    public static Vector256<float> Invoke(Vector256<float> x) => x * VectorMath.Sigmoid(x);
    public static Vector512<float> Invoke(Vector512<float> x) => x * VectorMath.Sigmoid(x);
}

/// <summary>y = σ(x) = 1/(1 + e^(−x)), computed without overflow for any x.</summary>
public readonly struct Sigmoid : IUnaryOp
{
    public static float Invoke(float x) => x >= 0f ? 1f / (1f + MathF.Exp(-x)) : MathF.Exp(x) / (1f + MathF.Exp(x));
    public static Vector128<float> Invoke(Vector128<float> x) => VectorMath.Sigmoid(x);
    public static Vector256<float> Invoke(Vector256<float> x) => VectorMath.Sigmoid(x);
    public static Vector512<float> Invoke(Vector512<float> x) => VectorMath.Sigmoid(x);
}

/// <summary>y = tanh x.</summary>
public readonly struct Tanh : IUnaryOp
{
    public static float Invoke(float x) => MathF.Tanh(x);
    public static Vector128<float> Invoke(Vector128<float> x) => VectorMath.Tanh(x);
    public static Vector256<float> Invoke(Vector256<float> x) => VectorMath.Tanh(x);
    public static Vector512<float> Invoke(Vector512<float> x) => VectorMath.Tanh(x);
}

/// <summary>y = e^x.</summary>
public readonly struct Exp : IUnaryOp
{
    public static float Invoke(float x) => MathF.Exp(x);
    public static Vector128<float> Invoke(Vector128<float> x) => VectorMath.Exp(x);
    public static Vector256<float> Invoke(Vector256<float> x) => VectorMath.Exp(x);
    public static Vector512<float> Invoke(Vector512<float> x) => VectorMath.Exp(x);
}

/// <summary>y = ln x (−∞ at 0, NaN below 0).</summary>
public readonly struct Log : IUnaryOp
{
    public static float Invoke(float x) => MathF.Log(x);
    public static Vector128<float> Invoke(Vector128<float> x) => VectorMath.Log(x);
    public static Vector256<float> Invoke(Vector256<float> x) => VectorMath.Log(x);
    public static Vector512<float> Invoke(Vector512<float> x) => VectorMath.Log(x);
}

/// <summary>y = x².</summary>
public readonly struct Square : IUnaryOp
{
    public static float Invoke(float x) => x * x;
    public static Vector128<float> Invoke(Vector128<float> x) => x * x;
    public static Vector256<float> Invoke(Vector256<float> x) => x * x;
    public static Vector512<float> Invoke(Vector512<float> x) => x * x;
}

/// <summary>y = √x (NaN below 0).</summary>
public readonly struct Sqrt : IUnaryOp
{
    public static float Invoke(float x) => MathF.Sqrt(x);
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Sqrt(x);
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Sqrt(x);
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Sqrt(x);
}

/// <summary>y = −x.</summary>
public readonly struct Neg : IUnaryOp
{
    public static float Invoke(float x) => -x;
    public static Vector128<float> Invoke(Vector128<float> x) => -x;
    public static Vector256<float> Invoke(Vector256<float> x) => -x;
    public static Vector512<float> Invoke(Vector512<float> x) => -x;
}

/// <summary>y = |x|.</summary>
public readonly struct Abs : IUnaryOp
{
    public static float Invoke(float x) => MathF.Abs(x);
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Abs(x);
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Abs(x);
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Abs(x);
}

/// <summary>dx = dy where x &gt; 0, else 0 (first operand: the forward input x; 0 at the kink x = 0).</summary>
public readonly struct ReluBackward : IBinaryOp
{
    public static float Invoke(float x, float dy) => x > 0f ? dy : 0f;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> dy) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), dy, Vector128<float>.Zero);
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dy, Vector256<float>.Zero);
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), dy, Vector512<float>.Zero);
}

// σ(x) is computed once and handed to SiluGrad, which uses it twice.
/// <summary>dx = dy·σ(x)·(1 + x·(1 − σ(x))) (first operand: the forward input x).</summary>
public readonly struct SiluBackward : IBinaryOp
{
    public static float Invoke(float x, float dy) => SiluGrad(x, Sigmoid.Invoke(x), dy);
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> dy) => SiluGrad(x, VectorMath.Sigmoid(x), dy);
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => SiluGrad(x, VectorMath.Sigmoid(x), dy);
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => SiluGrad(x, VectorMath.Sigmoid(x), dy);
    private static float SiluGrad(float x, float s, float dy) => dy * s * (1f + x * (1f - s));
    private static Vector128<float> SiluGrad(Vector128<float> x, Vector128<float> s, Vector128<float> dy) => dy * s * Vector128.FusedMultiplyAdd(x, Vector128<float>.One - s, Vector128<float>.One);
    private static Vector256<float> SiluGrad(Vector256<float> x, Vector256<float> s, Vector256<float> dy) => dy * s * Vector256.FusedMultiplyAdd(x, Vector256<float>.One - s, Vector256<float>.One);
    private static Vector512<float> SiluGrad(Vector512<float> x, Vector512<float> s, Vector512<float> dy) => dy * s * Vector512.FusedMultiplyAdd(x, Vector512<float>.One - s, Vector512<float>.One);
}

/// <summary>dx = dy·y·(1 − y) (first operand: the forward OUTPUT y = σ(x)).</summary>
public readonly struct SigmoidBackward : IBinaryOp
{
    public static float Invoke(float y, float dy) => dy * y * (1f - y);
    public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> dy) => dy * y * (Vector128<float>.One - y);
    public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * y * (Vector256<float>.One - y);
    public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * y * (Vector512<float>.One - y);
}

// 1 − y² as one fused multiply-add: near |y| = 1 the separate y·y would round before the subtraction.
/// <summary>dx = dy·(1 − y²) (first operand: the forward OUTPUT y = tanh x).</summary>
public readonly struct TanhBackward : IBinaryOp
{
    public static float Invoke(float y, float dy) => dy * MathF.FusedMultiplyAdd(-y, y, 1f);
    public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> dy) => dy * Vector128.FusedMultiplyAdd(-y, y, Vector128<float>.One);
    public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * Vector256.FusedMultiplyAdd(-y, y, Vector256<float>.One);
    public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * Vector512.FusedMultiplyAdd(-y, y, Vector512<float>.One);
}

/// <summary>dx = dy/(2y) (first operand: the forward OUTPUT y = √x; +∞ at y = 0).</summary>
public readonly struct SqrtBackward : IBinaryOp
{
    public static float Invoke(float y, float dy) => dy / (2f * y);
    public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> dy) => dy / (y + y);
    public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy / (y + y);
    public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy / (y + y);
}

/// <summary>dx = 2x·dy (first operand: the forward input x).</summary>
public readonly struct SquareBackward : IBinaryOp
{
    public static float Invoke(float x, float dy) => 2f * x * dy;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> dy) => (x + x) * dy;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => (x + x) * dy;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => (x + x) * dy;
}

/// <summary>dx = dy/x (first operand: the forward input x).</summary>
public readonly struct LogBackward : IBinaryOp
{
    public static float Invoke(float x, float dy) => dy / x;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> dy) => dy / x;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => dy / x;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => dy / x;
}
