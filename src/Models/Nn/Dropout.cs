// Dropout — PyTorch's nn.Dropout: in training mode each element is zeroed with probability P and
// the survivors are scaled by 1/(1 − P) ("inverted" dropout), so the expected activation is the
// same in training and evaluation and Eval() is the identity.
//
// The op (Tensor.Dropout) is x ⊙ mask with a mask that does not require grad, so the Mul rule
// gives the backward exactly: dx = dy ⊙ mask (the same zeros, the same scale). The mask is drawn
// from an Rng the module owns (seeded at construction), so a model's dropout pattern is fixed by
// its seed, and by a kernel call, so a captured training step draws a new mask on each replay.

using FusionScratch.Tensors;

namespace FusionScratch.Models.Nn;

/// <summary>Zeroes elements with probability <see cref="P"/> in training mode, scales the rest by 1/(1 − P).</summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    private readonly Rng _rng;

    public float P { get; }

    public Dropout(float p, Rng rng)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentException($"dropout: probability must be in [0, 1), got {p}");
        P = p;
        _rng = new Rng(rng.NextUInt() | ((ulong)rng.NextUInt() << 32));
    }

    public override Tensor Forward(Tensor x)
    {
        if (!Training || P == 0f) return x;
        return Tensor.Dropout(x, P, _rng);
    }

    public override string ToString() => $"Dropout({P})";
}
