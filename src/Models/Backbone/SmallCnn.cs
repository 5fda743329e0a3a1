// SmallCnn — the plain CNN of the products study, in three sizes by its widths:
//
//   input (N, 1, 28, 28)
//   conv 3×3 pad 1, 1 → c1, [batch norm], ReLU, max pool 2   → (N, c1, 14, 14)
//   conv 3×3 pad 1, c1 → c2, [batch norm], ReLU, max pool 2  → (N, c2, 7, 7)
//   flatten, linear c2·49 → D, ReLU                          → (N, D) the embedding
//   [dropout], linear D → classes                            → logits
//
// Batch norm and dropout are the "regularized" switches; the "overfit" variant is wide with
// neither, the "small" variant narrow (a pipeline check).

using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Backbone;

/// <summary>Two conv blocks and a dense embedding; see the file header.</summary>
public sealed class SmallCnn : ImageClassifier
{
    private readonly Sequential _features;

    public SmallCnn(int c1, int c2, int embedding, int classes, Rng rng, bool batchNorm = false, float dropout = 0f)
        : base(28, 28)
    {
        EmbeddingWidth = embedding;
        var layers = new List<Module<Tensor, Tensor>> { new Conv2d(1, c1, 3, rng, padding: 1, bias: !batchNorm) };
        if (batchNorm) layers.Add(new BatchNorm2d(c1));
        layers.AddRange([new ReLU(), new MaxPool2d(2), new Conv2d(c1, c2, 3, rng, padding: 1, bias: !batchNorm)]);
        if (batchNorm) layers.Add(new BatchNorm2d(c2));
        layers.AddRange([new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(c2 * 49, embedding, rng), new ReLU()]);
        _features = RegisterModule("features", new Sequential([.. layers]));
        SetHead(classes, dropout, rng);
    }

    public override int EmbeddingWidth { get; }

    protected override Tensor Embed(Tensor images) => _features.Forward(images);
}
