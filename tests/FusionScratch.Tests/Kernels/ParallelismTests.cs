// Parallelism.For on its persistent worker pool: every item exactly once in contiguous chunks,
// nested and concurrent calls (inline, no deadlock), exceptions rethrown on the caller, more than
// one thread really used, and no allocation per call once the workers exist; the overload with
// explicit loop state likewise, including loops nested with the same state type.

using System.Collections.Concurrent;
using FusionScratch.Kernels;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class ParallelismTests
{
    [Theory]
    [InlineData(1, 1, 2, 0)]
    [InlineData(7, 1, 2, 0)]
    [InlineData(1000, 10, 2, 0)]
    [InlineData(1000, 10, 3, 0)]
    [InlineData(1000, 1, 2, 16)]   // more chunks than threads
    [InlineData(5, 100, 2, 0)]     // smaller than one chunk: inline
    public void For_CoversEveryItemOnce_InContiguousChunks(int n, int minChunk, int threads, int maxChunks)
    {
        var hits = new int[n];
        var chunks = new ConcurrentBag<(int Start, int End)>();
        Parallelism.For(n, minChunk, (start, end) =>
        {
            chunks.Add((start, end));
            for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
        }, threads, maxChunks);
        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.All(chunks, c => Assert.True(c.End - c.Start >= Math.Min(n, minChunk), $"chunk [{c.Start}, {c.End}) below minChunk {minChunk}"));
    }

    [Theory]
    [InlineData(1000, 10, 2)]
    [InlineData(7, 1, 2)]
    [InlineData(5, 100, 2)]
    public void ForWithState_CoversEveryItemOnce_AndHandsTheStateToEveryChunk(int n, int minChunk, int threads)
    {
        var hits = new int[n];
        Parallelism.For(n, minChunk, (Hits: hits, Step: 3), static (st, start, end) =>
        {
            for (int i = start; i < end; i++) Interlocked.Add(ref st.Hits[i], st.Step);
        }, threads);
        Assert.All(hits, h => Assert.Equal(3, h));
    }

    [Fact]
    public void ForWithState_NestedWithTheSameStateType_KeepsEachLoopsState()
    {
        // The inner loops run inline (inside a chunk) and must not disturb the outer loop's state,
        // which lives in a static slot per state type while its loop owns the pool.
        var hits = new int[32 * 32];
        Parallelism.For(32, 1, (Hits: hits, Row: -1), static (outer, i0, i1) =>
        {
            for (int i = i0; i < i1; i++)
                Parallelism.For(32, 1, (outer.Hits, Row: i), static (inner, j0, j1) =>
                {
                    for (int j = j0; j < j1; j++) Interlocked.Increment(ref inner.Hits[inner.Row * 32 + j]);
                }, 2);
        }, 2);
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void For_NestedInsideAChunk_RunsInlineWithoutDeadlock()
    {
        var hits = new int[64 * 64];
        Parallelism.For(64, 1, (i0, i1) =>
        {
            for (int i = i0; i < i1; i++)
            {
                int row = i;
                Parallelism.For(64, 1, (j0, j1) =>
                {
                    for (int j = j0; j < j1; j++) Interlocked.Increment(ref hits[row * 64 + j]);
                }, 2);
            }
        }, 2);
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void For_CalledFromSeveralThreadsAtOnce_EachCompletes()
    {
        const int callers = 4, n = 10_000;
        var sums = new long[callers];
        var threads = Enumerable.Range(0, callers).Select(t => new Thread(() =>
        {
            for (int rep = 0; rep < 50; rep++)
                Parallelism.For(n, 100, (start, end) =>
                {
                    long s = 0;
                    for (int i = start; i < end; i++) s += i;
                    Interlocked.Add(ref sums[t], s);
                }, 2);
        })).ToArray();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) Assert.True(th.Join(TimeSpan.FromSeconds(30)), "a concurrent For did not finish");
        Assert.All(sums, s => Assert.Equal(50L * n * (n - 1) / 2, s));
    }

    [Fact]
    public void For_ExceptionInAChunk_IsRethrownOnTheCaller_AndThePoolStillWorks()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            Parallelism.For(100, 1, (start, end) =>
            {
                // Whichever chunk holds item 50 fails: the pool may run the range as one inline
                // chunk when another test is using it at the same moment.
                if (start <= 50 && 50 < end) throw new InvalidOperationException("chunk failed");
            }, 2));
        Assert.Equal("chunk failed", ex.Message);
        int count = 0;
        Parallelism.For(100, 1, (start, end) => Interlocked.Add(ref count, end - start), 2);
        Assert.Equal(100, count);
    }
}

[Collection(nameof(SerialTests))]
public class ParallelismSerialTests
{
    [Fact]
    public void For_RunsChunksOnTwoThreads_WhenAllowedTwo()
    {
        // Each chunk waits (up to 10 s) until two different threads are inside a chunk at once.
        var inside = new ConcurrentDictionary<int, bool>();
        Parallelism.For(2, 1, (start, end) =>
        {
            inside[Environment.CurrentManagedThreadId] = true;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (inside.Count < 2 && DateTime.UtcNow < deadline) Thread.SpinWait(100);
        }, 2);
        Assert.Equal(2, inside.Count);
    }

    private static long _sink;
    private static readonly RangeBody Sum = static (start, end) =>
    {
        long s = 0;
        for (int i = start; i < end; i++) s += i;
        Interlocked.Add(ref _sink, s);
    };

    [Fact]
    public void For_AllocatesNothingPerCall_OnceTheWorkersExist()
    {
        for (int i = 0; i < 10; i++) Parallelism.For(1 << 16, 1, Sum, 2, 8); // start the workers
        // Process-wide count, and the test runner allocates now and then on its own threads: one
        // clean window of 100 calls proves the calls do not allocate (if they did, every window would).
        long allocated = long.MaxValue;
        for (int window = 0; window < 20 && allocated != 0; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < 100; i++) Parallelism.For(1 << 16, 1, Sum, 2, 8);
            allocated = Math.Min(allocated, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        Assert.True(allocated == 0, $"every window of 100 warm calls allocated (at least {allocated} bytes, process-wide)");
    }

    [Fact]
    public void ForWithState_AndAStaticLambda_AllocatesNothingPerCall()
    {
        var data = new long[1 << 16];
        static void Run(long[] data, long add) =>
            Parallelism.For(data.Length, 1, (Data: data, Add: add), static (st, start, end) =>
            {
                for (int i = start; i < end; i++) st.Data[i] += st.Add;
            }, 2, 8);
        for (int i = 0; i < 10; i++) Run(data, i); // start the workers
        long allocated = long.MaxValue;
        for (int window = 0; window < 20 && allocated != 0; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < 100; i++) Run(data, i);
            allocated = Math.Min(allocated, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        Assert.True(allocated == 0, $"every window of 100 warm calls allocated (at least {allocated} bytes, process-wide)");
    }
}
