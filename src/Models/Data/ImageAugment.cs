// ImageAugment — in-place augmentation of a batch of single-channel images stored row after row
// (each row starts with the H·W pixels; anything after them in the row is left alone, so a fused
// row [pixels | metadata] can be augmented too). Used through TrainOptions.AugmentLabeled.
//
//   shift  translate by (dy, dx) drawn uniformly in [−MaxShift, MaxShift]², filling with 0
//          (the background of Fashion-MNIST and MNIST): a random crop of the zero-padded image
//   flip   mirror left–right with probability ½, only for classes whose mirror image is still a
//          plausible member (a T-shirt mirrored is a T-shirt; a Fashion-MNIST shoe always points
//          left, so a mirrored shoe is an image the test set never shows)

using FusionScratch.Tensors;

namespace FusionScratch.Models.Data;

/// <summary>Random shifts and class-aware horizontal flips of a batch; see the file header.</summary>
public sealed class ImageAugment(int height, int width, int rowWidth, int maxShift, bool[]? flippable)
{
    public int Height { get; } = height;
    public int Width { get; } = width;
    public int RowWidth { get; } = rowWidth >= height * width ? rowWidth
        : throw new ArgumentException($"augment: rows of {rowWidth} values cannot hold {height}×{width} images");
    public int MaxShift { get; } = maxShift >= 0 ? maxShift : throw new ArgumentException($"augment: max shift must be ≥ 0, got {maxShift}");

    /// <summary>Per class: may it be flipped left–right (null: no class is).</summary>
    public bool[]? Flippable { get; } = flippable;

    /// <summary>Fashion-MNIST classes whose mirror image is plausible: all but Sandal (5), Sneaker (7) and Ankle boot (9).</summary>
    public static bool[] FashionMnistFlippable => [true, true, true, true, true, false, true, false, true, false];

    /// <summary>Augments each of the batch's rows in place with <paramref name="rng"/>.</summary>
    public void Apply(Span<float> batch, int[] labels, Rng rng)
    {
        int H = Height, W = Width;
        Span<float> tmp = stackalloc float[H * W];
        for (int i = 0; i < labels.Length; i++)
        {
            var img = batch.Slice(i * RowWidth, H * W);
            bool flip = Flippable is not null && (uint)labels[i] < (uint)Flippable.Length && Flippable[labels[i]] && rng.NextFloat() < 0.5f;
            int dy = MaxShift == 0 ? 0 : rng.NextInt(2 * MaxShift + 1) - MaxShift;
            int dx = MaxShift == 0 ? 0 : rng.NextInt(2 * MaxShift + 1) - MaxShift;
            if (!flip && dy == 0 && dx == 0) continue;
            img.CopyTo(tmp);
            // out[y, x] = in[y − dy, x' − dx] with x' the (possibly mirrored) column; 0 outside
            for (int y = 0; y < H; y++)
            {
                int sy = y - dy;
                for (int x = 0; x < W; x++)
                {
                    int sx = x - dx;
                    if (flip) sx = W - 1 - sx;
                    img[y * W + x] = (uint)sy < (uint)H && (uint)sx < (uint)W ? tmp[sy * W + sx] : 0f;
                }
            }
        }
    }
}
