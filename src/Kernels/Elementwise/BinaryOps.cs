// Binary elementwise ops, as operator structs for the elementwise and broadcast kernels.
//
// Op and shapes: z[i] = f(x[i], y[i]) for same-length spans, z[i] = f(x[i], s) / f(s, x[i]) for a
// scalar operand, or over broadcast strides (ElementwiseKernels.Broadcast*).
// Ops: Add Sub Mul Div Maximum Minimum. Each struct has a scalar Invoke (naive kernels, later the GPU)
// and Vector128/256/512 Invokes (SIMD kernels), the same formula in both.
// Maximum/Minimum follow IEEE 754-2019 maximum/minimum, as MathF.Max and Vector*.Max do in .NET 9+
// and as torch.maximum does: a NaN operand gives NaN, and −0 counts as less than +0. The
// alternative (x86 maxps: return the second operand when either is NaN) depends on operand order
// and would make max(x, NaN) differ from max(NaN, x).
//
// Run: dotnet run -c Release --project src/Runner -- kernel add   (or sub, mul, div, maximum, minimum)

using System.Runtime.Intrinsics;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels.Elementwise;

/// <summary>z = x + y.</summary>
public readonly struct Add : IBinaryOp
{
    public static float Invoke(float x, float y) => x + y;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x + y;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + y;
}

/// <summary>z = x − y.</summary>
public readonly struct Sub : IBinaryOp
{
    public static float Invoke(float x, float y) => x - y;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x - y;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x - y;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x - y;
}

/// <summary>z = x·y.</summary>
public readonly struct Mul : IBinaryOp
{
    public static float Invoke(float x, float y) => x * y;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x * y;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * y;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * y;
}

/// <summary>z = x/y (IEEE: ±∞ or NaN for y = 0).</summary>
public readonly struct Div : IBinaryOp
{
    public static float Invoke(float x, float y) => x / y;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x / y;
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x / y;
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x / y;
}

/// <summary>z = max(x, y); NaN if either is NaN, max(−0, +0) = +0.</summary>
public readonly struct Maximum : IBinaryOp
{
    public static float Invoke(float x, float y) => MathF.Max(x, y);
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Vector128.Max(x, y);
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.Max(x, y);
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.Max(x, y);
}

/// <summary>z = min(x, y); NaN if either is NaN, min(−0, +0) = −0.</summary>
public readonly struct Minimum : IBinaryOp
{
    public static float Invoke(float x, float y) => MathF.Min(x, y);
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Vector128.Min(x, y);
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.Min(x, y);
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.Min(x, y);
}
