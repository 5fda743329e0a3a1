// Parallelism — the one place that owns threading in FusionScratch.
//
// Every multi-threaded kernel asks this class how many threads it may use and splits its work
// through For(). The runner sets Threads from `--threads` (default: all cores); tests and
// benchmarks set it the same way. Nothing else in the engine creates threads or Tasks.
//
// Work is split into contiguous chunks (never interleaved) so that each thread streams through
// its own cache lines, and small jobs run inline on the calling thread: for a few thousand floats
// the cost of waking a worker (a few microseconds) exceeds the work itself.
//
// The pool. For() does not use Parallel.For (which allocates a closure, a task and a state object
// per call, and wakes pool threads through the ThreadPool queue). Instead a fixed set of
// background workers, created the first time they are needed (Threads − 1 of them; the calling
// thread is the extra one), waits for work. A call to For:
//   1. publishes the job (body, n, chunk count) in static fields — no allocation;
//   2. bumps each needed worker's generation counter, and sets its event only if it is asleep;
//   3. runs chunk 0 itself on the calling thread;
//   4. waits until every worker has finished its chunk (spin, then block).
// A worker that finishes spins for about SpinMicroseconds waiting for the next job before it
// blocks on its event, so back-to-back calls (the loops of a GEMM, a training step) hand off in
// well under a microsecond, while an idle process does not burn a core. The caller's delegate is
// invoked as is: a caller that wants zero allocations caches it (a static lambda, or a delegate
// stored in a field) instead of writing a capturing lambda at the call site.
//
// Shortcuts taken, said plainly:
//   - One job at a time. A For that finds the pool busy — a nested For from inside a chunk, or
//     another thread's For running at the same moment — runs its whole range inline on the
//     calling thread (correct, not parallel). It never waits for the pool, so it cannot deadlock.
//   - An exception in any chunk is rethrown on the calling thread after every chunk has ended
//     (the first one recorded, with its original stack trace; not wrapped in AggregateException).
//   - Workers live for the life of the process (background threads, so they never keep it alive).

using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace FusionScratch.Kernels;

/// <summary>Body of a parallel loop over the half-open item range [start, end).</summary>
public delegate void RangeBody(int start, int end);

/// <summary>Owns the engine's thread count and its parallel loop.</summary>
public static class Parallelism
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>Threads a kernel may use (≥ 1). Default: every logical core.</summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), value, "thread count must be at least 1");
            _threads = value;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> over [0, n) split into at most <see cref="Threads"/> contiguous
    /// chunks of at least <paramref name="minChunk"/> items; the calling thread runs chunk 0. With
    /// one chunk, or when called from inside another For (or while another thread's For holds the
    /// pool), it runs body(0, n) inline. Allocates nothing once the workers exist.
    /// </summary>
    public static void For(int n, int minChunk, RangeBody body) => For(n, minChunk, body, _threads);

    /// <summary>
    /// <see cref="For(int, int, RangeBody)"/> with an explicit thread limit instead of
    /// <see cref="Threads"/>: tests use it to run one kernel on 1 and 2 threads without touching
    /// the global setting that other tests, running in parallel, read.
    /// </summary>
    internal static void For(int n, int minChunk, RangeBody body, int maxThreads)
    {
        if (n <= 0) return;
        int chunks = Math.Min(Math.Max(1, maxThreads), Math.Max(1, n / Math.Max(1, minChunk)));
        // Inline when there is nothing to split, when we are already inside a chunk (a worker
        // must never wait for the pool it belongs to), or when another thread holds the pool.
        if (chunks <= 1 || t_insideChunk || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            body(0, n);
            return;
        }
        try
        {
            Dispatch(n, chunks, body);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    // ------------------------------------------------------------------ the pool

    /// <summary>How long an idle worker (or the waiting caller) spins before it blocks.</summary>
    private const int SpinMicroseconds = 50;

    private static int _busy;                       // 1 while a For owns the pool
    private static Worker[] _workers = [];          // grown (never shrunk) to the largest chunk count − 1
    private static readonly object GrowLock = new();

    // The published job. Written by the caller before it signals the workers (Interlocked bumps
    // are full fences), read by the workers after they see their new generation.
    private static RangeBody? _body;
    private static int _n, _chunks;
    private static int _remaining;                  // worker chunks not yet finished
    private static Exception? _error;               // first exception thrown by any chunk
    private static readonly ManualResetEventSlim Done = new(false, spinCount: 1);

    [ThreadStatic] private static bool t_insideChunk;

    private static void Dispatch(int n, int chunks, RangeBody body)
    {
        Worker[] workers = EnsureWorkers(chunks - 1);
        _body = body;
        _n = n;
        _chunks = chunks;
        _error = null;
        _remaining = chunks - 1;
        Done.Reset();
        for (int w = 0; w < chunks - 1; w++)
            workers[w].Signal();

        RunChunk(0); // the calling thread takes chunk 0

        // Wait for the workers: spin a little (they usually finish within microseconds of us),
        // then block on Done, which the last worker to finish sets.
        if (Volatile.Read(ref _remaining) != 0)
        {
            long until = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _remaining) != 0 && Stopwatch.GetTimestamp() < until)
                Thread.SpinWait(20);
            if (Volatile.Read(ref _remaining) != 0)
                Done.Wait();
        }
        _body = null;
        Exception? error = _error;
        _error = null;
        if (error != null)
            ExceptionDispatchInfo.Capture(error).Throw();
    }

    /// <summary>Runs chunk c of the published job: items [c·n/chunks, (c+1)·n/chunks), sizes differing by at most one.</summary>
    private static void RunChunk(int c)
    {
        int start = (int)((long)c * _n / _chunks);
        int end = (int)((long)(c + 1) * _n / _chunks);
        t_insideChunk = true;
        try
        {
            _body!(start, end);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, e, null);
        }
        finally
        {
            t_insideChunk = false;
        }
    }

    private static readonly long SpinTicks = Math.Max(1, Stopwatch.Frequency * SpinMicroseconds / 1_000_000);

    /// <summary>Returns at least <paramref name="count"/> started workers (allocates only when it has to start new ones).</summary>
    private static Worker[] EnsureWorkers(int count)
    {
        Worker[] workers = _workers;
        if (workers.Length >= count) return workers;
        lock (GrowLock)
        {
            workers = _workers;
            if (workers.Length >= count) return workers;
            var grown = new Worker[count];
            Array.Copy(workers, grown, workers.Length);
            for (int w = workers.Length; w < count; w++)
                grown[w] = new Worker(w + 1);
            _workers = grown;
            return grown;
        }
    }

    /// <summary>A background thread that runs chunk <see cref="_chunk"/> of each job it is signalled for.</summary>
    private sealed class Worker
    {
        private readonly int _chunk;
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
        private int _generation;    // bumped by the caller once per job for this worker
        private int _sleeping;      // 1 while the worker is (about to be) blocked on _wake

        public Worker(int chunk)
        {
            _chunk = chunk;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"FusionScratch worker {chunk}" };
            thread.Start();
        }

        /// <summary>Hands the worker the published job. Sets the event only when the worker may be asleep (Dekker-style: the
        /// worker announces sleep, then re-checks the generation; we bump the generation, then check for sleep).</summary>
        public void Signal()
        {
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleeping) != 0)
                _wake.Set();
        }

        private void Loop()
        {
            int seen = 0;
            while (true)
            {
                // Spin for the next job, then block.
                if (Volatile.Read(ref _generation) == seen)
                {
                    long until = Stopwatch.GetTimestamp() + SpinTicks;
                    while (Volatile.Read(ref _generation) == seen && Stopwatch.GetTimestamp() < until)
                        Thread.SpinWait(20);
                }
                while (Volatile.Read(ref _generation) == seen)
                {
                    _wake.Reset();
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (Volatile.Read(ref _generation) == seen)
                        _wake.Wait();
                    Volatile.Write(ref _sleeping, 0);
                }
                seen = Volatile.Read(ref _generation);

                RunChunk(_chunk);
                if (Interlocked.Decrement(ref _remaining) == 0)
                    Done.Set();
            }
        }
    }
}
