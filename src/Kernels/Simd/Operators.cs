// Operator interfaces shared by every elementwise and reduction kernel.
//
// An op is a struct with static methods: a scalar Invoke used by the naive reference (and, later,
// by the GPU kernels), plus Vector128/256/512 overloads used by the SIMD driver in VectorLoop.
// Static abstract members let the JIT specialise each driver per op, so the op inlines into the
// loop with no virtual call (the TensorPrimitives idiom).
//
// The scalar-only interfaces (IScalarUnaryOp, IScalarBinaryOp) stand apart on purpose: ILGPU
// kernels cannot call Vector256 APIs, so the GPU backend constrains on the scalar interface only.

using System.Runtime.Intrinsics;

namespace FusionScratch.Kernels.Simd;

/// <summary>y = f(x), scalar form only (usable from GPU kernels).</summary>
public interface IScalarUnaryOp
{
    static abstract float Invoke(float x);
}

/// <summary>y = f(x) with vector forms for the SIMD driver.</summary>
public interface IUnaryOp : IScalarUnaryOp
{
    static abstract Vector128<float> Invoke(Vector128<float> x);
    static abstract Vector256<float> Invoke(Vector256<float> x);
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>z = f(x, y), scalar form only (usable from GPU kernels).</summary>
public interface IScalarBinaryOp
{
    static abstract float Invoke(float x, float y);
}

/// <summary>z = f(x, y) with vector forms for the SIMD driver.</summary>
public interface IBinaryOp : IScalarBinaryOp
{
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y);
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

/// <summary>
/// An associative reduction: Identity ⊕ x ⊕ y …; vector forms combine lane-wise and
/// Horizontal folds one vector's lanes into a scalar.
/// </summary>
public interface IReduceOp : IBinaryOp
{
    static abstract float Identity { get; }
    static abstract float Horizontal(Vector128<float> x);
    static abstract float Horizontal(Vector256<float> x);
    static abstract float Horizontal(Vector512<float> x);
}
