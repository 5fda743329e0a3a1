// ReduceKernels.SumGpu and the softmax-cross-entropy GPU kernels against their naive CPU
// references, at small ragged shapes (every axis position, an axis longer than one group).

using FusionScratch.Kernels;
using FusionScratch.Kernels.Gpu;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Gpu;

[Collection(nameof(GpuTests))]
public class ReduceSoftmaxGpuTests
{
    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void Sum_Gpu_MatchesNaive(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        // (outer, axis, inner): last axis, middle axis, an empty axis, axis > 128 threads. One
        // group per output and each barrier is slow on the simulator: few outputs per case.
        foreach (var (o, a, i) in new[] { (3, 7, 1), (2, 5, 3), (1, 0, 2), (1, 300, 1) })
        {
            var x = Check.Random(o * a * i, o + a + i);
            var expected = new float[o * i];
            var actual = new float[o * i];
            ReduceKernels.SumNaive(x, o, a, i, expected);
            ReduceKernels.SumGpu(acc, x, o, a, i, actual);
            Check.Close(expected, actual, 1e-5f, 1e-5f, $"{device} sum {o}x{a}x{i}");
        }
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void CrossEntropy_Gpu_MatchesNaive(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        foreach (var (rows, cols) in new[] { (1, 1), (5, 10), (13, 3) })
        {
            var logits = Check.Random(rows * cols, rows, -8f, 8f);
            var rng = new Random(cols);
            var labels = Enumerable.Range(0, rows).Select(_ => rng.Next(cols)).ToArray();
            var dLosses = Check.Random(rows, 7);

            var probsN = new float[rows * cols]; var lossN = new float[rows];
            var probsG = new float[rows * cols]; var lossG = new float[rows];
            SoftmaxKernels.CrossEntropyForwardNaive(logits, labels, rows, cols, probsN, lossN);
            SoftmaxKernels.CrossEntropyForwardGpu(acc, logits, labels, rows, cols, probsG, lossG);
            Check.Close(probsN, probsG, 1e-6f, 1e-5f, $"{device} probs {rows}x{cols}");
            Check.Close(lossN, lossG, 1e-5f, 1e-5f, $"{device} losses {rows}x{cols}");

            var dN = new float[rows * cols]; var dG = new float[rows * cols];
            SoftmaxKernels.CrossEntropyBackwardNaive(probsN, labels, dLosses, rows, cols, dN);
            SoftmaxKernels.CrossEntropyBackwardGpu(acc, probsN, labels, dLosses, rows, cols, dG);
            Check.Close(dN, dG, 0f, 0f, $"{device} dLogits {rows}x{cols}");
        }
    }

    [Fact]
    public void CrossEntropy_Gpu_RejectsBadLabel()
    {
        var acc = Accelerators.Get(GpuKind.CpuSimulator);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            SoftmaxKernels.CrossEntropyForwardGpu(acc, new float[6], new[] { 0, 3 }, 2, 3, new float[6], new float[2]));
    }
}
