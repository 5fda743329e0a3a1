// How a benchmark class tells the Throughput column how much work one invocation does.
// The column divides that by the measured mean time: GFLOP/s for compute-bound ops, GB/s for
// memory-bound ones (llm.c napkin math next to every time).

using BenchmarkDotNet.Running;

namespace FusionScratch.Bench.Support;

/// <summary>Implemented by a benchmark class to report throughput next to its time.</summary>
public interface IWork
{
    /// <summary>Unit of <see cref="Work"/> per second, e.g. "GFLOP/s" or "GB/s".</summary>
    string Unit { get; }

    /// <summary>Work per invocation of the benchmark case, in the numerator of <see cref="Unit"/>: 1e9 flops or bytes for "GFLOP/s" and "GB/s", items for "images/s".</summary>
    double Work(BenchmarkCase benchmarkCase);
}
