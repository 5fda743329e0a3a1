// Gradient checking: analytic gradients from Backward() against central finite differences.
//
// The scalar objective is L = Σ out ⊙ w with a fixed random w, so every output element matters.
// L is accumulated in double; the derivative uses the 4-point stencil
//   f'(x) ≈ (−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)) / 12h      (error O(h⁴)),
// which lets h be large enough (1e-2) that float32 rounding in the forward stays small.
// Tests keep inputs away from kinks (ReLU at 0, max ties) rather than skipping points.

using FusionScratch.Tensors;

namespace FusionScratch.Tests.Support;

public static class GradCheck
{
    /// <summary>
    /// Checks d(Σ f(inputs)⊙w)/d input for every element of every input that requires grad.
    /// </summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double h = 1e-2, double abs = 2e-3, double rel = 2e-2, int seed = 7)
    {
        foreach (var x in inputs) x.Grad = null;
        Tensor output = f(inputs);
        var rng = new Rng((ulong)seed);
        var w = new double[output.Numel];
        for (int i = 0; i < w.Length; i++) w[i] = rng.Uniform(-1f, 1f);
        var wt = Tensor.FromArray(w.Select(v => (float)v).ToArray(), output.Shape.ToArray());
        (output * wt).Sum().Backward();

        double Objective()
        {
            using var _ = Tensor.NoGrad();
            var o = f(inputs).ToArray();
            double s = 0;
            for (int i = 0; i < o.Length; i++) s += o[i] * w[i];
            return s;
        }

        for (int k = 0; k < inputs.Length; k++)
        {
            Tensor x = inputs[k];
            if (!x.RequiresGrad) continue;
            Assert.True(x.Grad is not null, $"input {k} of shape {x.Shape} got no gradient");
            float[] analytic = x.Grad!.ToArray();
            Span<float> data = x.Span;
            var numeric = new float[x.Numel];
            for (int j = 0; j < x.Numel; j++)
            {
                float orig = data[j];
                double Eval(double delta)
                {
                    x.Span[j] = (float)(orig + delta);
                    return Objective();
                }
                double fp2 = Eval(2 * h), fp1 = Eval(h), fm1 = Eval(-h), fm2 = Eval(-2 * h);
                x.Span[j] = orig;
                numeric[j] = (float)((-fp2 + 8 * fp1 - 8 * fm1 + fm2) / (12 * h));
            }
            Support.Check.Close(numeric, analytic, (float)abs, (float)rel, $"gradient of input {k} {x.Shape}");
        }
    }

    /// <summary>A leaf requiring grad with uniform values in [lo, hi).</summary>
    public static Tensor Leaf(int seed, float lo, float hi, params int[] shape) =>
        Tensor.Rand(new Shape(shape), new Rng((ulong)seed), lo, hi).RequireGrad();

    /// <summary>A leaf with values in ±[0.1, 1) — away from kinks at 0.</summary>
    public static Tensor AwayFromZero(int seed, params int[] shape)
    {
        var t = Tensor.Rand(new Shape(shape), new Rng((ulong)seed), 0.1f, 1f);
        var rng = new Rng((ulong)seed + 1);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) if (rng.NextFloat() < 0.5f) s[i] = -s[i];
        return t.RequireGrad();
    }
}
