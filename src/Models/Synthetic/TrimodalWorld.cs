// TrimodalWorld — the seeded synthetic setting of the LMF study: three modalities of the seed's
// sizes (visual 128, audio 64, text 300) whose target depends on multiplicative cross-modal
// interactions, in a regression and a classification version.
//
// Per sample, hidden latents s_v, s_a, s_t ∈ R^L (L = 4), each ~ N(0, I), independent.
// Observed: x_m = s_m·A_m + σ_x·ε_m with A_m (L × D_m) fixed per world (entries N(0, 1/L)),
// ε_m ~ N(0, I) and σ_x = 0.5: every feature mixes the modality's latents with noise, and the
// many features (D_m ≫ L) let a linear encoder recover s_m.
// Scores from fixed random unit directions a_j, b_j, c_j ∈ R^L (j = 1…4):
//   u_j = a_j·s_v,  v_j = b_j·s_a,  t_j = c_j·s_t                  (each ~ N(0, 1))
//   f1 = u1·v1·t1,  f2 = u2·v2·t2     tri-modal interactions (variance 1 each)
//   g  = u3·t3                         a visual × text interaction
//   a  = (u4 + v4 + t4)/√3             an additive part (all a model without interactions can use)
// Regression:      y = (f1 + f2 + 0.5·g + 0.5·a)/√2.5 + σ_y·ε        (signal variance 1; σ_y = 0.2,
//                  so the noise floor of the test MSE is 0.04)
// Classification:  class = the quartile of y among the generated samples (4 balanced, ordered
//                  classes; the thresholds are the sample quartiles)
// The classification version has a Bayes ceiling well below 1: the two inner quartiles are only
// about 0.44 wide, and the target noise σ_y = 0.2 moves many samples across a threshold. Even a
// model that knew the latents exactly (hence the noise-free signal μ) gets on average
//   ClassCeiling = mean over samples of max_k P(class k | μ),  P(k | μ) = Φ((q_k − μ)/σ_y) − Φ((q_{k−1} − μ)/σ_y)
// (≈ 0.76 at the default options); a real model sees the latents only through noisy features.
// f1 and f2 are three-way products: their sign is a three-way XOR of the signs of u, v and t, so
// no single modality and no sum of per-modality functions (late fusion) predicts them, and an MLP
// over the concatenated features has to discover the products from data. The target is a
// polynomial of degree one in each modality's 1-extended vector, i.e. exactly the function class
// of tensor fusion, with a CP rank of a few terms — so TFN and LMF of a small rank can both
// approach the noise floor.
// Everything follows from the seed; nothing reads the clock.

using FusionScratch.Tensors;
using MathNet.Numerics.Distributions;

namespace FusionScratch.Models.Synthetic;

/// <summary>Sizes and noise of a generated tri-modal world.</summary>
public sealed record TrimodalWorldOptions
{
    public int Samples { get; init; } = 8_000;
    /// <summary>Features per modality: visual, audio, text.</summary>
    public int[] Dims { get; init; } = [128, 64, 300];
    public int Latent { get; init; } = 4;
    public float InputNoise { get; init; } = 0.5f;
    public float TargetNoise { get; init; } = 0.2f;
    public ulong Seed { get; init; } = 1;
}

/// <summary>The generated samples: features of all modalities side by side, and both targets.</summary>
public sealed class TrimodalWorld
{
    /// <summary>The formulas, for reports.</summary>
    public const string RegressionFormula = "y = (u1·v1·t1 + u2·v2·t2 + 0.5·u3·t3 + 0.5·(u4 + v4 + t4)/√3)/√2.5 + 0.2·ε";
    public const string ClassFormula = "class = the quartile of y (thresholds: the sample quartiles)";
    public const int Classes = 4;

    public required TrimodalWorldOptions Options { get; init; }
    /// <summary>(Samples, ΣDims) row-major: [visual | audio | text] per row.</summary>
    public required float[] X { get; init; }
    /// <summary>Regression target per sample.</summary>
    public required float[] Y { get; init; }
    /// <summary>Class (0…3) per sample.</summary>
    public required byte[] Class { get; init; }
    /// <summary>The noise-free part of <see cref="Y"/> per sample (ground truth for the Bayes ceiling; no model sees it).</summary>
    public required float[] Signal { get; init; }
    /// <summary>The class thresholds: the sample quartiles of <see cref="Y"/>.</summary>
    public required float[] Thresholds { get; init; }

    public int Samples => Y.Length;
    public int[] Dims => Options.Dims;
    public int Features => Options.Dims.Sum();

    public static TrimodalWorld Generate(TrimodalWorldOptions options)
    {
        if (options.Dims.Length != 3 || options.Dims.Any(d => d < 1) || options.Latent < 1 || options.Samples < 0)
            throw new ArgumentException($"trimodal world: need three modalities with ≥ 1 feature, latent ≥ 1 and samples ≥ 0; got ({string.Join(", ", options.Dims)}), L = {options.Latent}, {options.Samples} samples");
        var rng = new Rng(options.Seed);
        int L = options.Latent, F = options.Dims.Sum();
        // The world: mixing matrices A_m (L × D_m) and unit directions (4 per modality).
        var mixing = options.Dims.Select(d => Gaussian(rng, L * d, 1f / MathF.Sqrt(L))).ToArray();
        var directions = options.Dims.Select(_ => Enumerable.Range(0, 4).Select(_ => UnitVector(rng, L)).ToArray()).ToArray();

        var x = new float[options.Samples * F];
        var y = new float[options.Samples];
        var signal = new float[options.Samples];
        var cls = new byte[options.Samples];
        var latent = new float[L];
        var score = new float[3, 4]; // [modality, j]: u_j, v_j, t_j
        for (int n = 0; n < options.Samples; n++)
        {
            int offset = n * F;
            for (int m = 0; m < 3; m++)
            {
                int D = options.Dims[m];
                for (int l = 0; l < L; l++) latent[l] = rng.Normal();
                for (int k = 0; k < D; k++)
                {
                    float v = options.InputNoise * rng.Normal();
                    for (int l = 0; l < L; l++) v += latent[l] * mixing[m][l * D + k];
                    x[offset + k] = v;
                }
                offset += D;
                for (int j = 0; j < 4; j++)
                {
                    float dot = 0;
                    for (int l = 0; l < L; l++) dot += directions[m][j][l] * latent[l];
                    score[m, j] = dot;
                }
            }
            float f1 = score[0, 0] * score[1, 0] * score[2, 0];
            float f2 = score[0, 1] * score[1, 1] * score[2, 1];
            float g = score[0, 2] * score[2, 2];
            float a = (score[0, 3] + score[1, 3] + score[2, 3]) / MathF.Sqrt(3);
            signal[n] = (f1 + f2 + 0.5f * g + 0.5f * a) / MathF.Sqrt(2.5f);
            y[n] = signal[n] + options.TargetNoise * rng.Normal();
        }
        float[] quartiles = options.Samples > 0 ? Quartiles(y) : [];
        for (int n = 0; n < options.Samples; n++) cls[n] = ClassOf(y[n], quartiles);
        return new TrimodalWorld { Options = options, X = x, Y = y, Class = cls, Signal = signal, Thresholds = quartiles };
    }

    /// <summary>The three sample quartiles of <paramref name="values"/> (the class thresholds).</summary>
    public static float[] Quartiles(ReadOnlySpan<float> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return [.. new[] { 1, 2, 3 }.Select(q => sorted[q * (sorted.Length - 1) / 4])];
    }

    /// <summary>The class of a target value: how many thresholds it exceeds.</summary>
    public static byte ClassOf(float value, ReadOnlySpan<float> thresholds)
    {
        byte k = 0;
        foreach (float t in thresholds) if (value > t) k++;
        return k;
    }

    /// <summary>P(class k | noise-free signal μ) under the target noise: the mass of N(μ, σ_y²) between thresholds k−1 and k.</summary>
    public double[] ClassProbabilities(float mu)
    {
        double sigma = Options.TargetNoise;
        var p = new double[Classes];
        double below = 0;
        for (int k = 0; k < Classes; k++)
        {
            double upTo = k < Thresholds.Length ? Normal.CDF(0, 1, (Thresholds[k] - mu) / sigma) : 1;
            p[k] = upTo - below;
            below = upTo;
        }
        return p;
    }

    /// <summary>
    /// The Bayes ceiling of the classification version for a model that knows the latents exactly:
    /// the mean over the samples of max_k P(k | signal). No model of the features can beat it on
    /// average (they see the latents through noise), so it bounds every accuracy in the study.
    /// </summary>
    public double ClassCeiling() => Samples == 0 || Options.TargetNoise <= 0 ? 1 : Signal.Average(mu => ClassProbabilities(mu).Max());

    private static float[] Gaussian(Rng rng, int n, float std)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = std * rng.Normal();
        return v;
    }

    private static float[] UnitVector(Rng rng, int n)
    {
        var v = Gaussian(rng, n, 1f);
        float norm = MathF.Sqrt(v.Sum(e => e * e));
        for (int i = 0; i < n; i++) v[i] /= norm;
        return v;
    }
}
