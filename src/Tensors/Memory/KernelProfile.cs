// KernelProfile — where a step's time goes, op by op: FUSION_PROFILE=1 times every kernel call
// that goes through Tensor.Kernel (eager steps and captured replays alike) and `fusion` prints the
// table when it exits. A kernel call is named after the op method whose static lambda it is
// (the C# compiler names the lambda "<Conv2d>b__12_1"), so "Conv2d #1" and "Conv2d #2" are two
// kernel calls of the same op (e.g. forward and the input gradient). Off by default: then the only
// cost is one static bool test per kernel call.
//
//   FUSION_PROFILE=1 dotnet run -c Release --project src/Runner -- run products --quick

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace FusionScratch.Tensors;

/// <summary>Per-op kernel timing, switched on by FUSION_PROFILE=1 (or <see cref="Enabled"/>).</summary>
public static partial class KernelProfile
{
    private sealed class Entry
    {
        public long Ticks;
        public long Calls;
    }

    private static readonly ConcurrentDictionary<MethodInfo, Entry> Entries = new();

    /// <summary>True when kernel calls are timed (default: the FUSION_PROFILE environment variable is 1).</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("FUSION_PROFILE") == "1";

    /// <summary>Adds one timed call of <paramref name="run"/>.</summary>
    internal static void Add(Delegate run, long elapsedTicks)
    {
        var entry = Entries.GetOrAdd(run.Method, static _ => new Entry());
        Interlocked.Add(ref entry.Ticks, elapsedTicks);
        Interlocked.Increment(ref entry.Calls);
    }

    /// <summary>Runs <paramref name="run"/>(<paramref name="state"/>), timed when profiling is on.</summary>
    internal static void Run<TState>(TState state, Action<TState> run)
    {
        if (!Enabled)
        {
            run(state);
            return;
        }
        long start = Stopwatch.GetTimestamp();
        run(state);
        Add(run, Stopwatch.GetTimestamp() - start);
    }

    /// <summary>The timed kernels so far, slowest first: op name, seconds, calls.</summary>
    public static IReadOnlyList<(string Kernel, double Seconds, long Calls)> Snapshot() =>
        Entries.Select(e => (NameOf(e.Key), e.Value.Ticks / (double)Stopwatch.Frequency, Volatile.Read(ref e.Value.Calls)))
            .GroupBy(e => e.Item1)
            .Select(g => (g.Key, g.Sum(e => e.Item2), g.Sum(e => e.Item3)))
            .OrderByDescending(e => e.Item2)
            .ToList();

    /// <summary>Forgets every timing.</summary>
    public static void Reset() => Entries.Clear();

    /// <summary>The table FUSION_PROFILE=1 prints: kernel, seconds, share, calls, mean time per call.</summary>
    public static string Report()
    {
        var rows = Snapshot();
        double total = rows.Sum(r => r.Seconds);
        var sb = new StringBuilder();
        sb.AppendLine($"kernel profile (FUSION_PROFILE=1): {total:0.000} s in {rows.Sum(r => r.Calls):N0} kernel calls");
        sb.AppendLine($"{"kernel",-34} {"seconds",9} {"share",7} {"calls",10} {"µs/call",9}");
        foreach (var (kernel, seconds, calls) in rows)
            sb.AppendLine($"{kernel,-34} {seconds,9:0.000} {seconds / Math.Max(total, 1e-12),7:P1} {calls,10:N0} {seconds * 1e6 / Math.Max(calls, 1),9:0.0}");
        return sb.ToString();
    }

    // "<Conv2d>b__12_1" → "Conv2d #1"; "<Backward>b__3_0" inside Tensor.Relu etc. keep the enclosing method's name.
    private static string NameOf(MethodInfo method)
    {
        var m = LambdaName().Match(method.Name);
        return m.Success ? $"{m.Groups[1].Value} #{m.Groups[2].Value}" : $"{method.DeclaringType?.Name}.{method.Name}";
    }

    [GeneratedRegex(@"^<([^>]+)>b__\d+_(\d+)$")]
    private static partial Regex LambdaName();
}
