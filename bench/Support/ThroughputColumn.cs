// Throughput column: work per invocation (from IWork) divided by the measured mean time, printed
// next to the time as "12.3 GB/s" or "45.6 GFLOP/s" (llm.c's napkin math in the table itself).
// Benchmark classes that do not implement IWork show "-".

using System.Collections.Concurrent;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FusionScratch.Bench.Support;

/// <summary>A BenchmarkDotNet column: <see cref="IWork.Work"/> ÷ mean time, in the class's <see cref="IWork.Unit"/>.</summary>
public sealed class ThroughputColumn : IColumn
{
    // One instance per benchmark class, only to ask it Work(case): the measured instance lives in
    // the benchmark process, not in the host process that builds the summary table.
    private readonly ConcurrentDictionary<Type, IWork?> _instances = new();

    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "Throughput";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Work per invocation (bytes read + written, or flops) divided by the mean time";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var work = _instances.GetOrAdd(benchmarkCase.Descriptor.Type,
            t => typeof(IWork).IsAssignableFrom(t) ? (IWork?)Activator.CreateInstance(t) : null);
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (work is null || meanNs is not > 0) return "-";
        double perSecond = work.Work(benchmarkCase) / (meanNs.Value * 1e-9);
        return $"{perSecond:F1} {work.Unit}";
    }

    public override string ToString() => ColumnName;
}
