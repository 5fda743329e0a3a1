// DatasetCache — one compact binary file per dataset, so a dataset converted once loads in tens
// of milliseconds instead of parsing 150 MB of JSON again.
//
//   offset   size         content (integers little-endian)
//   0        4            magic "FSDS" (FusionScratch dataset)
//   4        4            format version (1)
//   8        4 × 5        count N, rows H, cols W, class count C, metadata length M
//   28       4            reserved (0)
//   32       M            metadata, UTF-8, one item per line: name, source, then the C class names
//   32+M     N·H·W        pixels, image after image, row-major
//            N            labels
//            8            checksum of every byte before it (Checksum64, below)
//
// A file whose length disagrees with its header (truncated, or something appended) or whose
// checksum does not match is reported as corrupted; the loader then deletes it and fetches again.
// Files are written to a temporary name beside the target and renamed over it, so a crash leaves
// either the old file or the new one, never half of one.
//
// Why not SHA-256: in a fresh process the first SHA-256 call loads OpenSSL, which cost about
// 150 ms here on top of 40 ms of hashing 55 MB; the checksum below takes about 10 ms and needs
// nothing loaded. It guards against damage (truncation, flipped bits), not against tampering:
// the npm tarball, which is what comes from outside, is checked with the pinned SHA-512.

using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

using FusionScratch.Models.IO;

namespace FusionScratch.Models.Data;

public static class DatasetCache
{
    public const string Extension = ".fsds";
    public const int Version = 1;
    private const int HeaderSize = 32, ChecksumSize = 8;
    private static ReadOnlySpan<byte> Magic => "FSDS"u8;

    /// <summary>Writes the dataset to path atomically (temporary file, then rename).</summary>
    public static void Write(string path, ImageDataset data)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        string meta = string.Join('\n', [data.Name, data.Source, .. data.ClassNames]);
        if (new[] { data.Name, data.Source }.Concat(data.ClassNames).Any(s => s.Contains('\n')))
            throw new ArgumentException("dataset name, source and class names must be single lines");
        byte[] metaBytes = Encoding.UTF8.GetBytes(meta);

        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        int[] fields = [Version, data.Count, data.Height, data.Width, data.ClassNames.Count, metaBytes.Length];
        for (int f = 0; f < fields.Length; f++) BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4 + 4 * f), fields[f]);

        AtomicFile.Write(path, file =>
        {
            ulong checksum = 0;
            foreach (byte[] part in new[] { header, metaBytes, data.Pixels, data.Labels })
            {
                file.Write(part);
                checksum = Checksum64(part, checksum);
            }
            Span<byte> tail = stackalloc byte[ChecksumSize];
            BinaryPrimitives.WriteUInt64LittleEndian(tail, checksum);
            file.Write(tail);
        });
    }

    /// <summary>
    /// Reads a cache file, checking its length against the header and its checksum. Throws
    /// <see cref="DataException"/> naming the file when it is missing, truncated or corrupted.
    /// </summary>
    public static ImageDataset Read(string path)
    {
        FileStream file;
        try { file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"cache file {path} cannot be read ({e.Message})", e);
        }
        using (file)
        {
            var header = new byte[HeaderSize];
            if (file.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false) < HeaderSize || !header.AsSpan(0, 4).SequenceEqual(Magic))
                throw new DataException($"cache file {path} is corrupted (not a FusionScratch dataset file)");
            int Field(int f) => BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4 + 4 * f));
            int version = Field(0), count = Field(1), rows = Field(2), cols = Field(3), classes = Field(4), metaLength = Field(5);
            if (version != Version)
                throw new DataException($"cache file {path} has format version {version}, this build reads {Version}");
            if (count < 0 || rows < 1 || cols < 1 || classes is < 1 or > 256 || metaLength < 0)
                throw new DataException($"cache file {path} is corrupted (impossible header: {count} images {rows}×{cols}, {classes} classes)");

            long pixelBytes = (long)count * rows * cols;
            long expected = HeaderSize + metaLength + pixelBytes + count + ChecksumSize;
            if (file.Length != expected)
                throw new DataException($"cache file {path} is {(file.Length < expected ? "truncated" : "corrupted")} ({file.Length} bytes, header implies {expected})");
            if (pixelBytes > Array.MaxLength)
                throw new DataException($"cache file {path} is corrupted (impossible header: {count} images {rows}×{cols})");

            ulong checksum = Checksum64(header, 0);
            var metaBytes = ReadPart(file, ref checksum, metaLength);
            var pixels = ReadPart(file, ref checksum, (int)pixelBytes);
            var labels = ReadPart(file, ref checksum, count);
            Span<byte> stored = stackalloc byte[ChecksumSize];
            file.ReadExactly(stored);
            if (BinaryPrimitives.ReadUInt64LittleEndian(stored) != checksum)
                throw new DataException($"cache file {path} is corrupted (checksum mismatch)");

            string[] meta = Encoding.UTF8.GetString(metaBytes).Split('\n');
            if (meta.Length != 2 + classes)
                throw new DataException($"cache file {path} is corrupted (metadata has {meta.Length} lines, expected {2 + classes})");
            try
            {
                return new ImageDataset(meta[0], rows, cols, meta[2..], pixels, labels, meta[1]);
            }
            catch (ArgumentException e)
            {
                throw new DataException($"cache file {path} is corrupted ({e.Message})", e);
            }
        }
    }

    private static byte[] ReadPart(FileStream file, ref ulong checksum, int length)
    {
        var part = new byte[length];
        file.ReadExactly(part);
        checksum = Checksum64(part, checksum);
        return part;
    }

    /// <summary>
    /// A 64-bit checksum of data, chained through seed (pass the previous part's checksum).
    /// Four independent lanes each fold in one 8-byte little-endian word per 32-byte block with
    /// lane = rotl(lane + word·P2, 31)·P1; every step is a bijection of the lane for a fixed word
    /// and of the word for a fixed lane, so one changed word always changes its lane. The lanes are
    /// then summed, the tail folded in, the length mixed in, and the bits avalanched.
    /// </summary>
    internal static ulong Checksum64(ReadOnlySpan<byte> data, ulong seed)
    {
        const ulong P1 = 0x9E3779B97F4A7C15UL, P2 = 0xC2B2AE3D27D4EB4FUL; // odd, so multiplying is invertible
        static ulong Round(ulong lane, ulong word) => BitOperations.RotateLeft(lane + word * P2, 31) * P1;
        static ulong Word(ulong w) => BitConverter.IsLittleEndian ? w : BinaryPrimitives.ReverseEndianness(w);

        ulong a = seed + P1, b = seed ^ P2, c = seed - P1, d = ~seed;
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(data);
        int k = 0;
        for (; k + 4 <= words.Length; k += 4)
        {
            a = Round(a, Word(words[k]));
            b = Round(b, Word(words[k + 1]));
            c = Round(c, Word(words[k + 2]));
            d = Round(d, Word(words[k + 3]));
        }
        ulong h = BitOperations.RotateLeft(a, 1) + BitOperations.RotateLeft(b, 7) + BitOperations.RotateLeft(c, 12) + BitOperations.RotateLeft(d, 18);
        for (; k < words.Length; k++) h = Round(h, Word(words[k]));
        for (int i = words.Length * 8; i < data.Length; i++) h = Round(h, data[i]);
        h ^= (ulong)data.Length;
        // Final avalanche (the 64-bit finaliser of MurmurHash3).
        h ^= h >> 33; h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33; h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return h;
    }
}
