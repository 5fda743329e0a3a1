// Backward — reverse-mode autodiff over the recorded graph (micrograd's idea, candle's layout).
//
// 1. Topological order by an iterative depth-first search with an explicit stack, so a chain of
//    100 000 ops does not overflow the call stack (a recursive DFS would).
// 2. Walk that order from the output back: each node's rule turns the gradient of its output into
//    gradients of its inputs, which are summed per tensor (a tensor used twice gets both
//    contributions — the multivariate chain rule).
// 3. Leaves that require grad accumulate into .Grad across Backward() calls (as PyTorch: call
//    ZeroGrad between steps). Intermediate gradients live only for the pass and are dropped as
//    soon as their node has run, so peak memory stays near one layer's worth.
// A captured step (Memory/CapturedStep.cs) records the kernels this pass runs — the rules', the
// sums and the leaf accumulation — so its replay does none of the bookkeeping above.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Elementwise;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Back-propagates from this tensor. With no argument the tensor must hold one element and
    /// its gradient is taken as 1; otherwise pass the gradient of some scalar with respect to it.
    /// </summary>
    public void Backward(Tensor? gradient = null)
    {
        if (!RequiresGrad)
            throw new InvalidOperationException("Backward() on a tensor that does not require grad (is every input detached, or was it computed under NoGrad?)");
        if (gradient is null)
        {
            if (Numel != 1)
                throw new InvalidOperationException($"Backward() without a gradient needs a one-element tensor, this one has shape {Shape}");
            gradient = Full(Shape, 1f).To(Device);
        }
        else if (gradient.Shape != Shape)
            throw new ArgumentException($"Backward: gradient of shape {gradient.Shape} for a tensor of shape {Shape}");

        List<Tensor> order = TopologicalOrder(this);
        // Reused per thread so that a steady-state training step allocates no collections.
        var grads = _grads ??= new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        grads.Clear();
        grads[this] = gradient;
        try
        {
            RunBackward(order, grads);
        }
        finally
        {
            grads.Clear();
            order.Clear();
        }
    }

    [ThreadStatic] private static Dictionary<Tensor, Tensor>? _grads;
    [ThreadStatic] private static List<Tensor>? _order;
    [ThreadStatic] private static HashSet<Tensor>? _visited;
    [ThreadStatic] private static Stack<(Tensor T, int Next)>? _stack;

    private static void RunBackward(List<Tensor> order, Dictionary<Tensor, Tensor> grads)
    {
        using var _ = NoGrad(); // backward rules compute with tensors but must not record
        for (int i = order.Count - 1; i >= 0; i--)
        {
            Tensor t = order[i];
            if (!grads.Remove(t, out Tensor? g)) continue; // no path from the output reaches t
            if (t.Node is null)
            {
                // Leaf: copy on first write, since g may be shared with other tensors' gradients
                // (Add hands the same gradient to both inputs).
                if (t.IsOnGpu || g.IsOnGpu)
                {
                    if (t.Grad is null)
                    {
                        using var persistent = TensorArena.Suspend(); // the gradient outlives the step's arena scope
                        t.Grad = g.CopyGpu();
                    }
                    else AddIntoGpu(g, t.Grad);
                }
                else Kernel((leaf: t, g: g.Packed()), static k => AccumulateLeafGradient(k.leaf, k.g));
                continue;
            }
            Tensor?[] inputGrads = t.Node.Rule(g);
            for (int k = 0; k < inputGrads.Length; k++)
            {
                Tensor? gi = inputGrads[k];
                Tensor input = t.Node.Inputs[k];
                if (gi is null || !input.RequiresGrad) continue;
                if (gi.Shape != input.Shape)
                    throw new InvalidOperationException($"internal: {t.Node.Op} returned a gradient of shape {gi.Shape} for input {k} of shape {input.Shape}");
                // A tensor used twice: sum the contributions into a new tensor (either one may be
                // shared with another input's gradient, so neither is updated in place).
                grads[input] = grads.TryGetValue(input, out Tensor? acc) ? SumGradients(acc, gi) : gi;
            }
        }
    }

    private static Tensor SumGradients(Tensor a, Tensor b)
    {
        if (a.IsOnGpu || b.IsOnGpu)
        {
            var s = a.CopyGpu();
            AddIntoGpu(b, s);
            return s;
        }
        var sum = Empty(a.Shape);
        Kernel((a: a.Packed(), b: b.Packed(), sum), static k => ElementwiseKernels.BinarySimd<Add>(k.a.Span, k.b.Span, k.sum.Span));
        return sum;
    }

    /// <summary>
    /// leaf.Grad += g, copying g on the first write (a new buffer outside any arena scope: the
    /// gradient outlives the step). Decided when the kernel runs, so a replayed step accumulates
    /// the same way as an eager one (after ZeroGrad, which keeps the buffer, it only adds).
    /// </summary>
    private static void AccumulateLeafGradient(Tensor leaf, Tensor g)
    {
        if (leaf.Grad is null)
        {
            using var persistent = TensorArena.Suspend();
            leaf.Grad = Empty(leaf.Shape);
            g.Span.CopyTo(leaf.Grad.Span);
        }
        else ElementwiseKernels.AddInto(g.Span, leaf.Grad.Span);
    }

    /// <summary>Tensors reachable from <paramref name="root"/> through nodes, inputs before outputs.</summary>
    internal static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = _order ??= [];
        var visited = _visited ??= new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        order.Clear();
        visited.Clear();
        // Explicit DFS stack of (tensor, index of the next input to visit).
        var stack = _stack ??= new Stack<(Tensor T, int Next)>();
        stack.Clear();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            Tensor[] inputs = t.Node?.Inputs ?? [];
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                Tensor child = inputs[next];
                if (child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(t); // all inputs done: post-order
        }
        visited.Clear();
        return order;
    }

    // ---- grad mode -------------------------------------------------------------------------

    [ThreadStatic] private static int _noGradDepth;

    /// <summary>True while ops record the graph (outside every NoGrad scope).</summary>
    public static bool IsGradEnabled => _noGradDepth == 0;

    /// <summary>Scope in which ops do not record: <c>using (Tensor.NoGrad()) { … }</c> for inference.</summary>
    public static NoGradScope NoGrad()
    {
        _noGradDepth++;
        return new NoGradScope();
    }

    /// <summary>Ends a NoGrad scope when disposed.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        public void Dispose() => _noGradDepth--;
    }

    /// <summary>A tensor sharing this one's storage, cut from the graph (no gradient flows through).</summary>
    public Tensor Detach() => new(Storage, Layout) { Name = Name };

    /// <summary>
    /// True when an op on these inputs will be recorded. The ops that backward rules call
    /// themselves (matmul, reshape, sum, expand) test it before building their rule, in a method
    /// of its own: a lambda that captures parameters allocates its closure on entry to the method
    /// that declares them, so an op run without recording (inside a backward pass, under NoGrad)
    /// then allocates no closure, node or input array at all.
    /// </summary>
    internal static bool WillRecord(Tensor a) => IsGradEnabled && a.RequiresGrad;

    /// <inheritdoc cref="WillRecord(Tensor)"/>
    internal static bool WillRecord(Tensor a, Tensor b) => IsGradEnabled && (a.RequiresGrad || b.RequiresGrad);

    /// <summary>
    /// Records <paramref name="output"/> as produced by <paramref name="op"/> from
    /// <paramref name="inputs"/> when grad mode is on and any input requires grad.
    /// </summary>
    internal static Tensor Record(Tensor output, string op, Tensor[] inputs, BackwardRule rule)
    {
        if (!IsGradEnabled) return output;
        foreach (Tensor t in inputs)
            if (t.RequiresGrad)
            {
                output.SetNode(new Node(op, inputs, rule));
                return output;
            }
        return output;
    }
}
