// Lanes — one generic vector width, so a row kernel is written once and runs at 512, 256, 128
// and 1 (scalar) lanes.
//
// The convolution-family kernels (depthwise convolution, pooling) compute output rows where each
// lane is one output column q. Their inner loops are not "one op over a span" (VectorLoop's job)
// but a few loads at tap offsets, FMAs, compares and selects. Rather than writing each loop three
// times (as VectorMath does), the loop is a generic method over TL : ILanes<TV>; the JIT compiles
// one specialised copy per width (struct type arguments are never shared), and every call inlines.
// A kernel then walks a row as a width ladder:
//     q = Row<Lanes512, Vector512<float>>(…, 0, Q);     // while 16 columns remain
//     q = Row<Lanes256, Vector256<float>>(…, q, Q);     // at most one step of 8
//     q = Row<Lanes1, float>(…, q, Q);                  // scalar tail (< 8 columns)
//     q = Row<Lanes128, Vector128<float>>(…, q, Q);     // at most one step of 4
//     q = Row<Lanes1, float>(…, q, Q);                  // scalar tail (< 4 columns)
// Each step checks IsAccelerated, so a CPU without AVX-512 simply starts at the 256-bit rung.
// Loads never read past the end of a row. Kernels whose outputs are pure functions of the input
// (forward convolution and pooling) may instead finish a row with one overlapping vector ending
// at Q, which recomputes a few outputs with the same values; kernels that accumulate (+=) must not.
//
// Indices as floats: the max-pool argmax is carried in a float vector (exact for indices below
// 2^24 = 16 777 216, far beyond one image plane) so that compare and select stay one type.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusionScratch.Kernels.Simd;

/// <summary>The operations a width-generic row kernel needs on a vector of floats TV.</summary>
public interface ILanes<TV> where TV : struct
{
    /// <summary>Lanes per vector (16, 8 or 1).</summary>
    static abstract int Count { get; }
    /// <summary>Whether this width runs in hardware here (the scalar width always does).</summary>
    static abstract bool IsAccelerated { get; }
    static abstract TV Broadcast(float value);
    /// <summary>Lanes i·step + start, i = 0 … Count−1 (exact for integers below 2^24).</summary>
    static abstract TV Ramp(float start, float step);
    static abstract TV Load(ref float source, nint offset);
    static abstract void Store(TV value, ref float destination, nint offset);
    /// <summary>Stores each lane rounded to an int (the lanes must hold integers).</summary>
    static abstract void StoreInt32(TV value, ref int destination, nint offset);
    static abstract TV Add(TV x, TV y);
    static abstract TV Multiply(TV x, TV y);
    /// <summary>a·b + c with one rounding.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);
    static abstract TV Max(TV x, TV y);
    /// <summary>All-ones lanes where x &gt; y (false for NaN).</summary>
    static abstract TV GreaterThan(TV x, TV y);
    /// <summary>mask ? x : y lane by lane, mask lanes all ones or all zeros.</summary>
    static abstract TV Select(TV mask, TV x, TV y);
    static abstract float Sum(TV x);
}

/// <summary>16 lanes (AVX-512).</summary>
public readonly struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Count => 16;
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Ramp(float start, float step) =>
        Vector512.FusedMultiplyAdd(Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(step), Vector512.Create(start));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(ref float source, nint offset) => Vector512.LoadUnsafe(ref source, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> value, ref float destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreInt32(Vector512<float> value, ref int destination, nint offset) => Vector512.ConvertToInt32(value).StoreUnsafe(ref destination, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> x, Vector512<float> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> x, Vector512<float> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> x, Vector512<float> y) => Vector512.Max(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThan(Vector512<float> x, Vector512<float> y) => Vector512.GreaterThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Select(Vector512<float> mask, Vector512<float> x, Vector512<float> y) => Vector512.ConditionalSelect(mask, x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> x) => Vector512.Sum(x);
}

/// <summary>8 lanes (AVX2).</summary>
public readonly struct Lanes256 : ILanes<Vector256<float>>
{
    public static int Count => 8;
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Ramp(float start, float step) =>
        Vector256.FusedMultiplyAdd(Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(step), Vector256.Create(start));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(ref float source, nint offset) => Vector256.LoadUnsafe(ref source, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> value, ref float destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreInt32(Vector256<float> value, ref int destination, nint offset) => Vector256.ConvertToInt32(value).StoreUnsafe(ref destination, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> x, Vector256<float> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> x, Vector256<float> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> x, Vector256<float> y) => Vector256.Max(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThan(Vector256<float> x, Vector256<float> y) => Vector256.GreaterThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<float> mask, Vector256<float> x, Vector256<float> y) => Vector256.ConditionalSelect(mask, x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> x) => Vector256.Sum(x);
}

/// <summary>4 lanes (SSE / NEON).</summary>
public readonly struct Lanes128 : ILanes<Vector128<float>>
{
    public static int Count => 4;
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Ramp(float start, float step) =>
        Vector128.FusedMultiplyAdd(Vector128.Create(0f, 1, 2, 3), Vector128.Create(step), Vector128.Create(start));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(ref float source, nint offset) => Vector128.LoadUnsafe(ref source, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<float> value, ref float destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreInt32(Vector128<float> value, ref int destination, nint offset) => Vector128.ConvertToInt32(value).StoreUnsafe(ref destination, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> x, Vector128<float> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> x, Vector128<float> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> x, Vector128<float> y) => Vector128.Max(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThan(Vector128<float> x, Vector128<float> y) => Vector128.GreaterThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Select(Vector128<float> mask, Vector128<float> x, Vector128<float> y) => Vector128.ConditionalSelect(mask, x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> x) => Vector128.Sum(x);
}

/// <summary>1 lane: the scalar tail of every ladder, and the whole loop on a CPU without SIMD.</summary>
public readonly struct Lanes1 : ILanes<float>
{
    public static int Count => 1;
    public static bool IsAccelerated => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Broadcast(float value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Ramp(float start, float step) => start;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(ref float source, nint offset) => Unsafe.Add(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float value, ref float destination, nint offset) => Unsafe.Add(ref destination, offset) = value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInt32(float value, ref int destination, nint offset) => Unsafe.Add(ref destination, offset) = (int)value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float x, float y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float x, float y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float x, float y) => MathF.Max(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float GreaterThan(float x, float y) => x > y ? BitConverter.Int32BitsToSingle(-1) : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Select(float mask, float x, float y) => BitConverter.SingleToInt32Bits(mask) != 0 ? x : y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(float x) => x;
}
