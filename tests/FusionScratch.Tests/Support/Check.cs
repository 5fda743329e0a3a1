// Comparison helpers shared by every parity test: tolerance abs + rel·|ref| (llm.c,
// TensorPrimitives); on failure the message lists the first 5 mismatches and the max difference.

using System.Text;

namespace FusionScratch.Tests.Support;

public static class Check
{
    /// <summary>Asserts |actual[i] − expected[i]| ≤ abs + rel·|expected[i]| for every i (NaN matches NaN, ±∞ match exactly).</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float abs = 1e-5f, float rel = 1e-5f, string what = "")
    {
        if (expected.Length != actual.Length)
            throw new Xunit.Sdk.XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        int bad = 0;
        double maxDiff = 0;
        var sb = new StringBuilder();
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            bool ok;
            if (float.IsNaN(e) || float.IsNaN(a)) ok = float.IsNaN(e) && float.IsNaN(a);
            else if (float.IsInfinity(e) || float.IsInfinity(a)) ok = e == a;
            else
            {
                double d = Math.Abs((double)a - e);
                maxDiff = Math.Max(maxDiff, d);
                ok = d <= abs + rel * Math.Abs(e);
            }
            if (!ok)
            {
                if (bad < 5) sb.Append($"\n  [{i}] expected {e:R}, got {a:R}");
                bad++;
            }
        }
        if (bad > 0)
            throw new Xunit.Sdk.XunitException($"{what}: {bad} of {expected.Length} mismatches (abs {abs}, rel {rel}), max diff {maxDiff:G4}; first:{sb}");
    }

    /// <summary>Seeded uniform floats in [lo, hi).</summary>
    public static float[] Random(int n, int seed, float lo = -1f, float hi = 1f)
    {
        var rng = new System.Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = lo + (float)rng.NextDouble() * (hi - lo);
        return x;
    }

    /// <summary>Lengths 0–256 plus ragged sizes past the vector widths and the threading threshold.</summary>
    public static IEnumerable<object[]> Lengths()
    {
        for (int n = 0; n <= 40; n++) yield return new object[] { n };
        foreach (int n in new[] { 63, 64, 65, 127, 128, 129, 255, 256, 6 * 512 + 7, 100_003, 1 << 20 })
            yield return new object[] { n };
    }
}
