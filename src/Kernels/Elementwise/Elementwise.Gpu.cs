// Elementwise GPU variants — the last entries of Elementwise.cs's variant list, kept in their own
// file because they are ILGPU code (the CPU file stays free of device types).
//
// Shapes: x, y, z flat device views of n floats; the row broadcast takes x as (rows, cols) and
// y as (cols), the bias-add shape of a Linear layer.
// Variants:
//   UnaryGpu<TOp>      y[i] = TOp(x[i]), one thread per element.
//   BinaryGpu<TOp>     z[i] = TOp(x[i], y[i]), one thread per element.
//   RowBroadcastGpu<TOp>  z[r,c] = TOp(x[r,c], y[c]) (e.g. + bias), one thread per element.
//   ScalarGpu<TOp>     y[i] = TOp(x[i], s) with s a float argument (x·0.5, x + 1).
//   ScalarLeftGpu<TOp> y[i] = TOp(s, x[i]) (1 − x, 1 / x).
//   FillGpu            y[i] = value (Full, ones for the loss seed).
// General broadcasting is not a kernel of its own on the device: the tensor layer expands the
// smaller operand (a stride-0 view) and packs it with Layout's StridedGpu, then runs BinaryGpu.
// The op is the same struct the CPU kernels use (UnaryOps.cs, BinaryOps.cs), constrained on its
// scalar-only interface (IScalarUnaryOp / IScalarBinaryOp): ILGPU compiles a separate kernel per
// op type, with TOp.Invoke inlined, exactly as the JIT specialises the CPU drivers. ILGPU cannot
// compile Vector256 code, which is why the scalar interface stands apart in Simd/Operators.cs.
//
// Memory hierarchy: global memory only, nothing to reuse — each element is read once and written
// once, so these kernels are bandwidth-bound; consecutive threads touch consecutive floats, so
// every warp's loads and stores coalesce into full transactions. The win over the CPU comes from
// bandwidth (HBM) alone, and from never leaving the device between ops.
// Aliasing: as on the CPU, the output may be exactly an input (each thread reads before it writes
// its own element).
//
// Run: dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~Gpu

using FusionScratch.Kernels.Gpu;
using FusionScratch.Kernels.Simd;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Kernels.Elementwise;

public static partial class ElementwiseKernels
{
    /// <summary>y[i] = TOp(x[i]) for the first n elements, on the device (asynchronous).</summary>
    public static void UnaryGpu<TOp>(Accelerator accelerator, ArrayView<float> x, ArrayView<float> y, int n)
        where TOp : struct, IScalarUnaryOp
    {
        CheckGpuLength(n, x.Length, y.Length);
        if (n == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, UnaryGpuKernel<TOp>,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(UnaryGpuKernel<TOp>));
        kernel(n, x, y);
    }

    /// <summary>z[i] = TOp(x[i], y[i]) for the first n elements, on the device (asynchronous).</summary>
    public static void BinaryGpu<TOp>(Accelerator accelerator, ArrayView<float> x, ArrayView<float> y, ArrayView<float> z, int n)
        where TOp : struct, IScalarBinaryOp
    {
        CheckGpuLength(n, x.Length, y.Length, z.Length);
        if (n == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, BinaryGpuKernel<TOp>,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(BinaryGpuKernel<TOp>));
        kernel(n, x, y, z);
    }

    /// <summary>z[r,c] = TOp(x[r,c], y[c]) with x and z (rows, cols) and y (cols), on the device (asynchronous).</summary>
    public static void RowBroadcastGpu<TOp>(Accelerator accelerator, ArrayView<float> x, ArrayView<float> y, ArrayView<float> z, int rows, int cols)
        where TOp : struct, IScalarBinaryOp
    {
        if (rows < 0 || cols < 0) throw new ArgumentException($"row broadcast (gpu): negative shape {rows}×{cols}");
        int n = checked(rows * cols);
        CheckGpuLength(n, x.Length, z.Length);
        CheckGpuLength(cols, y.Length);
        if (n == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, RowBroadcastGpuKernel<TOp>,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(RowBroadcastGpuKernel<TOp>));
        kernel(n, x, y, z, cols);
    }

    /// <summary>y[i] = TOp(x[i], s) for the first n elements, on the device (asynchronous).</summary>
    public static void ScalarGpu<TOp>(Accelerator accelerator, ArrayView<float> x, float s, ArrayView<float> y, int n)
        where TOp : struct, IScalarBinaryOp
    {
        CheckGpuLength(n, x.Length, y.Length);
        if (n == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, ScalarGpuKernel<TOp>,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float, ArrayView<float>>(ScalarGpuKernel<TOp>));
        kernel(n, x, s, y);
    }

    /// <summary>y[i] = TOp(s, x[i]) for the first n elements, on the device (asynchronous).</summary>
    public static void ScalarLeftGpu<TOp>(Accelerator accelerator, float s, ArrayView<float> x, ArrayView<float> y, int n)
        where TOp : struct, IScalarBinaryOp
    {
        CheckGpuLength(n, x.Length, y.Length);
        if (n == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, ScalarLeftGpuKernel<TOp>,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, float, ArrayView<float>, ArrayView<float>>(ScalarLeftGpuKernel<TOp>));
        kernel(n, s, x, y);
    }

    /// <summary>y[i] = value for the first n elements, on the device (asynchronous).</summary>
    public static void FillGpu(Accelerator accelerator, float value, ArrayView<float> y, int n)
    {
        CheckGpuLength(n, y.Length);
        if (n == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, FillGpuKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, float, ArrayView<float>>(FillGpuKernel));
        kernel(n, value, y);
    }

    /// <summary>UnaryGpu on host spans: upload, run, download (tests and benchmarks).</summary>
    public static void UnaryGpu<TOp>(Accelerator accelerator, ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IScalarUnaryOp
    {
        CheckSameLength(x.Length, y.Length, nameof(y));
        using var dx = GpuLaunch.Upload(accelerator, x);
        using var dy = GpuLaunch.Zeros(accelerator, y.Length);
        UnaryGpu<TOp>(accelerator, dx.View, dy.View, x.Length);
        GpuLaunch.Download(dy.View, y);
    }

    /// <summary>BinaryGpu on host spans: upload, run, download (tests and benchmarks).</summary>
    public static void BinaryGpu<TOp>(Accelerator accelerator, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z)
        where TOp : struct, IScalarBinaryOp
    {
        CheckSameLength(x.Length, y.Length, nameof(y));
        CheckSameLength(x.Length, z.Length, nameof(z));
        using var dx = GpuLaunch.Upload(accelerator, x);
        using var dy = GpuLaunch.Upload(accelerator, y);
        using var dz = GpuLaunch.Zeros(accelerator, z.Length);
        BinaryGpu<TOp>(accelerator, dx.View, dy.View, dz.View, x.Length);
        GpuLaunch.Download(dz.View, z);
    }

    private static void UnaryGpuKernel<TOp>(Index1D i, ArrayView<float> x, ArrayView<float> y) where TOp : struct, IScalarUnaryOp
        => y[i] = TOp.Invoke(x[i]);

    private static void BinaryGpuKernel<TOp>(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> z)
        where TOp : struct, IScalarBinaryOp
        => z[i] = TOp.Invoke(x[i], y[i]);

    private static void ScalarGpuKernel<TOp>(Index1D i, ArrayView<float> x, float s, ArrayView<float> y) where TOp : struct, IScalarBinaryOp
        => y[i] = TOp.Invoke(x[i], s);

    private static void ScalarLeftGpuKernel<TOp>(Index1D i, float s, ArrayView<float> x, ArrayView<float> y) where TOp : struct, IScalarBinaryOp
        => y[i] = TOp.Invoke(s, x[i]);

    private static void FillGpuKernel(Index1D i, float value, ArrayView<float> y) => y[i] = value;

    // i = r·cols + c; the broadcast operand is read at c = i mod cols (the same few floats for
    // every row, so they stay in the L1/L2 cache).
    private static void RowBroadcastGpuKernel<TOp>(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> z, int cols)
        where TOp : struct, IScalarBinaryOp
        => z[i] = TOp.Invoke(x[i], y[i % cols]);

    private static void CheckGpuLength(int n, params long[] viewLengths)
    {
        if (n < 0) throw new ArgumentException($"elementwise (gpu): negative length {n}");
        foreach (long length in viewLengths)
            if (length < n)
                throw new ArgumentException($"elementwise (gpu): a view of {length} elements is shorter than n = {n}");
    }
}
