// The models of the LMF study. Every model reads one row [visual | audio | text] and is a
// BranchFusion, so they differ only in how the modalities meet:
//
//   late     per-modality MLP (D_m → 32 → out), predictions averaged          (no interactions)
//   concat   linear encoder per modality (D_m → E), concatenated, MLP head     (early fusion)
//            (3E → 64 → 64 → out, ReLU)
//   tfn      the same encoders, then TensorFusion (E+1)³ → out                 (full tensor)
//   lmf      the same encoders, then LowRankFusion rank r → out                (CP rank r)
//
// E = 8 (the world has 4 latents per modality). The encoders are linear (no activation), as the
// fusion layers supply the interactions; concatenation has to learn them with its ReLU head.

using FusionScratch.Models.Fusion;
using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Runner.Experiments.Lmf;

public static class LmfModels
{
    /// <summary>Width of each modality's encoder output.</summary>
    public const int Encoded = 8;

    /// <summary>"late", "concat", "tfn" or "lmf" (with <paramref name="rank"/>).</summary>
    public static BranchFusion Build(string kind, int[] dims, int outputs, Rng rng, int rank = 4)
    {
        Module<Tensor, Tensor>[] Encoders() => [.. dims.Select(d => (Module<Tensor, Tensor>)new Linear(d, Encoded, rng))];
        int[] encoded = [.. dims.Select(_ => Encoded)];
        return kind switch
        {
            "late" => new BranchFusion(dims,
                [.. dims.Select(d => (Module<Tensor, Tensor>)new Sequential(new Linear(d, 32, rng), new ReLU(), new Linear(32, outputs, rng)))],
                new MeanFusion()),
            "concat" => new BranchFusion(dims, Encoders(),
                new Sequential(new Linear(dims.Length * Encoded, 64, rng), new ReLU(), new Linear(64, 64, rng), new ReLU(), new Linear(64, outputs, rng))),
            "tfn" => new BranchFusion(dims, Encoders(), new TensorFusion(encoded, outputs, rng)),
            "lmf" => new BranchFusion(dims, Encoders(), new LowRankFusion(encoded, rank, outputs, rng)),
            _ => throw new ArgumentException($"unknown model kind '{kind}' (late, concat, tfn, lmf)"),
        };
    }

    /// <summary>One line per kind, for the report.</summary>
    public static readonly (string Kind, string Description)[] Descriptions =
    [
        ("late", "late fusion: an MLP per modality (D → 32 → out), predictions averaged"),
        ("concat", $"concatenation (early fusion): linear encoders D → {Encoded} per modality, concatenated, MLP {3 * Encoded} → 64 → 64 → out"),
        ("tfn", $"TFN: the same encoders, outer product of the 1-extended codes ({Encoded + 1}³ = {(Encoded + 1) * (Encoded + 1) * (Encoded + 1)} products), linear → out"),
        ("lmf", "LMF: the same encoders, rank-r modality factors, Hadamard product, weighted sum over the rank (+ bias)"),
    ];
}
