// Device — moving tensors between the CPU and a GPU, and the GPU halves of the ops that have one.
//
// Transfers are explicit: To(device) is the only way data crosses between host and device. An op
// whose inputs are all on one GPU runs there (MatMul, Add/Relu/Sum, their backward rules and the
// gradient accumulation in Backward); inputs on different devices are an error naming both, never
// a silent copy. GPU ops need contiguous inputs, except MatMul's transposed views (which become
// the kernel's trans flag, as on the CPU).
//
// Ops on the GPU so far: MatMul (GpuTiled), Add (same shape, or (rows, cols) + (cols) as a bias),
// Relu, Sum() — enough for a Linear layer's forward and backward. Every other op throws
// NotSupportedException for a tensor on the GPU (through CpuArray), naming To(Device.Cpu).

using FusionScratch.Kernels;
using FusionScratch.Kernels.Elementwise;
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
        if (Numel > 0) gpu.View.CopyFromCPU(ReadContiguous().ToArray());
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

    /// <summary>MatMul on the GPU: op(a)·op(b) with the tiled kernel (shapes already checked).</summary>
    private static Tensor MatMulGpu(Tensor a, Tensor b, bool transposeA, bool transposeB, int M, int N, int K)
    {
        var acc = a.GpuAccelerator;
        ArrayView<float> av = GemmOperandGpu(a, transposeA, out bool aT);
        ArrayView<float> bv = GemmOperandGpu(b, transposeB, out bool bT);
        var c = EmptyOn(a.Device, Shape.Of(M, N));
        MatMulKernels.GpuTiled(acc, av, aT, bv, bT, M, N, K, 1f, 0f, c.GpuView());
        return c;
    }

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

    /// <summary>a + b on the GPU: same shapes, or a (rows, cols) and b (cols) — a bias add.</summary>
    private static Tensor AddGpu(Tensor a, Tensor b)
    {
        var acc = a.GpuAccelerator;
        var z = EmptyOn(a.Device, a.Shape);
        if (a.Shape == b.Shape)
        {
            ElementwiseKernels.BinaryGpu<Add>(acc, a.GpuView(), b.GpuView(), z.GpuView(), a.Numel);
            return Record(z, "add", [a, b], g => [g, g]);
        }
        if (a.Rank == 2 && b.Rank == 1 && b.Shape[0] == a.Shape[1])
        {
            int rows = a.Shape[0], cols = a.Shape[1];
            ElementwiseKernels.RowBroadcastGpu<Add>(acc, a.GpuView(), b.GpuView(), z.GpuView(), rows, cols);
            // d bias = Σ over rows of g: a sum over axis 0 of (1, rows, cols).
            return Record(z, "add", [a, b], g => [g, SumAxisGpu(g, 1, rows, cols)]);
        }
        throw new NotSupportedException($"add on the GPU: shapes {a.Shape} and {b.Shape} (only equal shapes and (rows, cols) + (cols) so far)");
    }

    /// <summary>y[o,i] = Σa x[o,a,i] on the GPU, as a (outer·inner) tensor shaped (inner) when outer = 1.</summary>
    private static Tensor SumAxisGpu(Tensor x, int outer, int axis, int inner)
    {
        var y = EmptyOn(x.Device, outer == 1 ? Shape.Of(inner) : Shape.Of(outer, inner));
        ReduceKernels.SumGpu(x.GpuAccelerator, x.GpuView(), outer, axis, inner, y.GpuView());
        return y;
    }

    /// <summary>max(x, 0) on the GPU, backward ReluBackward(x, g) on the GPU.</summary>
    private Tensor ReluGpu()
    {
        var acc = GpuAccelerator;
        var y = EmptyOn(Device, Shape);
        ElementwiseKernels.UnaryGpu<Relu>(acc, GpuView(), y.GpuView(), Numel);
        return Record(y, "relu", [this], g =>
        {
            var dx = EmptyOn(Device, Shape);
            ElementwiseKernels.BinaryGpu<ReluBackward>(acc, GpuView(), g.GpuView(), dx.GpuView(), Numel);
            return [dx];
        });
    }

    /// <summary>Σ of all elements on the GPU (a one-element GPU tensor); backward broadcasts g to every element.</summary>
    private Tensor SumAllGpu()
    {
        var y = EmptyOn(Device, Shape.Scalar);
        ReduceKernels.SumGpu(GpuAccelerator, GpuView(), 1, Numel, 1, y.GpuView());
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
        var y = EmptyOn(Device, Shape);
        y.GpuView().CopyFrom(GpuView());
        return y;
    }

    /// <summary>dst += src on the GPU (gradient accumulation).</summary>
    internal static void AddIntoGpu(Tensor src, Tensor dst)
    {
        OnGpu(src, dst, "gradient accumulation");
        ElementwiseKernels.BinaryGpu<Add>(dst.GpuAccelerator, dst.GpuView(), src.GpuView(), dst.GpuView(), dst.Numel);
    }
}
