// Rng — the engine's seeded random number generator: xoshiro128** (Blackman & Vigna), seeded
// through SplitMix64. Ours rather than System.Random so that a stream is fixed by the seed alone
// on every .NET version and its whole state can be saved and restored (training checkpoints).

using System.Numerics;

namespace FusionScratch.Tensors;

/// <summary>Seeded, reproducible random numbers with saveable state.</summary>
public sealed class Rng
{
    private uint _s0, _s1, _s2, _s3;
    private float? _spareNormal;

    public Rng(ulong seed)
    {
        ulong z = seed;
        ulong Next()
        {
            z += 0x9E3779B97F4A7C15UL;
            ulong t = z;
            t = (t ^ (t >> 30)) * 0xBF58476D1CE4E5B9UL;
            t = (t ^ (t >> 27)) * 0x94D049BB133111EBUL;
            return t ^ (t >> 31);
        }
        ulong a = Next(), b = Next();
        _s0 = (uint)a; _s1 = (uint)(a >> 32); _s2 = (uint)b; _s3 = (uint)(b >> 32);
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 1;
    }

    /// <summary>Next 32 random bits.</summary>
    public uint NextUInt()
    {
        uint result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        uint t = _s1 << 9;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 11);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt() >> 8) * (1f / (1 << 24));

    /// <summary>Uniform in [lo, hi).</summary>
    public float Uniform(float lo, float hi) => lo + (hi - lo) * NextFloat();

    /// <summary>Uniform integer in [0, n), without modulo bias (Lemire).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "upper bound must be positive");
        ulong m = (ulong)NextUInt() * (uint)n;
        if ((uint)m < (uint)n)
        {
            uint threshold = (uint)(-n) % (uint)n;
            while ((uint)m < threshold) m = (ulong)NextUInt() * (uint)n;
        }
        return (int)(m >> 32);
    }

    /// <summary>Standard normal (Box–Muller; the second value of each pair is kept for the next call).</summary>
    public float Normal()
    {
        if (_spareNormal is float s) { _spareNormal = null; return s; }
        float u1;
        do u1 = NextFloat(); while (u1 <= 0f);
        float u2 = NextFloat();
        float r = MathF.Sqrt(-2f * MathF.Log(u1));
        _spareNormal = r * MathF.Sin(2f * MathF.PI * u2);
        return r * MathF.Cos(2f * MathF.PI * u2);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The whole state, for checkpoints.</summary>
    public (uint, uint, uint, uint, float?) State
    {
        get => (_s0, _s1, _s2, _s3, _spareNormal);
        set => (_s0, _s1, _s2, _s3, _spareNormal) = value;
    }
}
