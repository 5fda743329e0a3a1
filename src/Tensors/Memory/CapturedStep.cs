// CapturedStep — records one training step's kernels once and replays them, so a steady-state
// step runs no op code at all and allocates nothing (PyTorch's CUDA graphs, on the CPU).
//
// An eager step rebuilds its graph every time: per op a Tensor, a Node, a backward closure, and
// the topological sort and gradient dictionary of Backward(). The kernels it runs, their buffers
// and their order are the same every step, though. Capture runs the step once, eagerly, and
// every op hands the kernel call it makes to Tensor.Kernel(state, static run) — a static lambda
// and a value tuple of the tensors it reads and writes — which also appends it to the open
// capture. Replay() then calls those kernels in the same order on the same buffers:
//
//     var x = Tensor.Zeros(batch, 1, 28, 28); var labels = new int[batch];   // the step's inputs
//     using var step = CapturedStep.Capture(() => Losses.CrossEntropy(model.Forward(x), labels));
//     for (…) { fill x.Span and labels; opt.ZeroGrad(); step.Replay(); opt.Step(); }
//
// What the step reads must be where the capture saw it: write new inputs into the same tensors
// and arrays, change parameters in place (optimizers do). Values that C# code computes between
// kernels at capture time would be frozen, so ops never do that: every read of data happens in a
// kernel (batch norm's gamma, cross-entropy's labels and mean, dropout's mask draw). Random
// factories (Rand, Randn) throw inside a capture; tensors made from caller arrays (FromArray)
// are constants of the plan. A step whose ops depend on data (a branch on a value, a shape that
// changes) cannot be captured: train it eagerly (TrainOptions.CaptureSteps = false).
// The optimizer step stays outside: its learning rate and step count change between steps, and
// OptimOps refuse to run inside a capture rather than be frozen.
//
// Tensors made during the capture (activations, gradients, the output) own their buffers until
// the CapturedStep is disposed; touching one afterwards throws, as for a TensorArena scope.
// CPU only: a capture that creates a tensor on a GPU throws.

using FusionScratch.Kernels.Layout;

namespace FusionScratch.Tensors;

/// <summary>One step's kernel calls, recorded by <see cref="Capture"/> and re-run by <see cref="Replay"/>.</summary>
public sealed class CapturedStep : IDisposable
{
    [ThreadStatic] private static CapturedStep? _recording;

    private readonly List<IKernelCall> _calls = [];
    private readonly TensorArena _arena = new();
    private bool _disposed;

    private CapturedStep() { }

    /// <summary>The capture being recorded on this thread, if any.</summary>
    internal static CapturedStep? Recording => _recording;

    /// <summary>True while a capture is being recorded on this thread.</summary>
    public static bool IsCapturing => _recording is not null;

    /// <summary>What the captured step returned (e.g. the loss); its value is refreshed by every Replay().</summary>
    public Tensor Output { get; private set; } = null!;

    /// <summary>Number of kernel calls one replay makes.</summary>
    public int KernelCalls => _calls.Count;

    /// <summary>
    /// Runs <paramref name="step"/> once, eagerly (its effects — gradients, running statistics —
    /// happen as in any step), recording every kernel call it makes.
    /// </summary>
    public static CapturedStep Capture(Func<Tensor> step)
    {
        if (_recording is not null) throw new InvalidOperationException("a capture is already being recorded on this thread (captures do not nest)");
        if (TensorArena.Current is not null)
            throw new InvalidOperationException("capture inside a TensorArena scope: the captured step owns its buffers, so close the scope first");
        var captured = new CapturedStep();
        _recording = captured;
        var scope = captured._arena.Begin();
        try
        {
            captured.Output = step() ?? throw new InvalidOperationException("the captured step returned null; return its output (e.g. the loss)");
            if (captured.Output.IsOnGpu) throw new NotSupportedException("capture of a step on the GPU is not supported yet; train it eagerly");
        }
        catch
        {
            scope.Dispose();
            captured._arena.Release();
            throw;
        }
        finally
        {
            _recording = null;
        }
        captured._arena.Keep(); // the step's buffers stay lent until Dispose
        scope.Dispose();
        return captured;
    }

    /// <summary>Runs every recorded kernel again, in order, on the captured buffers. Allocates nothing.</summary>
    public void Replay()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_recording is not null) throw new InvalidOperationException("Replay() inside a capture");
        if (KernelProfile.Enabled) { foreach (IKernelCall call in _calls) call.RunTimed(); return; }
        foreach (IKernelCall call in _calls) call.Run();
    }

    /// <summary>Returns the step's buffers; its tensors (Output included) throw when touched afterwards.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _calls.Clear();
        _arena.Release();
    }

    internal void Add<TState>(TState state, Action<TState> run) => _calls.Add(new KernelCall<TState>(state, run));

    /// <summary>Throws inside a capture: for work whose values a replay could not reproduce.</summary>
    internal static void Refuse(string what)
    {
        if (_recording is not null)
            throw new InvalidOperationException($"{what} cannot be captured (a replay would repeat the values drawn at capture time)");
    }

    private interface IKernelCall
    {
        void Run();
        void RunTimed();
    }

    private sealed class KernelCall<TState>(TState state, Action<TState> run) : IKernelCall
    {
        public void Run() => run(state);
        public void RunTimed() => KernelProfile.Run(state, run);
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// Runs one kernel call: <paramref name="run"/>(<paramref name="state"/>), and records it in the
    /// open capture, if any, to be re-run by CapturedStep.Replay(). <paramref name="run"/> must be a
    /// static lambda that reads every input from <paramref name="state"/> (tensors, arrays, sizes)
    /// and computes every value it writes — nothing decided in C# between kernels, or a replay
    /// would repeat it. Outside a capture this costs one delegate call and allocates nothing.
    /// </summary>
    internal static void Kernel<TState>(TState state, Action<TState> run)
    {
        KernelProfile.Run(state, run);
        CapturedStep.Recording?.Add(state, run);
    }

    /// <summary>
    /// This tensor if contiguous, else a packed copy made by a recorded kernel — for ops whose
    /// kernel calls need contiguous inputs (a kernel must not pack inside, or a replay would
    /// allocate).
    /// </summary>
    internal Tensor Packed()
    {
        if (IsContiguous) return this;
        var y = Empty(Shape);
        Kernel((x: this, y), static s => s.x.CopyTo(s.y.Span));
        return y;
    }

    /// <summary>The elements of a contiguous CPU tensor as Memory over its storage (for kernels that hand buffers to worker threads).</summary>
    internal Memory<float> Memory => IsContiguous
        ? new Memory<float>(CpuArray, Layout.Offset, Numel)
        : throw new InvalidOperationException($"tensor of layout {Layout} is not contiguous; call Packed() first");

    /// <summary>Writes this tensor's elements in row-major order into <paramref name="destination"/> (a strided gather unless contiguous).</summary>
    internal void CopyTo(Span<float> destination)
    {
        if (IsContiguous) CpuArray.AsSpan(Layout.Offset, Numel).CopyTo(destination);
        else CopyKernels.StridedFast(CpuArray.AsSpan(Layout.Offset), Layout.Strides, Shape.Dims, destination);
    }
}
