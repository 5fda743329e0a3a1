// TensorArena — reuses tensor buffers from one training step to the next.
//
// A define-by-run graph makes fresh tensors for every activation and gradient, each step, in the
// same sizes as the step before. Allocating them from the GC heap costs a zeroing pass and, for
// the big ones (> 85 KB, the large-object heap), gen-2 collections. Inside an arena scope every
// tensor buffer is rented from the arena's free lists (keyed by length) instead, and when the
// scope ends every buffer rented in it goes back, so step 2 onward allocates no tensor buffers:
//
//     var arena = new TensorArena();                 // once
//     for (…) using (arena.Begin()) { forward; loss.Backward(); optimizer.Step(); }
//
// Tensors made inside a scope die with it: touching one afterwards throws ObjectDisposedException
// (its storage is released, never silently reused). Read what you need (loss.Item()) inside the
// scope. Parameters, their .Grad buffers (Backward allocates leaf gradients outside the arena)
// and optimizer state live outside any scope.
// What a warm step still allocates is graph bookkeeping, about 5.7 KB for the reference CNN at
// any batch size (TrainingStepAllocationTests holds the bound): per op output a Tensor and its
// CpuStorage, per recorded op a Node, its input array and its backward closure, per backward
// rule the array of input gradients. Those objects are not pooled on purpose: a Tensor that
// outlives its scope must throw when touched (its storage is released), and a pooled Tensor or
// storage object handed out again would silently alias the stale reference instead. Shapes and
// contiguous layouts are shared (Shape.Of), and kernels allocate nothing.

namespace FusionScratch.Tensors;

/// <summary>Pools tensor buffers across scopes (training steps) on one thread.</summary>
public sealed class TensorArena
{
    [ThreadStatic] private static TensorArena? _current;

    private readonly Dictionary<int, Stack<float[]>> _free = [];
    private readonly List<CpuStorage> _lent = [];
    private readonly Dictionary<int, Stack<int[]>> _freeInts = [];
    private readonly List<int[]> _lentInts = [];
    private TensorArena? _previous;
    private bool _active;
    private bool _keep;

    /// <summary>The arena whose scope is open on this thread, if any.</summary>
    internal static TensorArena? Current => _current;

    /// <summary>Buffers currently lent out, and free buffers held for reuse.</summary>
    public int Lent => _lent.Count;
    public long FreeBytes => _free.Sum(kv => (long)kv.Key * kv.Value.Count * sizeof(float));

    /// <summary>Opens a scope: tensors created until it is disposed borrow their buffers from this arena.</summary>
    public Scope Begin()
    {
        if (_active) throw new InvalidOperationException("this arena's scope is already open (scopes of one arena do not nest)");
        _previous = _current;
        _current = this;
        _active = true;
        return new Scope(this);
    }

    private void End()
    {
        if (!_keep) ReleaseLent();
        _current = _previous;
        _previous = null;
        _active = false;
    }

    /// <summary>From now on, ending a scope keeps its buffers lent (a CapturedStep owns them until Release).</summary>
    internal void Keep() => _keep = true;

    /// <summary>Takes back every lent buffer: the tensors over them throw when touched afterwards.</summary>
    internal void Release() => ReleaseLent();

    private void ReleaseLent()
    {
        foreach (CpuStorage s in _lent)
        {
            float[] data = s.Release();
            if (!_free.TryGetValue(data.Length, out var stack)) _free[data.Length] = stack = new Stack<float[]>();
            stack.Push(data);
        }
        _lent.Clear();
        foreach (int[] ints in _lentInts)
        {
            if (!_freeInts.TryGetValue(ints.Length, out var stack)) _freeInts[ints.Length] = stack = new Stack<int[]>();
            stack.Push(ints);
        }
        _lentInts.Clear();
    }

    internal CpuStorage Rent(int length, bool clear)
    {
        float[] data;
        if (_free.TryGetValue(length, out var stack) && stack.Count > 0)
        {
            data = stack.Pop();
            if (clear) Array.Clear(data);
        }
        else data = new float[length];
        var storage = new CpuStorage(data);
        _lent.Add(storage);
        return storage;
    }

    /// <summary>
    /// An index buffer (e.g. max-pool argmax positions kept for the backward pass) that returns
    /// to the arena with the scope. Contents are undefined; the caller overwrites them.
    /// </summary>
    internal int[] RentInts(int length)
    {
        int[] data = _freeInts.TryGetValue(length, out var stack) && stack.Count > 0 ? stack.Pop() : new int[length];
        _lentInts.Add(data);
        return data;
    }

    /// <summary>An index buffer from the open arena, or a fresh array outside any scope.</summary>
    internal static int[] AllocateInts(int length) => _current?.RentInts(length) ?? new int[length];

    /// <summary>Drops every pooled buffer (to return memory after a phase with other shapes).</summary>
    public void Trim()
    {
        _free.Clear();
        _freeInts.Clear();
    }

    /// <summary>Ends the arena scope when disposed.</summary>
    public readonly struct Scope(TensorArena arena) : IDisposable
    {
        public void Dispose() => arena.End();
    }

    /// <summary>
    /// Suspends the open arena (if any) so tensors created until disposal are ordinary, long-lived
    /// allocations — for state that must outlive the step (leaf gradients, running statistics).
    /// </summary>
    public static Suspension Suspend()
    {
        var s = new Suspension(_current);
        _current = null;
        return s;
    }

    /// <summary>Restores the suspended arena when disposed.</summary>
    public readonly struct Suspension(TensorArena? suspended) : IDisposable
    {
        public void Dispose() => _current = suspended;
    }
}
