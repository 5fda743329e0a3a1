// Elementwise GPU kernels (UnaryGpu, BinaryGpu, RowBroadcastGpu) against the naive CPU kernels,
// with the same op structs on both sides, at ragged lengths up to 64 (simulator-sized).

using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Gpu;
using FusionScratch.Kernels.Simd;
using FusionScratch.Tests.Support;
using ILGPU.Runtime;

namespace FusionScratch.Tests.Gpu;

[Collection(nameof(GpuTests))]
public class ElementwiseGpuTests
{
    private static readonly int[] Lengths = { 0, 1, 7, 33, 64 };

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void Unary_Gpu_MatchesNaive(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        CheckUnary<Relu>(acc, -3f, 3f);
        CheckUnary<Silu>(acc, -6f, 6f);
        CheckUnary<Sigmoid>(acc, -20f, 20f);
        CheckUnary<Tanh>(acc, -5f, 5f);
        CheckUnary<Exp>(acc, -10f, 10f);
        CheckUnary<Log>(acc, 0.01f, 10f);
        CheckUnary<Sqrt>(acc, 0f, 10f);
        CheckUnary<Square>(acc, -3f, 3f);
        CheckUnary<Neg>(acc, -3f, 3f);
        CheckUnary<Abs>(acc, -3f, 3f);
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void Binary_Gpu_MatchesNaive(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        CheckBinary<Add>(acc);
        CheckBinary<Sub>(acc);
        CheckBinary<Mul>(acc);
        CheckBinary<Div>(acc);
        CheckBinary<Maximum>(acc);
        CheckBinary<ReluBackward>(acc);
        CheckBinary<TanhBackward>(acc);
        CheckBinary<SiluBackward>(acc);
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void RowBroadcast_Gpu_MatchesNaive(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        foreach (var (rows, cols) in new[] { (1, 1), (5, 7), (3, 16) })
        {
            var x = Check.Random(rows * cols, 1);
            var bias = Check.Random(cols, 2);
            var expected = new float[rows * cols];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    expected[r * cols + c] = x[r * cols + c] + bias[c];
            using var dx = GpuLaunch.Upload(acc, x);
            using var db = GpuLaunch.Upload(acc, bias);
            using var dz = GpuLaunch.Zeros(acc, rows * cols);
            ElementwiseKernels.RowBroadcastGpu<Add>(acc, dx.View, db.View, dz.View, rows, cols);
            var actual = new float[rows * cols];
            GpuLaunch.Download(dz.View, actual);
            Check.Close(expected, actual, 0f, 0f, $"{device} bias add {rows}x{cols}");
        }
    }

    private static void CheckUnary<TOp>(Accelerator acc, float lo, float hi) where TOp : struct, IScalarUnaryOp
    {
        foreach (int n in Lengths)
        {
            var x = Check.Random(n, n + 1, lo, hi);
            var expected = new float[n];
            var actual = new float[n];
            ElementwiseKernels.UnaryNaive<TOp>(x, expected);
            ElementwiseKernels.UnaryGpu<TOp>(acc, x, actual);
            // GPU math (CUDA's exp/log/tanh) may differ from MathF in the last bits.
            Check.Close(expected, actual, 1e-6f, 1e-5f, $"{typeof(TOp).Name} n={n}");
        }
    }

    private static void CheckBinary<TOp>(Accelerator acc) where TOp : struct, IScalarBinaryOp
    {
        foreach (int n in Lengths)
        {
            var x = Check.Random(n, n + 1, 0.1f, 2f);
            var y = Check.Random(n, n + 100, -2f, 2f);
            var expected = new float[n];
            var actual = new float[n];
            ElementwiseKernels.BinaryNaive<TOp>(x, y, expected);
            ElementwiseKernels.BinaryGpu<TOp>(acc, x, y, actual);
            Check.Close(expected, actual, 1e-6f, 1e-5f, $"{typeof(TOp).Name} n={n}");
        }
    }
}
