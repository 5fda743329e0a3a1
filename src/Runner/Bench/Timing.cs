// Timing for the `bench` and `kernel` verbs: warm up first (the JIT tiers methods up after ~30
// calls, and cold numbers come out 3–4× too slow), then repeat until a time budget is spent and
// report the best and the median repetition. Best-of is the usual figure for kernels (noise only
// ever adds time); the median shows how steady the machine was.

using System.Diagnostics;

namespace FusionScratch.Runner.Bench;

public readonly record struct TimingResult(double BestSeconds, double MedianSeconds, int Repeats, long AllocatedBytesPerCall);

public static class Timing
{
    /// <summary>
    /// Runs <paramref name="work"/> until warm (at least <paramref name="minWarmups"/> calls and 20 % of
    /// the budget), then for about <paramref name="budgetSeconds"/> and at least <paramref name="minRepeats"/> calls.
    /// </summary>
    public static TimingResult Measure(Action work, double budgetSeconds = 1.0, int minRepeats = 5, int maxRepeats = 1000, int minWarmups = 3)
    {
        // Warm-up: at least minWarmups calls (at least one) and 20 % of the budget.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < minWarmups || warm.Elapsed.TotalSeconds < budgetSeconds * 0.2; i++)
        {
            work();
            if (i > 200) break;
        }
        var times = new List<double>(Math.Min(maxRepeats, 1024));
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var total = Stopwatch.StartNew();
        while (times.Count < minRepeats || (total.Elapsed.TotalSeconds < budgetSeconds && times.Count < maxRepeats))
        {
            long t0 = Stopwatch.GetTimestamp();
            work();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        // Managed bytes allocated per call on every thread (the times list is preallocated).
        allocated = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / times.Count;
        times.Sort();
        return new TimingResult(times[0], times[times.Count / 2], times.Count, allocated);
    }
}
