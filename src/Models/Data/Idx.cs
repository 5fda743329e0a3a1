// Idx — reads and writes the IDX files MNIST and Fashion-MNIST are distributed in
// (train-images-idx3-ubyte, train-labels-idx1-ubyte, …), plain or gzip-compressed.
//
//   offset 0  magic: 0x00 0x00, element type 0x08 (unsigned byte), number of dimensions
//             → 0x00000803 for images (N, rows, cols), 0x00000801 for labels (N)
//   offset 4  each dimension as a big-endian int32
//   then      the N·rows·cols (or N) bytes, nothing after them
//
// Gzip is recognised by its first two bytes (1f 8b), not by the file name.

using System.Buffers.Binary;
using System.IO.Compression;

namespace FusionScratch.Models.Data;

/// <summary>Images read from an idx3-ubyte file: Count images of Rows×Cols bytes.</summary>
public sealed record IdxImages(int Count, int Rows, int Cols, byte[] Pixels);

public static class Idx
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>The standard file names of an MNIST-style folder; each may also end in .gz.</summary>
    public static readonly (string Images, string Labels)[] StandardPairs =
    [
        ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    ];

    public static IdxImages ReadImages(string path)
    {
        using var stream = OpenMaybeGzip(path);
        int[] dims = ReadHeader(stream, path, ImagesMagic);
        long size = (long)dims[0] * dims[1] * dims[2];
        if (size > Array.MaxLength) throw new DataException($"IDX file {path}: {dims[0]}×{dims[1]}×{dims[2]} images do not fit in one array");
        var pixels = ReadBody(stream, path, dims, size);
        return new IdxImages(dims[0], dims[1], dims[2], pixels);
    }

    public static byte[] ReadLabels(string path)
    {
        using var stream = OpenMaybeGzip(path);
        int[] dims = ReadHeader(stream, path, LabelsMagic);
        return ReadBody(stream, path, dims, dims[0]);
    }

    /// <summary>Writes count images of rows×cols bytes; gzip-compressed when the path ends in ".gz".</summary>
    public static void WriteImages(string path, ReadOnlySpan<byte> pixels, int count, int rows, int cols)
    {
        if ((long)count * rows * cols != pixels.Length)
            throw new ArgumentException($"{count} images of {rows}×{cols} need {(long)count * rows * cols} bytes, got {pixels.Length}");
        Write(path, ImagesMagic, [count, rows, cols], pixels);
    }

    /// <summary>Writes labels; gzip-compressed when the path ends in ".gz".</summary>
    public static void WriteLabels(string path, ReadOnlySpan<byte> labels) => Write(path, LabelsMagic, [labels.Length], labels);

    /// <summary>
    /// Reads an images file and its labels file into a dataset (labels must be below classNames.Count).
    /// </summary>
    public static ImageDataset ReadDataset(string imagesPath, string labelsPath, string name, IReadOnlyList<string> classNames, string? source = null)
    {
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        CheckPair(images, labels, imagesPath, labelsPath, classNames.Count);
        return new ImageDataset(name, images.Rows, images.Cols, classNames, images.Pixels, labels,
            source ?? $"{name}: {images.Count} images from IDX files {imagesPath} + {labelsPath}");
    }

    /// <summary>
    /// Reads a folder holding the standard pairs (train-*, t10k-*, each plain or .gz): train first,
    /// then t10k, with <see cref="ImageDataset.OfficialTrainCount"/> set to the train count when both
    /// are there. Null when the folder holds neither pair.
    /// </summary>
    public static ImageDataset? ReadFolder(string folder, string name, IReadOnlyList<string> classNames, string description)
    {
        var parts = new List<(IdxImages Images, byte[] Labels, string Role)>();
        foreach (var (imagesName, labelsName) in StandardPairs)
        {
            string? imagesPath = Find(folder, imagesName), labelsPath = Find(folder, labelsName);
            if (imagesPath is null && labelsPath is null) continue;
            if (imagesPath is null || labelsPath is null)
                throw new DataException($"IDX folder {folder}: found {Path.GetFileName(imagesPath ?? labelsPath)} but not its {(imagesPath is null ? imagesName : labelsName)}[.gz]");
            var images = ReadImages(imagesPath);
            var labels = ReadLabels(labelsPath);
            CheckPair(images, labels, imagesPath, labelsPath, classNames.Count);
            parts.Add((images, labels, imagesName.Split('-')[0]));
        }
        if (parts.Count == 0) return null;
        if (parts.Any(p => p.Images.Rows != parts[0].Images.Rows || p.Images.Cols != parts[0].Images.Cols))
            throw new DataException($"IDX folder {folder}: train and t10k images differ in size");

        byte[] pixels = Concat(parts.Select(p => p.Images.Pixels));
        byte[] labelsAll = Concat(parts.Select(p => p.Labels));
        int? officialTrain = parts.Count == 2 ? parts[0].Labels.Length : null;
        string counts = string.Join(" + ", parts.Select(p => $"{p.Role} {p.Labels.Length}"));
        string split = officialTrain is null ? "" : $"; the first {officialTrain} are the official training set";
        return new ImageDataset(name, parts[0].Images.Rows, parts[0].Images.Cols, classNames, pixels, labelsAll,
            $"{description}: {labelsAll.Length} images from IDX files in {folder} ({counts}){split}", officialTrain);
    }

    private static byte[] Concat(IEnumerable<byte[]> arrays)
    {
        var all = new byte[arrays.Sum(a => (long)a.Length)];
        int at = 0;
        foreach (var a in arrays) { a.CopyTo(all, at); at += a.Length; }
        return all;
    }

    /// <summary>The path of name or name.gz in folder, or null.</summary>
    internal static string? Find(string folder, string name)
    {
        foreach (string candidate in new[] { name, name + ".gz" })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private static void CheckPair(IdxImages images, byte[] labels, string imagesPath, string labelsPath, int classCount)
    {
        if (images.Count != labels.Length)
            throw new DataException($"IDX files {imagesPath} and {labelsPath} disagree: {images.Count} images, {labels.Length} labels");
        int bad = Array.FindIndex(labels, l => l >= classCount);
        if (bad >= 0) throw new DataException($"IDX file {labelsPath}: label {labels[bad]} at {bad} is outside the {classCount} classes");
    }

    private static Stream OpenMaybeGzip(string path)
    {
        FileStream file;
        try { file = File.OpenRead(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"IDX file {path}: cannot open ({e.Message})", e);
        }
        Span<byte> head = stackalloc byte[2];
        int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return n == 2 && head[0] == 0x1f && head[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private static int[] ReadHeader(Stream stream, string path, int expectedMagic)
    {
        Span<byte> word = stackalloc byte[4];
        if (!TryReadExactly(stream, word, path))
            throw new DataException($"IDX file {path}: too short for an IDX header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(word);
        if (magic != expectedMagic)
            throw new DataException($"IDX file {path}: bad magic 0x{magic:x8}, expected 0x{expectedMagic:x8} ({(expectedMagic == ImagesMagic ? "idx3-ubyte images" : "idx1-ubyte labels")})");
        var dims = new int[expectedMagic & 0xff];
        for (int d = 0; d < dims.Length; d++)
        {
            if (!TryReadExactly(stream, word, path))
                throw new DataException($"IDX file {path}: header ends before its {dims.Length} dimensions");
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(word);
            if (dims[d] < 0) throw new DataException($"IDX file {path}: negative dimension {dims[d]}");
        }
        return dims;
    }

    private static byte[] ReadBody(Stream stream, string path, int[] dims, long size)
    {
        var data = new byte[size];
        int got = ReadUpTo(stream, data, path);
        if (got < size)
            throw new DataException($"IDX file {path}: size mismatch: header says {string.Join("×", dims)} = {size} bytes of data, file has {got}");
        Span<byte> probe = stackalloc byte[1];
        if (ReadUpTo(stream, probe, path) != 0)
            throw new DataException($"IDX file {path}: size mismatch: more data than the header's {string.Join("×", dims)} = {size} bytes");
        return data;
    }

    private static bool TryReadExactly(Stream stream, Span<byte> buffer, string path) => ReadUpTo(stream, buffer, path) == buffer.Length;

    private static int ReadUpTo(Stream stream, Span<byte> buffer, string path)
    {
        try { return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false); }
        catch (InvalidDataException e) { throw new DataException($"IDX file {path}: damaged gzip data ({e.Message})", e); }
    }

    private static void Write(string path, int magic, int[] dims, ReadOnlySpan<byte> data)
    {
        using var file = File.Create(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Fastest) : file;
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, magic);
        stream.Write(word);
        foreach (int d in dims)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, d);
            stream.Write(word);
        }
        stream.Write(data);
    }
}
