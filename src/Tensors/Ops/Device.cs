// Device — moving tensors between the CPU and a GPU, and the GPU halves of the ops that have one.
//
// Transfers are explicit: To(device) is the only way data crosses between host and device. An op
// whose inputs are all on one GPU runs there (MatMul, Add/Relu/Sum, their backward rules and the
// gradient accumulation in Backward); inputs on different devices are an error naming both, never
// a silent copy. GPU ops need contiguous inputs, except MatMul's transposed views (which become
// the kernel's trans flag, as on the CPU).
//
// This file holds the device plumbing (To, views, packing, gradient accumulation) and MatMul's GPU
// half; the other ops' GPU halves are in Ops/Gpu/*.Gpu.cs, one file per op family, each entered by
// one dispatch line at the top of the public op. Every public op has a GPU half; host-only access
// (Span, the element indexer) to a GPU tensor throws NotSupportedException (through CpuArray),
// naming To(Device.Cpu).
// Non-contiguous GPU inputs (transposes, expands, slices) are packed by the strided-gather kernel
// (GpuPacked) before a kernel reads them, as ReadContiguous does on the CPU.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Layout;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// This tensor's values on <paramref name="device"/>: itself when already there, else a
    /// contiguous copy (an explicit host↔device transfer). The copy is a new leaf: gradients do not
    /// flow back through To (set RequiresGrad on the result to train it on the device).
    /// </summary>
    public Tensor To(Device device)
    {
        if (device == Device) return this;
        if (Storage is GpuStorage && device.Kind == DeviceKind.Gpu)
            return To(Device.Cpu).To(device); // between two GPUs: through the host (rare: tests only)
        if (device.Kind == DeviceKind.Cpu)
        {
            var host = new float[Numel];
            var src = (GpuStorage)Storage;
            Kernels.Gpu.GpuLaunch.Download(GpuView(), host);
            GC.KeepAlive(src);
            return new Tensor(host, Shape) { Name = Name };
        }
        var gpu = new GpuStorage(device, Numel);
        if (Numel > 0)
        {
            var stream = gpu.Accelerator.DefaultStream;
            gpu.View.CopyFromCPU(stream, ReadContiguous());
            stream.Synchronize(); // the host span may be reused (arena) as soon as we return
        }
        return new Tensor(gpu, Layout.Contiguous(Shape)) { Name = Name };
    }

    /// <summary>True when the storage is on a GPU.</summary>
    public bool IsOnGpu => Storage is GpuStorage;

    /// <summary>The device view of a contiguous GPU tensor's elements.</summary>
    internal ArrayView<float> GpuView()
    {
        var gpu = Storage as GpuStorage ?? throw new InvalidOperationException($"tensor on {Device} is not on a GPU");
        if (!IsContiguous)
            throw new NotSupportedException($"this GPU op needs a contiguous tensor, got layout {Layout}; the GPU strided copy is not written yet");
        return gpu.View.SubView(Layout.Offset, Numel);
    }

    /// <summary>
    /// This GPU tensor if contiguous, else a packed contiguous copy on the same device (the strided
    /// gather kernel): the GPU counterpart of ReadContiguous. Not recorded (callers record the op).
    /// </summary>
    internal Tensor GpuPacked()
    {
        if (IsContiguous) return this;
        var gpu = (GpuStorage)Storage;
        var y = EmptyOn(Device, Shape);
        CopyKernels.StridedGpu(gpu.Accelerator, gpu.View.SubView(Layout.Offset, gpu.Length - Layout.Offset), Layout.Strides, Shape.Dims, y.GpuView());
        return y;
    }

    /// <summary>
    /// Moves a leaf tensor to <paramref name="device"/> in place: its storage is replaced by a copy
    /// there, and so is its gradient. Modules use it (Module.To) so that the layers' Weight/Bias
    /// references stay valid. A tensor produced by an op cannot move (its graph points at the old storage).
    /// </summary>
    public void MoveTo(Device device)
    {
        if (device == Device) return;
        if (!IsLeaf) throw new InvalidOperationException($"MoveTo: only leaf tensors move in place; {this} was produced by {Node!.Op} (use To(device))");
        var moved = To(device);
        Storage = moved.Storage;
        Layout = moved.Layout;
        if (Grad is not null) Grad = Grad.To(device);
    }

    /// <summary>Overwrites this contiguous tensor's elements with <paramref name="values"/>, on whichever device it lives (an upload for a GPU tensor).</summary>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        if (values.Length != Numel)
            throw new ArgumentException($"CopyFrom: {values.Length} values for a tensor of shape {Shape}");
        if (!IsOnGpu)
        {
            values.CopyTo(Span);
            return;
        }
        if (Numel == 0) return;
        var stream = GpuAccelerator.DefaultStream;
        GpuView().CopyFromCPU(stream, values);
        stream.Synchronize();
    }

    /// <summary>Sets every element of a contiguous GPU tensor to zero (ZeroGrad on the device).</summary>
    internal static void ZeroGpu(Tensor t) => t.GpuView().MemSetToZero();

    /// <summary>The accelerator of a GPU tensor.</summary>
    internal Accelerator GpuAccelerator => ((GpuStorage)Storage).Accelerator;

    /// <summary>An uninitialised contiguous tensor on <paramref name="device"/>.</summary>
    internal static Tensor EmptyOn(Device device, Shape shape) =>
        device.Kind == DeviceKind.Cpu ? Empty(shape) : new Tensor(new GpuStorage(device, shape.Numel), Layout.Contiguous(shape));

    /// <summary>Throws unless a and b are on the same device; returns whether that device is a GPU.</summary>
    internal static bool OnGpu(Tensor a, Tensor b, string op)
    {
        if (a.Device != b.Device)
            throw new InvalidOperationException($"{op}: inputs are on different devices ({a.Device} and {b.Device}); move one with To(device)");
        return a.IsOnGpu;
    }

    // ---- GPU halves of ops ---------------------------------------------------------------

    /// <summary>MatMul on the GPU: op(a)·op(b) with MatMulKernels.GpuGemm, the register-blocked kernel (shapes already checked).</summary>
    private static Tensor MatMulGpu(Tensor a, Tensor b, bool transposeA, bool transposeB, int M, int N, int K)
    {
        var acc = a.GpuAccelerator;
        if (!IsGemmReady(a)) a = a.GpuPacked();
        if (!IsGemmReady(b)) b = b.GpuPacked();
        ArrayView<float> av = GemmOperandGpu(a, transposeA, out bool aT);
        ArrayView<float> bv = GemmOperandGpu(b, transposeB, out bool bT);
        var c = EmptyOn(a.Device, Shape.Of(M, N));
        MatMulKernels.GpuGemm(acc, av, aT, bv, bT, M, N, K, 1f, 0f, c.GpuView());
        return c;
    }

    // Contiguous, or the transpose of a contiguous matrix (which the kernel reads with its flag flipped).
    private static bool IsGemmReady(Tensor t) => t.IsContiguous || (t.Layout.Strides[0] == 1 && t.Layout.Strides[1] == t.Shape[0]);

    // As GemmOperand: a transposed view of a contiguous matrix goes as its storage with the flag flipped.
    private static ArrayView<float> GemmOperandGpu(Tensor t, bool trans, out bool kernelTrans)
    {
        kernelTrans = trans;
        if (t.IsContiguous) return t.GpuView();
        var s = t.Layout.Strides;
        if (s[0] == 1 && s[1] == t.Shape[0])
        {
            kernelTrans = !trans;
            return ((GpuStorage)t.Storage).View.SubView(t.Layout.Offset, t.Numel);
        }
        throw new NotSupportedException($"matmul on the GPU: operand of layout {t.Layout} is neither contiguous nor a transposed matrix");
    }

    /// <summary>Σ of all elements on the GPU (a one-element GPU tensor); backward broadcasts g to every element.</summary>
    private Tensor SumAllGpu()
    {
        var y = EmptyOn(Device, Shape.Scalar);
        ReduceKernels.SumGpu(GpuAccelerator, GpuPacked().GpuView(), 1, Numel, 1, y.GpuView());
        Shape inShape = Shape;
        return Record(y, "sum", [this], g => [FillLikeGpu(g, inShape)]);
    }

    // Every element of a new tensor of `shape` = g's single value: z[i] = 0 + g[0], the row
    // broadcast with one column.
    private static Tensor FillLikeGpu(Tensor g, Shape shape)
    {
        var acc = g.GpuAccelerator;
        var z = EmptyOn(g.Device, shape);
        z.GpuView().MemSetToZero();
        ElementwiseKernels.RowBroadcastGpu<Add>(acc, z.GpuView(), g.GpuView(), z.GpuView(), shape.Numel, 1);
        return z;
    }

    /// <summary>A contiguous copy on the same GPU (Backward's copy-on-first-write of a leaf gradient).</summary>
    internal Tensor CopyGpu()
    {
        var src = GpuPacked();
        if (!ReferenceEquals(src, this)) return src; // packing already made a fresh copy
        var y = EmptyOn(Device, Shape);
        y.GpuView().CopyFrom(GpuView());
        return y;
    }

    /// <summary>dst += src on the GPU (gradient accumulation).</summary>
    internal static void AddIntoGpu(Tensor src, Tensor dst)
    {
        OnGpu(src, dst, "gradient accumulation");
        ElementwiseKernels.BinaryGpu<Add>(dst.GpuAccelerator, dst.GpuView(), src.GpuPacked().GpuView(), dst.GpuView(), dst.Numel);
    }
}
