// The configuration every FusionScratch benchmark class shares, via [Config(typeof(BenchConfig))]:
// a throughput column (GB/s or GFLOP/s from IWork), allocations per call (MemoryDiagnoser), and
// one logical group per [BenchmarkCategory], so each op's naive variant is the baseline of its
// own group and the Ratio column reads as that op's speed-up.

using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace FusionScratch.Bench.Support;

/// <summary>Shared benchmark config: throughput column, memory diagnoser, grouping by category.</summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddColumn(new ThroughputColumn());
        AddColumn(CategoriesColumn.Default);
        AddDiagnoser(MemoryDiagnoser.Default);
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory);
    }
}
