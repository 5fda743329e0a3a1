// Tensor — a float32 n-dimensional array: a Storage on a device, a Layout (shape, strides,
// offset) over it, and, when it takes part in autodiff, the Node that produced it.
//
// Read next: Autograd/Backward.cs (how gradients flow), then Ops/*.cs (each op's forward dispatch
// with its backward rule beside it). A Tensor never runs a loop itself: every computation goes
// through a kernel in FusionScratch.Kernels.
//
// Views (Reshape of a contiguous tensor, Transpose, Permute, Slice, Expand) share storage. Ops
// read their inputs through ReadContiguous(), which is free for contiguous tensors and gathers a
// copy otherwise; op outputs are always fresh contiguous tensors.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Layout;

namespace FusionScratch.Tensors;

/// <summary>A float32 tensor with reverse-mode autodiff.</summary>
public sealed partial class Tensor
{
    public Storage Storage { get; private set; }
    public Layout Layout { get; private set; }
    public Shape Shape => Layout.Shape;
    public int Rank => Layout.Shape.Rank;
    public int Numel => Layout.Shape.Numel;
    public Device Device => Storage.Device;

    /// <summary>Optional name, shown in error messages and debug output.</summary>
    public string? Name { get; set; }

    /// <summary>The op that produced this tensor; null for leaves.</summary>
    internal Node? Node { get; private set; }

    private bool _requiresGrad;

    /// <summary>Whether gradients flow to (and, for leaves, accumulate in) this tensor.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (Node is not null && !value)
                throw new InvalidOperationException("cannot turn off RequiresGrad on a non-leaf tensor; use Detach()");
            _requiresGrad = value;
        }
    }

    /// <summary>Accumulated gradient of a leaf after Backward(); null before.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>True for tensors created by the user (not produced by a recorded op).</summary>
    public bool IsLeaf => Node is null;

    internal Tensor(Storage storage, Layout layout, bool requiresGrad = false)
    {
        Storage = storage;
        Layout = layout;
        _requiresGrad = requiresGrad;
    }

    /// <summary>A new contiguous CPU tensor over <paramref name="data"/> (no copy).</summary>
    internal Tensor(float[] data, Shape shape) : this(new CpuStorage(data), Layout.Contiguous(shape))
    {
        if (data.Length != shape.Numel)
            throw new ArgumentException($"tensor: {data.Length} values for shape {shape} ({shape.Numel} elements)");
    }

    public bool IsContiguous => Layout.IsContiguous;

    /// <summary>
    /// The elements of a contiguous CPU tensor, in row-major order, as a writable span over its
    /// storage. Throws for views that are not contiguous (use Contiguous() first) and for tensors on
    /// another device. Writing through it bypasses autodiff: use it for data loading and optimizers.
    /// </summary>
    public Span<float> Span
    {
        get
        {
            if (!IsContiguous)
                throw new InvalidOperationException($"tensor of layout {Layout} is not contiguous; call Contiguous() first");
            return CpuArray.AsSpan(Layout.Offset, Numel);
        }
    }

    /// <summary>The CPU array behind this tensor (the seam the GPU backend extends).</summary>
    internal float[] CpuArray => Storage is CpuStorage cpu
        ? cpu.Data
        : throw new NotSupportedException($"this reads the tensor's values on the host (Span, the element indexer, or a CPU-only path), but the tensor is on {Device}; call To(Device.Cpu) first");

    /// <summary>The elements in row-major order: a span over storage when contiguous, a gathered copy otherwise.</summary>
    internal ReadOnlySpan<float> ReadContiguous() => Packed().Span;

    /// <summary>A copy of the elements in row-major order.</summary>
    public float[] ToArray() => IsOnGpu ? To(Device.Cpu).ToArray() : ReadContiguous().ToArray();

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs a one-element tensor, this one has shape {Shape}");
        if (IsOnGpu) return ToArray()[0];
        return CpuArray[Layout.Offset];
    }

    /// <summary>One element by index (slow; for tests and inspection).</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index] => CpuArray[Layout.IndexOf(index)];

    /// <summary>Attaches the node that produced this tensor (called by ops when recording).</summary>
    internal void SetNode(Node node)
    {
        Node = node;
        _requiresGrad = true;
    }

    public override string ToString()
    {
        string vals = Numel <= 8 && Storage is CpuStorage
            ? " [" + string.Join(", ", ToArray().Select(v => v.ToString("G4"))) + "]"
            : "";
        string grad = Node is not null ? $", grad_fn={Node.Op}" : RequiresGrad ? ", requires_grad" : "";
        return $"Tensor{Shape}{(Name is null ? "" : " " + Name)}{vals}{grad}";
    }
}
