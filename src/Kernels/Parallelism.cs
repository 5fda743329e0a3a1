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
// background workers, created the first time they are needed (as many as the widest For so far
// has wanted: Threads − 1, the calling thread being the extra one), waits for work. A call to For:
//   1. publishes the job (body, n, chunk count) in static fields — no allocation;
//   2. wakes the workers it wants (sets an event only for a worker that is asleep);
//   3. claims chunks itself (chunk 0, unless a spinning worker got there first) until none is left;
//   4. waits for the chunks the workers claimed (spin, yield, then block).
// Chunks are claimed first come, first served (a compare-and-swap on one counter), not assigned:
// a worker that wakes late, or is preempted by another process on a busy machine, simply gets
// fewer chunks, and the caller never waits for a chunk nobody has started.
// A thread with nothing to do — a worker between jobs, the caller waiting for the last chunk —
// spins for about 20 µs, then polls while yielding its core (Thread.Yield) for about 2 ms, and only
// then blocks on an event. So back-to-back calls (the loops of a GEMM, a training step) hand off
// in about a microsecond, a thread that finishes a little early does not pay a kernel wake-up
// (tens of microseconds in this VM), other processes still get the core, and an idle process
// stops polling after 2 ms.
//
// Zero allocation at the call site. A lambda that captures locals allocates a closure (and a
// delegate) every time the method declaring them runs. So kernels pass their loop state
// explicitly: For(n, minChunk, state, static (st, start, end) => …) takes the state as a value
// (a tuple or a small struct; spans travel as Pinned<float>, see Pinned.cs) and a static lambda,
// which the compiler caches in a static field — nothing is allocated per call. The pool still
// runs one non-generic RangeBody: for each state type, StateSlot<TState> holds the state and the
// body in static fields while its For owns the pool, and a cached delegate reads them back.
// (One job at a time owns the pool, so one slot per type is enough; a For that runs inline never
// touches the slot.) The plain For(n, minChunk, body) stays for callers that cache their delegate
// themselves (the GEMM's per-thread job object) and for tests.
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

/// <summary>Body of a parallel loop over [start, end) that gets its state as an argument instead of capturing it.</summary>
public delegate void RangeBody<TState>(TState state, int start, int end);

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
    /// <see cref="Threads"/> (tests use it to run a kernel on 1 and 2 threads without touching the
    /// global setting other tests read), and optionally more chunks than threads
    /// (<paramref name="maxChunks"/>): the threads then share the chunks first come, first served,
    /// which evens out a thread that started late or was preempted.
    /// </summary>
    internal static void For(int n, int minChunk, RangeBody body, int maxThreads, int maxChunks = 0)
    {
        if (n <= 0) return;
        if (!TryAcquirePool(n, minChunk, ref maxThreads, maxChunks, out int chunks))
        {
            body(0, n);
            return;
        }
        try
        {
            Dispatch(n, chunks, Math.Min(maxThreads, chunks) - 1, body);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// <see cref="For(int, int, RangeBody)"/> with explicit loop state: runs
    /// body(state, start, end) over contiguous chunks of [0, n). Pass a static lambda (or a cached
    /// delegate) and put everything the body needs in <paramref name="state"/>: then the call
    /// allocates nothing, where a capturing lambda allocates a closure and a delegate per call.
    /// </summary>
    public static void For<TState>(int n, int minChunk, TState state, RangeBody<TState> body) =>
        For(n, minChunk, state, body, _threads);

    /// <summary><see cref="For{TState}(int, int, TState, RangeBody{TState})"/> with an explicit thread limit and chunk count (as the non-generic overload).</summary>
    internal static void For<TState>(int n, int minChunk, TState state, RangeBody<TState> body, int maxThreads, int maxChunks = 0)
    {
        if (n <= 0) return;
        if (!TryAcquirePool(n, minChunk, ref maxThreads, maxChunks, out int chunks))
        {
            body(state, 0, n);
            return;
        }
        try
        {
            StateSlot<TState>.State = state;
            StateSlot<TState>.Body = body;
            Dispatch(n, chunks, Math.Min(maxThreads, chunks) - 1, StateSlot<TState>.Run);
        }
        finally
        {
            StateSlot<TState>.State = default!; // drop references the state may hold
            StateSlot<TState>.Body = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// Chooses the chunk count and takes the pool. False means run inline: nothing to split, we
    /// are already inside a chunk (a worker must never wait for the pool it belongs to), or
    /// another thread holds the pool.
    /// </summary>
    private static bool TryAcquirePool(int n, int minChunk, ref int maxThreads, int maxChunks, out int chunks)
    {
        maxThreads = Math.Max(1, maxThreads);
        if (maxChunks < maxThreads) maxChunks = maxThreads;
        chunks = Math.Min(Math.Min(maxChunks, MaxChunks), Math.Max(1, n / Math.Max(1, minChunk)));
        return chunks > 1 && maxThreads > 1 && !t_insideChunk && Interlocked.CompareExchange(ref _busy, 1, 0) == 0;
    }

    /// <summary>
    /// The state and body of the generic For that owns the pool, for each state type. Written by
    /// the owner before it publishes the job (the claim word's Interlocked write orders them) and
    /// read by the threads only while they run a chunk of that job.
    /// </summary>
    private static class StateSlot<TState>
    {
        public static TState State = default!;
        public static RangeBody<TState>? Body;
        public static readonly RangeBody Run = static (start, end) => Body!(State, start, end);
    }

    // ------------------------------------------------------------------ the pool

    /// <summary>How long a waiting thread spins (SpinWait, the core stays busy) before it starts yielding.</summary>
    private const int SpinMicroseconds = 20;

    /// <summary>How long it then keeps polling with Thread.Yield (the core goes to any other runnable thread) before it blocks.</summary>
    private const int YieldMicroseconds = 2000;

    /// <summary>Most chunks one For may have (the chunk count shares a 64-bit word with the job number and the next chunk).</summary>
    private const int MaxChunks = ushort.MaxValue;

    private static int _busy;                       // 1 while a For owns the pool
    private static Worker[] _workers = [];          // grown (never shrunk) to the most workers one For has wanted
    private static readonly object GrowLock = new();

    // The published job. The caller writes body, n and the counters, then publishes the claim
    // word (an Interlocked write, a full fence); a thread reads the fields only after it has
    // claimed a chunk, and a job cannot finish (so the fields cannot change) while one of its
    // chunks is claimed and not done.
    private static RangeBody? _body;
    private static int _n;
    private static int _pending;                    // chunks not yet finished
    private static Exception? _error;               // first exception thrown by any chunk
    private static ushort _job;                     // job number, wraps
    // Claim word: bits 48–63 job number, 32–47 chunk count, 0–31 next unclaimed chunk. Claiming a
    // chunk is a compare-and-swap of index + 1; carrying the job and the count in the same word
    // means a worker that wakes late, holding a stale word, can never claim a chunk of a later job.
    private static long _claim;
    private static readonly ManualResetEventSlim Done = new(false, spinCount: 1);

    [ThreadStatic] private static bool t_insideChunk;

    private static void Dispatch(int n, int chunks, int workersWanted, RangeBody body)
    {
        Worker[] workers = EnsureWorkers(workersWanted);
        _body = body;
        _n = n;
        _error = null;
        _pending = chunks;
        Done.Reset();
        _job++;
        Interlocked.Exchange(ref _claim, ((long)_job << 48) | ((long)chunks << 32));
        for (int w = 0; w < workersWanted; w++)
            workers[w].Wake();

        RunChunks(); // the calling thread takes chunks too: chunk 0, and any no worker has claimed yet

        // Wait for chunks the workers claimed: spin a little (they usually finish within
        // microseconds of us), then block on Done, which the thread finishing the last chunk sets.
        if (Volatile.Read(ref _pending) != 0)
        {
            PollUntil(static () => Volatile.Read(ref _pending) == 0);
            // Done may have been set late by the last thread of the previous job (it decrements
            // _pending, then sets Done, and can be preempted in between): a set Done proves
            // nothing on its own, so wake, re-check _pending, and re-arm until it is really 0.
            while (Volatile.Read(ref _pending) != 0)
            {
                Done.Wait();
                if (Volatile.Read(ref _pending) == 0) break;
                Done.Reset();
            }
        }
        _body = null;
        Exception? error = _error;
        _error = null;
        if (error != null)
            ExceptionDispatchInfo.Capture(error).Throw();
    }

    /// <summary>True while the published job has a chunk nobody has claimed.</summary>
    private static bool HasUnclaimedChunk()
    {
        long s = Volatile.Read(ref _claim);
        return (uint)s < (uint)(s >> 32 & 0xFFFF);
    }

    /// <summary>Claims and runs chunks of the published job until none is left. Chunk c covers items
    /// [c·n/chunks, (c+1)·n/chunks): contiguous, sizes differing by at most one.</summary>
    private static void RunChunks()
    {
        while (true)
        {
            long s = Volatile.Read(ref _claim);
            int chunk = (int)(uint)s, chunks = (int)(s >> 32 & 0xFFFF);
            if (chunk >= chunks) return;
            if (Interlocked.CompareExchange(ref _claim, s + 1, s) != s) continue; // another thread took it
            int start = (int)((long)chunk * _n / chunks);
            int end = (int)((long)(chunk + 1) * _n / chunks);
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
            if (Interlocked.Decrement(ref _pending) == 0)
                Done.Set();
        }
    }

    private static readonly long SpinTicks = Math.Max(1, Stopwatch.Frequency * SpinMicroseconds / 1_000_000);
    private static readonly long YieldTicks = Math.Max(1, Stopwatch.Frequency * YieldMicroseconds / 1_000_000);
    private static readonly Func<bool> HasWork = HasUnclaimedChunk;

    /// <summary>
    /// Polls <paramref name="done"/>: spins for SpinMicroseconds, then yields the core between
    /// polls for YieldMicroseconds, and returns (done or not) so the caller can block. Spinning
    /// alone would hold a core that, on a busy machine, one of our own threads may be waiting
    /// for; blocking at once would cost a kernel wake-up (tens of microseconds in this VM) every
    /// time one thread finishes its chunks a little before the other.
    /// </summary>
    private static void PollUntil(Func<bool> done)
    {
        long start = Stopwatch.GetTimestamp();
        while (!done())
        {
            long elapsed = Stopwatch.GetTimestamp() - start;
            if (elapsed < SpinTicks) Thread.SpinWait(20);
            else if (elapsed < SpinTicks + YieldTicks) Thread.Yield();
            else return;
        }
    }

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

    /// <summary>A background thread that claims chunks of whatever job is published, then spins, then sleeps.</summary>
    private sealed class Worker
    {
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
        private int _sleeping; // 1 while the worker is (about to be) blocked on _wake

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"FusionScratch worker {index}" };
            thread.Start();
        }

        /// <summary>Called after a job is published: sets the event only if the worker may be asleep (Dekker-style:
        /// the worker announces sleep, then re-checks for work; the caller publishes work, then checks for sleep).</summary>
        public void Wake()
        {
            if (Volatile.Read(ref _sleeping) != 0)
                _wake.Set();
        }

        private void Loop()
        {
            while (true)
            {
                // Spin for work, then block.
                if (!HasUnclaimedChunk())
                    PollUntil(HasWork);
                while (!HasUnclaimedChunk())
                {
                    _wake.Reset();
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (!HasUnclaimedChunk())
                        _wake.Wait();
                    Volatile.Write(ref _sleeping, 0);
                }
                RunChunks();
            }
        }
    }
}
