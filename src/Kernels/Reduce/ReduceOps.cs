// Reduction operators: Sum, Max, Min as IReduceOp structs for VectorLoop.Reduce and the
// row-accumulating loops in ReduceKernels.
//
// Shapes: an op folds floats pairwise; Identity is the value of an empty fold; Horizontal folds
// the lanes of one vector into a scalar (the last step of a vectorised reduction).
// Ops, one line each:
//   SumOp — x + y, identity 0. Vector lanes add in a different order than a left-to-right loop.
//   MaxOp — maximum, identity −∞. NaN propagates: a NaN anywhere makes the result NaN
//           (MathF.Max and, since .NET 9, Vector512.Max follow IEEE 754-2019 maximum), so a
//           diverging activation shows up instead of being silently skipped. +0 beats −0.
//   MinOp — minimum, identity +∞, NaN propagates the same way.
//
//   dotnet run -c Release --project src/Runner -- kernel reduce --variant 2

using System.Runtime.Intrinsics;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels.Reduce;

/// <summary>Addition: effectively computes x + y; the empty sum is 0.</summary>
public readonly struct SumOp : IReduceOp
{
    public static float Identity => 0f;
    public static float Invoke(float x, float y) => x + y;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x + y;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + y;
    public static float Horizontal(Vector128<float> x) => Vector128.Sum(x);
    public static float Horizontal(Vector256<float> x) => Vector256.Sum(x);
    public static float Horizontal(Vector512<float> x) => Vector512.Sum(x);
}

/// <summary>
/// Maximum: effectively computes max(x, y); the empty maximum is −∞. A NaN operand gives NaN
/// (NaN propagates, as in PyTorch's max and NumPy's np.max), and max(−0, +0) = +0.
/// </summary>
public readonly struct MaxOp : IReduceOp
{
    public static float Identity => float.NegativeInfinity;
    public static float Invoke(float x, float y) => MathF.Max(x, y);
    // Vector*.Max (not MaxNative): MaxNative is one instruction but returns whichever operand
    // the hardware picks when one is NaN, which would lose NaNs depending on operand order.
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Vector128.Max(x, y);
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.Max(x, y);
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.Max(x, y);
    public static float Horizontal(Vector128<float> x) =>
        MathF.Max(MathF.Max(x.GetElement(0), x.GetElement(1)), MathF.Max(x.GetElement(2), x.GetElement(3)));
    public static float Horizontal(Vector256<float> x) => Horizontal(Vector128.Max(x.GetLower(), x.GetUpper()));
    public static float Horizontal(Vector512<float> x) => Horizontal(Vector256.Max(x.GetLower(), x.GetUpper()));
}

/// <summary>
/// Minimum: effectively computes min(x, y); the empty minimum is +∞. A NaN operand gives NaN,
/// and min(−0, +0) = −0.
/// </summary>
public readonly struct MinOp : IReduceOp
{
    public static float Identity => float.PositiveInfinity;
    public static float Invoke(float x, float y) => MathF.Min(x, y);
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Vector128.Min(x, y);
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.Min(x, y);
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.Min(x, y);
    public static float Horizontal(Vector128<float> x) =>
        MathF.Min(MathF.Min(x.GetElement(0), x.GetElement(1)), MathF.Min(x.GetElement(2), x.GetElement(3)));
    public static float Horizontal(Vector256<float> x) => Horizontal(Vector128.Min(x.GetLower(), x.GetUpper()));
    public static float Horizontal(Vector512<float> x) => Horizontal(Vector256.Min(x.GetLower(), x.GetUpper()));
}
