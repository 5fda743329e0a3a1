// KernelFunction — Mercer kernels k(x, y) for MKL: linear, polynomial, RBF, and the cosine-
// normalised version of any of them. Each computes a Gram matrix over two point sets through the
// Gram compute kernels (src/Kernels/Gram: inner products by our packed GEMM, RBF through
// ‖x‖² + ‖y‖² − 2⟨x,y⟩ and the SIMD exp). "KernelFunction" and "Gram" are the MKL words; a
// "compute kernel" is a routine in src/Kernels (see STYLE.md).

using FusionScratch.Kernels.Gram;

namespace FusionScratch.Models.Mkl;

/// <summary>A Mercer kernel function k(x, y) on points of one view.</summary>
public abstract class KernelFunction
{
    /// <summary>A short description, e.g. "rbf(γ=0.021)".</summary>
    public abstract string Name { get; }

    /// <summary>G[i,j] = k(x_i, y_j) for the rows of x and y (x = y for a training Gram).</summary>
    public abstract Gram Compute(PointSet x, PointSet y);

    /// <summary>k(x_i, x_i) for every point (what cosine normalisation and Nyström need).</summary>
    public abstract double[] SelfValues(PointSet x);

    public Gram Compute(PointSet x) => Compute(x, x);

    public static KernelFunction Linear() => new SpecKernel(GramSpec.Linear());
    public static KernelFunction Polynomial(int degree, double gamma = 1, double coef0 = 1) => new SpecKernel(GramSpec.Polynomial(degree, (float)gamma, (float)coef0));
    public static KernelFunction Rbf(double gamma) => new SpecKernel(GramSpec.Rbf((float)gamma));

    /// <summary>k(x,y)/√(k(x,x)·k(y,y)): every point at unit "length" in feature space (RBF already is).</summary>
    public static KernelFunction Cosine(KernelFunction inner) => new CosineKernel(inner);

    /// <summary>
    /// The median heuristic for the RBF width: γ = 1/median ‖x_i − x_j‖² over up to
    /// <paramref name="pairs"/> random pairs (seeded), so exp(−γ d²) is e^−1 at a typical distance.
    /// </summary>
    public static double MedianGamma(PointSet x, ulong seed, int pairs = 2000)
    {
        var rng = new Random((int)(seed % int.MaxValue));
        var d2 = new List<double>(pairs);
        for (int p = 0; p < pairs && x.Count > 1; p++)
        {
            int i = rng.Next(x.Count), j = rng.Next(x.Count);
            if (i == j) continue;
            double s = 0;
            var a = x.Row(i);
            var b = x.Row(j);
            for (int k = 0; k < x.Dim; k++) s += (a[k] - b[k]) * (double)(a[k] - b[k]);
            d2.Add(s);
        }
        if (d2.Count == 0) return 1;
        d2.Sort();
        double median = d2[d2.Count / 2];
        return median > 0 ? 1 / median : 1;
    }

    /// <summary>Linear, polynomial or RBF: one <see cref="GramSpec"/> evaluated by <see cref="GramKernels.Simd"/>.</summary>
    private sealed class SpecKernel(GramSpec spec) : KernelFunction
    {
        public override string Name => spec.Kind switch
        {
            GramKind.Linear => "linear",
            GramKind.Polynomial => $"poly(p={spec.Degree}, γ={spec.Gamma:G3}, c0={spec.Coef0:G3})",
            _ => $"rbf(γ={spec.Gamma:G3})",
        };

        public override Gram Compute(PointSet x, PointSet y)
        {
            if (x.Dim != y.Dim) throw new ArgumentException($"kernel function: points of dimension {x.Dim} and {y.Dim}");
            var g = new Gram(x.Count, y.Count);
            GramKernels.Simd(x.Data, y.Data, x.Count, y.Count, x.Dim, spec, g.Data);
            return g;
        }

        public override double[] SelfValues(PointSet x)
        {
            var norms = GramKernels.SquaredNorms(x.Data, x.Count, x.Dim);
            return norms.Select(n => spec.Apply(n, 0)).ToArray();
        }
    }

    private sealed class CosineKernel(KernelFunction inner) : KernelFunction
    {
        public override string Name => $"cosine {inner.Name}";

        public override Gram Compute(PointSet x, PointSet y) =>
            inner.Compute(x, y).NormalizeUnitDiagonal(inner.SelfValues(x), ReferenceEquals(x, y) ? inner.SelfValues(x) : inner.SelfValues(y));

        public override double[] SelfValues(PointSet x) => x.Count == 0 ? [] : Enumerable.Repeat(1.0, x.Count).ToArray();
    }
}
