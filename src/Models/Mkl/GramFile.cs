// GramFile — a precomputed Gram matrix or a label vector on disk, so that another program (the
// scikit-learn peer of `fusion bench svm`, bench/peers/svm.py) trains on exactly our matrices.
//
// Format (little-endian, no padding):
//     bytes 0–3    magic "FSGM"
//     bytes 4–7    int32 element type: 1 = float32, 2 = int32
//     bytes 8–11   int32 rows
//     bytes 12–15  int32 cols
//     bytes 16…    rows·cols elements, row-major
// A Gram is float32 (rows × cols, as Gram stores it); a label vector is int32 with cols = 1.
// NumPy reads either with np.fromfile(path, dtype, offset=16).reshape(rows, cols).

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace FusionScratch.Models.Mkl;

public static class GramFile
{
    public const int HeaderBytes = 16;
    private static ReadOnlySpan<byte> Magic => "FSGM"u8;
    private const int Float32 = 1, Int32 = 2;

    public static void WriteGram(string path, Gram g) => Write(path, Float32, g.Rows, g.Cols, MemoryMarshal.AsBytes(g.Data.AsSpan()));

    public static void WriteLabels(string path, ReadOnlySpan<int> labels) => Write(path, Int32, labels.Length, 1, MemoryMarshal.AsBytes(labels));

    public static Gram ReadGram(string path)
    {
        using var s = File.OpenRead(path);
        var (rows, cols) = ReadHeader(s, Float32, path);
        var g = new Gram(rows, cols);
        ReadBody(s, MemoryMarshal.AsBytes(g.Data.AsSpan()), path);
        return g;
    }

    public static int[] ReadLabels(string path)
    {
        using var s = File.OpenRead(path);
        var (rows, cols) = ReadHeader(s, Int32, path);
        if (cols != 1) throw new InvalidDataException($"{path}: a label file has 1 column, this one {cols}");
        var labels = new int[rows];
        ReadBody(s, MemoryMarshal.AsBytes(labels.AsSpan()), path);
        return labels;
    }

    private static void Write(string path, int type, int rows, int cols, ReadOnlySpan<byte> body)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("gram file: written little-endian only");
        Span<byte> header = stackalloc byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], type);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], rows);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], cols);
        // Written to a temporary name and renamed, so a reader never sees half a file.
        string tmp = path + ".tmp";
        using (var s = File.Create(tmp))
        {
            s.Write(header);
            s.Write(body);
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static (int Rows, int Cols) ReadHeader(Stream s, int expectedType, string path)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("gram file: read little-endian only");
        Span<byte> header = stackalloc byte[HeaderBytes];
        s.ReadExactly(header);
        if (!header[..4].SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a Gram file (magic '{Encoding.ASCII.GetString(header[..4])}')");
        int type = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        int rows = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        int cols = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        if (type != expectedType) throw new InvalidDataException($"{path}: element type {type}, expected {expectedType}");
        if (rows < 0 || cols < 0) throw new InvalidDataException($"{path}: shape {rows}×{cols}");
        long expected = HeaderBytes + 4L * rows * cols;
        if (s.Length != expected) throw new InvalidDataException($"{path}: {s.Length} bytes, {rows}×{cols} needs {expected}");
        return (rows, cols);
    }

    private static void ReadBody(Stream s, Span<byte> body, string path)
    {
        try { s.ReadExactly(body); }
        catch (EndOfStreamException) { throw new InvalidDataException($"{path}: truncated"); }
    }
}
