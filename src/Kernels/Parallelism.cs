// Parallelism — the one place that owns threading in FusionScratch.
//
// Every multi-threaded kernel asks this class how many threads it may use and splits its work
// through For(). The runner sets Threads from `--threads` (default: all cores); tests and
// benchmarks set it the same way. Nothing else in the engine creates threads or Tasks.
//
// Work is split into contiguous chunks (never interleaved) so that each thread streams through
// its own cache lines, and small jobs run inline on the calling thread: for a few thousand floats
// the cost of waking a worker (a few microseconds) exceeds the work itself.

namespace FusionScratch.Kernels;

/// <summary>Body of a parallel loop over the half-open item range [start, end).</summary>
public delegate void RangeBody(int start, int end);

/// <summary>Owns the engine's thread count and its parallel loop.</summary>
public static class Parallelism
{
    private static int _threads = Environment.ProcessorCount;
    private static ParallelOptions _options = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// <summary>Threads a kernel may use (≥ 1). Default: every logical core.</summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), value, "thread count must be at least 1");
            _threads = value;
            _options = new ParallelOptions { MaxDegreeOfParallelism = value };
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> over [0, n) split into at most <see cref="Threads"/> contiguous
    /// chunks of at least <paramref name="minChunk"/> items. With one chunk it runs inline.
    /// </summary>
    public static void For(int n, int minChunk, RangeBody body)
    {
        if (n <= 0) return;
        int chunks = Math.Min(_threads, Math.Max(1, n / Math.Max(1, minChunk)));
        if (chunks <= 1)
        {
            body(0, n);
            return;
        }
        // Chunk boundaries: chunk c covers [c*n/chunks, (c+1)*n/chunks), sizes differ by at most one.
        Parallel.For(0, chunks, _options, c =>
        {
            int start = (int)((long)c * n / chunks);
            int end = (int)((long)(c + 1) * n / chunks);
            body(start, end);
        });
    }
}
