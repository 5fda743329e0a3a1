// ReferenceCnn — the fixed small CNN that the `train` benchmark times against PyTorch (same
// layers, same batch, same optimizer in bench/peers/peers.py):
//
//   input (N, 1, 28, 28)
//   conv 3×3, 1 → 32, ReLU        → (N, 32, 26, 26)
//   conv 3×3, 32 → 64, ReLU       → (N, 64, 24, 24)
//   max pool 2×2                  → (N, 64, 12, 12)
//   flatten                       → (N, 9216)
//   linear 9216 → 128, ReLU
//   linear 128 → 10               → logits
//
// It is the classic PyTorch MNIST example without dropout, so both sides do identical work.

using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Backbone;

/// <summary>The benchmark's reference CNN for 28×28×1 images and 10 classes.</summary>
public static class ReferenceCnn
{
    public static Sequential Build(Rng rng) => new(
        new Conv2d(1, 32, 3, rng), new ReLU(),
        new Conv2d(32, 64, 3, rng), new ReLU(),
        new MaxPool2d(2),
        new Flatten(),
        new Linear(9216, 128, rng), new ReLU(),
        new Linear(128, 10, rng));
}
