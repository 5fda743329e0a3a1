// The products study's models, one place: the metadata MLP, the image CNNs (small CNN and the
// MBConv EfficientNet-lite), the fusion head over [frozen image embedding | metadata], in the
// three variants of the original study:
//   small        a pipeline check: narrow, few epochs
//   overfit      large, no regularization, trained on a small subset until it memorises it
//                (≈ 100 % train accuracy) — what an unregularized model does
//   regularized  dropout, batch norm (image), L2 via AdamW weight decay, augmentation (image),
//                cosine learning-rate schedule, early stopping on validation, class-balanced
//                resampling of the training rows (metadata and fusion)

using FusionScratch.Models.Backbone;
using FusionScratch.Models.Fusion;
using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Runner.Experiments.Products;

internal static class ProductModels
{
    public static readonly string[] Variants = ["small", "overfit", "regularized"];

    /// <summary>The metadata-only MLP over D preprocessed features.</summary>
    public static Module<Tensor, Tensor> Metadata(string variant, int d, int classes, Rng rng) => variant switch
    {
        "small" => new Sequential(new Linear(d, 16, rng), new ReLU(), new Linear(16, classes, rng)),
        "overfit" => new Sequential(new Linear(d, 512, rng), new ReLU(), new Linear(512, 512, rng), new ReLU(), new Linear(512, classes, rng)),
        _ => new Sequential(new Linear(d, 128, rng), new ReLU(), new Dropout(0.3f, rng), new Linear(128, 64, rng), new ReLU(), new Dropout(0.3f, rng), new Linear(64, classes, rng)),
    };

    /// <summary>The image-only model: small CNN for small/overfit, the MBConv net for regularized.</summary>
    public static ImageClassifier Image(string variant, int classes, Rng rng) => variant switch
    {
        "small" => new SmallCnn(8, 16, 32, classes, rng),
        "overfit" => new SmallCnn(32, 64, 256, classes, rng),
        _ => new EfficientNetLite(classes, rng, dropout: 0.2f),
    };

    /// <summary>Joint fusion: a branch per modality over [image embedding (e) | metadata (d)], concatenated, a head.</summary>
    public static Module<Tensor, Tensor> Fusion(string variant, int e, int d, int classes, Rng rng)
    {
        (int h, float p) = variant switch { "small" => (16, 0f), "overfit" => (512, 0f), _ => (64, 0.3f) };
        Sequential Branch(int width)
        {
            var s = new Sequential(new Linear(width, h, rng), new ReLU());
            if (p > 0) s.Add(new Dropout(p, rng));
            return s;
        }
        var head = new Sequential(new Linear(2 * h, h, rng), new ReLU());
        if (p > 0) head.Add(new Dropout(p, rng));
        head.Add(new Linear(h, classes, rng));
        return new BranchFusion([e, d], [Branch(e), Branch(d)], head);
    }
}
