// SimplexProjection — the Euclidean projection onto the probability simplex
//     Δ = { d : d_m ≥ 0, Σ_m d_m = 1 },   P(v) = argmin_{d ∈ Δ} ‖d − v‖².
// The KKT conditions of that small problem give d_m = max(v_m − θ, 0) for one threshold θ (the
// multiplier of Σd = 1), found by sorting v descending and taking the largest ρ with
// u_ρ − (Σ_{r≤ρ} u_r − 1)/ρ > 0 (Held, Wolfe and Crowder 1974; Duchi et al. 2008). O(M log M).
// MKL uses it to keep the kernel weights exactly on the simplex after a step (rounding leaves
// −1e-17 or a sum of 0.9999999) and to turn alignment scores into weights.

namespace FusionScratch.Models.Mkl;

public static class SimplexProjection
{
    /// <summary>argmin over the simplex of ‖d − v‖² (Σd = <paramref name="total"/>, d ≥ 0).</summary>
    public static double[] Project(ReadOnlySpan<double> v, double total = 1)
    {
        if (v.Length == 0) throw new ArgumentException("simplex projection of an empty vector");
        if (!(total > 0)) throw new ArgumentOutOfRangeException(nameof(total), total, "the simplex total must be > 0");
        var u = v.ToArray();
        if (u.Any(double.IsNaN)) throw new ArgumentException("simplex projection of a vector with NaN");
        Array.Sort(u, (a, b) => b.CompareTo(a));
        double cumulative = 0, theta = 0;
        for (int r = 0; r < u.Length; r++)
        {
            cumulative += u[r];
            double t = (cumulative - total) / (r + 1);
            if (u[r] - t > 0) theta = t;        // ρ = r + 1 still keeps its coordinate positive
        }
        var d = new double[v.Length];
        for (int m = 0; m < v.Length; m++) d[m] = Math.Max(v[m] - theta, 0);
        return d;
    }

    /// <summary>Whether d is on the simplex within <paramref name="tolerance"/>.</summary>
    public static bool IsOnSimplex(ReadOnlySpan<double> d, double tolerance = 1e-9)
    {
        double sum = 0;
        foreach (double x in d)
        {
            if (x < -tolerance || double.IsNaN(x)) return false;
            sum += x;
        }
        return Math.Abs(sum - 1) <= tolerance;
    }
}
