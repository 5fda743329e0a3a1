// ImageClassifier — what the image models of the studies share: a feature extractor (the
// backbone) that maps (N, 1, 28, 28) images to an (N, D) embedding, then a head (dropout +
// linear) to logits. Inputs may also arrive as flat rows (N, H·W), the layout of a fused feature
// row, and are reshaped to (N, 1, H, W) — so a backbone can sit as the image branch of
// BranchFusion, and Features() gives the frozen embedding for pretrain-then-freeze.

using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Backbone;

/// <summary>An image backbone with a classification head.</summary>
public abstract class ImageClassifier : Module<Tensor, Tensor>
{
    private Module<Tensor, Tensor>? _head;

    protected ImageClassifier(int height, int width) => (Height, Width) = (height, width);

    public int Height { get; }
    public int Width { get; }

    /// <summary>Width D of the embedding Features() returns.</summary>
    public abstract int EmbeddingWidth { get; }

    /// <summary>(N, 1, H, W) or (N, H·W) → (N, D).</summary>
    public Tensor Features(Tensor x) => Embed(AsImages(x));

    /// <summary>The backbone proper, on (N, 1, H, W).</summary>
    protected abstract Tensor Embed(Tensor images);

    /// <summary>Call once from the derived constructor: dropout with probability <paramref name="dropout"/>, then a linear classifier.</summary>
    protected void SetHead(int classes, float dropout, Rng rng) =>
        _head = RegisterModule("head", dropout > 0
            ? new Sequential(new Dropout(dropout, rng), new Linear(EmbeddingWidth, classes, rng))
            : new Sequential(new Linear(EmbeddingWidth, classes, rng)));

    public override Tensor Forward(Tensor x) =>
        (_head ?? throw new InvalidOperationException($"{GetType().Name}: no head set")).Forward(Features(x));

    private Tensor AsImages(Tensor x)
    {
        if (x.Rank == 2 && x.Shape[1] == Height * Width) return x.Reshape(x.Shape[0], 1, Height, Width);
        if (x.Rank == 4 && x.Shape[1] == 1 && x.Shape[2] == Height && x.Shape[3] == Width) return x;
        throw new ArgumentException($"{GetType().Name}: input of shape {x.Shape}, expected (N, 1, {Height}, {Width}) or (N, {Height * Width})");
    }
}
