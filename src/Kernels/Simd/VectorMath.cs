// VectorMath — transcendental functions on Vector128/256/512<float>, written for the kernels.
//
// Exp (Cephes expf scheme): e^x = 2^n · e^r with n = round(x·log2 e) and r = x − n·ln 2, where
// ln 2 is split into a high part (exact in float) and a low correction so that r keeps full
// precision; e^r on |r| ≤ ½ln 2 is a degree-6 polynomial (max error about 1 ulp); 2^n is built
// straight into the exponent bits. Inputs are clamped so n stays in the normal range; outside it
// the true result is +∞ (x > 88.72) or rounds to 0 (x < −103.97), and those lanes are patched
// afterwards, as is NaN, which the clamp would otherwise hide.
//
// All three widths carry the same code line for line: the BCL has no public generic vector
// interface to write it once (ISimdVector is internal), the same trade-off TensorPrimitives makes.

using System.Runtime.Intrinsics;

namespace FusionScratch.Kernels.Simd;

/// <summary>Vectorised elementary functions used by the SIMD kernels.</summary>
public static class VectorMath
{
    // Cephes expf constants.
    internal const float ExpClampHi = 88.3762626647949f;   // n ≤ 127: 2^n stays finite
    internal const float ExpClampLo = -87.3365478515625f;  // n ≥ −126: 2^n stays normal
    internal const float ExpOverflow = 88.72283905206835f; // above: e^x = +∞ in float
    internal const float ExpUnderflow = -103.972084f;      // below: e^x rounds to 0 in float
    internal const float Log2E = 1.44269504088896341f;
    internal const float Ln2Hi = 0.693359375f;
    internal const float Ln2Lo = -2.12194440e-4f;
    internal const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
                         P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;


    /// <summary>e^x lane-wise, about 1 ulp.</summary>
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var c = Vector512.Min(Vector512.Max(x, Vector512.Create(ExpClampLo)), Vector512.Create(ExpClampHi));
        var n = Vector512.Round(c * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), c);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        // 2^n: put n + 127 into the exponent field of a float.
        var scale = ((Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23).AsSingle();
        var y = p * scale;
        y = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(ExpOverflow)), Vector512.Create(float.PositiveInfinity), y);
        y = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(ExpUnderflow)), Vector512<float>.Zero, y);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), y, x); // NaN in, NaN out
    }

    /// <summary>e^x lane-wise, about 1 ulp.</summary>
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var c = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpClampLo)), Vector256.Create(ExpClampHi));
        var n = Vector256.Round(c * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), c);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        var scale = ((Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23).AsSingle();
        var y = p * scale;
        y = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(ExpOverflow)), Vector256.Create(float.PositiveInfinity), y);
        y = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(ExpUnderflow)), Vector256<float>.Zero, y);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), y, x);
    }

    /// <summary>e^x lane-wise, about 1 ulp.</summary>
    public static Vector128<float> Exp(Vector128<float> x)
    {
        var c = Vector128.Min(Vector128.Max(x, Vector128.Create(ExpClampLo)), Vector128.Create(ExpClampHi));
        var n = Vector128.Round(c * Vector128.Create(Log2E));
        var r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Hi), c);
        r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Lo), r);
        var p = Vector128.FusedMultiplyAdd(Vector128.Create(P0), r, Vector128.Create(P1));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P2));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P3));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P4));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P5));
        p = Vector128.FusedMultiplyAdd(p, r * r, r + Vector128<float>.One);
        var scale = ((Vector128.ConvertToInt32(n) + Vector128.Create(127)) << 23).AsSingle();
        var y = p * scale;
        y = Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128.Create(ExpOverflow)), Vector128.Create(float.PositiveInfinity), y);
        y = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(ExpUnderflow)), Vector128<float>.Zero, y);
        return Vector128.ConditionalSelect(Vector128.Equals(x, x), y, x);
    }
}
