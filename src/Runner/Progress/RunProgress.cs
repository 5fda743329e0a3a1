// Progress for long work (epochs, data fetching, solver iterations), in two renderings:
//   - an interactive terminal gets Spectre.Console progress bars (label, bar, %, ETA, status);
//   - anything else (CI logs, pipes, files, the in-process test harness) gets plain lines,
//     "[customers] mlp fused  epoch 3/10  loss 0.412 acc 0.871  ETA 6 s", because Spectre prints
//     nothing for a live display whose output is redirected — silence would look like a hang.
// Experiments only see IRunProgress; the runner picks the rendering.

using System.Diagnostics;
using Spectre.Console;

namespace FusionScratch.Runner.Progress;

/// <summary>A bar for one long task; Update sets how far it is and a short status.</summary>
public interface IProgressBar : IDisposable
{
    void Update(double done, string status = "");
}

/// <summary>Where experiments report what they are doing.</summary>
public interface IRunProgress
{
    /// <summary>A line of information (data fetched, a model finished, a file written).</summary>
    void Log(string message);

    /// <summary>Starts a bar for a task of <paramref name="total"/> steps.</summary>
    IProgressBar Start(string label, double total);
}

/// <summary>Plain progress lines: one per update, throttled to one a second except the last.</summary>
public sealed class PlainProgress(TextWriter output, string prefix) : IRunProgress
{
    public void Log(string message) => output.WriteLine($"[{prefix}] {message}");

    public IProgressBar Start(string label, double total) => new Bar(this, label, total);

    private sealed class Bar(PlainProgress owner, string label, double total) : IProgressBar
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private double _lastPrint = double.NegativeInfinity;

        public void Update(double done, string status = "")
        {
            double now = _clock.Elapsed.TotalSeconds;
            bool last = done >= total;
            if (!last && now - _lastPrint < 1.0) return;
            _lastPrint = now;
            owner.Log($"{label}  {done:0.##}/{total:0.##}  {status}{Eta.Format(done, total, now)}");
        }

        public void Dispose() { }
    }
}

/// <summary>Spectre.Console live progress bars; valid only inside <see cref="Run"/>.</summary>
public sealed class SpectreProgress : IRunProgress
{
    private readonly ProgressContext _ctx;
    private readonly string _prefix;

    private SpectreProgress(ProgressContext ctx, string prefix) => (_ctx, _prefix) = (ctx, prefix);

    /// <summary>Runs <paramref name="body"/> with live bars on the console.</summary>
    public static T Run<T>(string prefix, Func<IRunProgress, T> body)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx => result = body(new SpectreProgress(ctx, prefix)));
        return result;
    }

    public void Log(string message) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(_prefix)}[/] {Markup.Escape(message)}");

    public IProgressBar Start(string label, double total) => new Bar(_ctx.AddTask(Markup.Escape(label), maxValue: total), label);

    private sealed class Bar(ProgressTask task, string label) : IProgressBar
    {
        public void Update(double done, string status = "")
        {
            task.Value = done;
            task.Description = Markup.Escape(string.IsNullOrEmpty(status) ? label : $"{label}  {status}");
        }

        public void Dispose() => task.StopTask();
    }
}

/// <summary>The console the runner talks to: interactive (live bars) or not (plain lines).</summary>
public static class ConsoleKind
{
    /// <summary>True when stdout is a terminal that can redraw (not redirected, not CI).</summary>
    public static bool Interactive =>
        !Console.IsOutputRedirected
        && AnsiConsole.Profile.Capabilities.Interactive
        && Environment.GetEnvironmentVariable("CI") is null;
}

internal static class Eta
{
    public static string Format(double done, double total, double elapsedSeconds)
    {
        if (done <= 0 || done >= total) return done >= total ? $"  done in {Seconds(elapsedSeconds)}" : "";
        return $"  ETA {Seconds(elapsedSeconds * (total - done) / done)}";
    }

    private static string Seconds(double s) => s < 90 ? $"{s:0} s" : $"{s / 60:0.0} min";
}
