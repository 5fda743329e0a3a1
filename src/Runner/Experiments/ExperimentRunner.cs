// Runs one experiment end to end, and `run all` over every one:
//   1. make the output folder and prove it is writable (before any work is done);
//   2. without --resume, drop old checkpoints so training starts fresh;
//   3. run the study with live bars (terminal) or plain progress lines (CI, pipes);
//   4. write results.json and report.md (header, data section, the study's body), each
//      atomically: a run that fails at step 3 leaves the previous results.json and report whole.

using System.Diagnostics;
using System.Globalization;
using System.Text;
using FusionScratch.Kernels;
using FusionScratch.Models.IO;
using FusionScratch.Runner.Progress;
using FusionScratch.Runner.Reports;

namespace FusionScratch.Runner.Experiments;

/// <summary>The outcome of one study, for the console summary and the `run all` index.</summary>
public sealed record ExperimentOutcome(string Name, string Title, string OutDir, double Seconds, MarkdownTable? Headline, string? Summary, int Runs);

public static class ExperimentRunner
{
    public static ExperimentOutcome Run(IExperiment experiment, RunOptions options, string outDir, CancellationToken cancel = default)
    {
        PrepareOutput(outDir);
        string checkpoints = Path.Combine(outDir, "checkpoints");
        if (!options.Resume && Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        Parallelism.Threads = options.Threads;

        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        RunContext Body(IRunProgress progress)
        {
            var ctx = new RunContext(experiment, options, outDir, progress, cancel);
            if (options.Device == "gpu" && Kernels.Gpu.Accelerators.FallbackWarning is { } warning)
                progress.Log(warning); // one line: no CUDA, the networks train on ILGPU's CPU accelerator
            progress.Log($"{experiment.Title}: seed {options.Seed}, {options.Threads} thread(s){(options.Quick ? ", quick" : "")}, output {outDir}");
            experiment.Run(ctx);
            return ctx;
        }
        var ctx = ConsoleKind.Interactive
            ? SpectreProgress.Run(experiment.Name, Body)
            : Body(new PlainProgress(Console.Out, experiment.Name));
        double seconds = clock.Elapsed.TotalSeconds;

        var results = new ResultsDocument
        {
            Experiment = experiment.Name,
            Title = experiment.Title,
            Seed = options.Seed,
            Threads = options.Threads,
            Device = ctx.Device,
            Quick = options.Quick,
            Command = options.Command,
            StartedUtc = started.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            Seconds = Math.Round(seconds, 3),
            Resumed = options.Resume,
            Data = ctx.Data,
            Runs = ctx.Runs,
            Notes = ctx.Notes,
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "results.json"), results.ToJson());
        AtomicFile.WriteAllText(Path.Combine(outDir, "report.md"), ComposeReport(experiment, options, ctx, results));
        Console.Out.WriteLine($"[{experiment.Name}] wrote {Path.Combine(outDir, "report.md")} and results.json ({ctx.Runs.Count} models, {seconds:0.0} s)");
        return new ExperimentOutcome(experiment.Name, experiment.Title, outDir, seconds, ctx.Report.Headline, ctx.Report.Summary, ctx.Runs.Count);
    }

    /// <summary>Creates the folder and writes a probe file, so an unwritable folder fails before any work.</summary>
    public static void PrepareOutput(string outDir)
    {
        try
        {
            if (File.Exists(outDir)) throw new IOException("it is a file, not a folder");
            Directory.CreateDirectory(outDir);
            string probe = Path.Combine(outDir, $".write-probe-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunException($"cannot write to the output folder {outDir}: {e.Message}");
        }
    }

    private static string ComposeReport(IExperiment experiment, RunOptions options, RunContext ctx, ResultsDocument results)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# {experiment.Title}").AppendLine();
        sb.AppendLine($"Reproduce with `{options.Command}` (seed {options.Seed}, {options.Threads} thread(s), device {ctx.Device}" +
                      $"{(options.Quick ? ", **quick** variant: smaller data and fewer epochs" : "")}). " +
                      $"Run took {results.Seconds:0.0} s; machine-readable numbers are in `results.json`.").AppendLine();
        var data = ctx.Data;
        sb.AppendLine("## Data").AppendLine();
        if (data.Summary.Length > 0) sb.AppendLine(data.Summary).AppendLine();
        foreach (var real in data.Real) sb.AppendLine($"- **real:** {real}");
        foreach (var generated in data.Generated) sb.AppendLine($"- **generated:** {generated}");
        if (data.Split.Length > 0) sb.AppendLine($"- **split:** {data.Split}");
        if (data.Sizes.Count > 0)
            sb.AppendLine($"- **sizes:** {string.Join(", ", data.Sizes.Select(kv => $"{kv.Key} {kv.Value:N0}"))}");
        sb.AppendLine();
        sb.Append(ctx.Report);
        if (ctx.Notes.Count > 0)
        {
            sb.AppendLine().AppendLine("## Notes").AppendLine();
            foreach (var note in ctx.Notes) sb.AppendLine($"- {note}");
        }
        return sb.ToString();
    }

    /// <summary>
    /// `run all`: every implemented study into &lt;baseDir&gt;/&lt;name&gt;, then the index
    /// &lt;baseDir&gt;/report.md with each study's headline table. A failing study is reported in the
    /// index and the exit code, and the others still run.
    /// </summary>
    public static int RunAll(RunOptions options, string baseDir, Func<Exception, string> describe, Func<string, string> commandFor,
        CancellationToken cancel = default) =>
        RunAll(options, baseDir, describe, commandFor, ExperimentRegistry.Listing(), cancel);

    /// <summary>`run all` over the given listing (tests pass a small one).</summary>
    internal static int RunAll(RunOptions options, string baseDir, Func<Exception, string> describe, Func<string, string> commandFor,
        IEnumerable<(string Name, string Title, string? Pending)> studies, CancellationToken cancel = default)
    {
        PrepareOutput(baseDir);
        var outcomes = new List<(string Name, string Title, ExperimentOutcome? Outcome, string? Problem)>();
        foreach (var (name, title, pending) in studies)
        {
            if (pending is not null)
            {
                outcomes.Add((name, title, null, $"not implemented yet: arrives with {pending}"));
                continue;
            }
            try
            {
                var outcome = Run(ExperimentRegistry.Find(name)!, options with { Command = commandFor(name) }, Path.Combine(baseDir, name), cancel);
                outcomes.Add((name, title, outcome, null));
            }
            catch (OperationCanceledException) { throw; }
            catch (Exception e)
            {
                string message = describe(e);
                Console.Error.WriteLine($"fusion run all: {name} failed: {message}");
                outcomes.Add((name, title, null, $"**failed**: {message}"));
            }
        }

        var sb = new StringBuilder();
        sb.AppendLine("# FusionScratch studies").AppendLine();
        sb.AppendLine($"Produced by `{options.Command}` (seed {options.Seed}, {options.Threads} thread(s){(options.Quick ? ", quick variants" : "")}); " +
                      "each study's report says which data is real and which is generated, the split and the seed.").AppendLine();
        foreach (var (name, title, outcome, problem) in outcomes)
        {
            sb.AppendLine($"## {name} — {title}").AppendLine();
            if (outcome is null)
            {
                sb.AppendLine(problem).AppendLine();
                continue;
            }
            sb.AppendLine($"[report]({name}/report.md) · [results.json]({name}/results.json) · {outcome.Runs} models · {outcome.Seconds:0.0} s").AppendLine();
            if (outcome.Summary is { Length: > 0 } summary) sb.AppendLine(summary).AppendLine();
            if (outcome.Headline is not null) sb.Append(outcome.Headline).AppendLine();
        }
        AtomicFile.WriteAllText(Path.Combine(baseDir, "report.md"), sb.ToString());
        Console.Out.WriteLine($"[all] wrote {Path.Combine(baseDir, "report.md")}");
        return outcomes.Any(o => o.Problem?.StartsWith("**failed**") == true) ? 1 : 0;
    }
}
