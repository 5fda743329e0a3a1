// ReduceKernels.SumGpu / MaxGpu / MaxBackwardGpu and the softmax, log-softmax and
// softmax-cross-entropy GPU kernels against their naive CPU references, at small ragged shapes
// (every axis position, an axis or row longer than one 128-thread group, ties, NaN, ±∞, large logits).

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

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void Max_Gpu_MatchesNaive_WithFirstIndexAndGatherBackward(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        // Values rounded to halves, so slices hold ties (the first index must win); a NaN and a
        // −∞-only slice in the last case. (1, 300, 1): the axis is longer than the 128-thread group.
        foreach (var (o, a, i) in new[] { (3, 7, 1), (2, 5, 3), (1, 300, 1), (2, 4, 2) })
        {
            var x = Check.Random(o * a * i, 3 * o + a + i, -3f, 3f).Select(v => MathF.Round(v * 2f) / 2f).ToArray();
            if (o == 2 && a == 4)
            {
                x[(0 * a + 2) * i + 1] = float.NaN;                                         // slice (0, 1): NaN at a = 2
                for (int k = 0; k < a; k++) x[(1 * a + k) * i + 0] = float.NegativeInfinity; // slice (1, 0): all −∞
            }
            var yN = new float[o * i]; var idxN = new int[o * i];
            var yG = new float[o * i]; var idxG = new int[o * i];
            ReduceKernels.MaxNaive(x, o, a, i, yN);
            ReduceKernels.ArgMaxNaive(x, o, a, i, idxN);
            ReduceKernels.MaxGpu(acc, x, o, a, i, yG, idxG);
            Check.Close(yN, yG, 0f, 0f, $"{device} max {o}x{a}x{i}");
            Assert.Equal(idxN, idxG);

            // Backward: the CPU rule (scatter dy to the first maximum, zeros elsewhere) against the gather.
            var dy = Check.Random(o * i, 11);
            var dxN = new float[o * a * i];
            for (int oo = 0; oo < o; oo++)
                for (int ii = 0; ii < i; ii++)
                    dxN[(oo * a + idxN[oo * i + ii]) * i + ii] = dy[oo * i + ii];
            var dxG = Enumerable.Repeat(float.NaN, o * a * i).ToArray(); // overwritten everywhere
            ReduceKernels.MaxBackwardGpu(acc, dy, idxN, o, a, i, dxG);
            Check.Close(dxN, dxG, 0f, 0f, $"{device} max backward {o}x{a}x{i}");
        }
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void SoftmaxAndLogSoftmax_Gpu_MatchNaive_ForwardAndBackward(GpuKind device)
    {
        var acc = Accelerators.Get(device);
        // (2, 300): a row longer than the group; (3, 10) gets logits of 1e4 in row 1 (stability)
        // and a −∞ in row 2 (a zero probability).
        foreach (var (rows, cols) in new[] { (1, 1), (3, 10), (2, 300) })
        {
            var x = Check.Random(rows * cols, rows + cols, -8f, 8f);
            if (cols == 10)
            {
                for (int c = 0; c < cols; c++) x[cols + c] += 1e4f;
                x[2 * cols + 3] = float.NegativeInfinity;
            }
            var dy = Check.Random(rows * cols, 5);
            string at = $"{device} {rows}x{cols}";

            var yN = new float[rows * cols]; var yG = new float[rows * cols];
            SoftmaxKernels.SoftmaxNaive(x, rows, cols, yN);
            SoftmaxKernels.SoftmaxGpu(acc, x, rows, cols, yG);
            Check.Close(yN, yG, 1e-6f, 1e-5f, $"{at} softmax");
            var dN = new float[rows * cols]; var dG = new float[rows * cols];
            SoftmaxKernels.SoftmaxBackwardNaive(yN, dy, rows, cols, dN);
            SoftmaxKernels.SoftmaxBackwardGpu(acc, yN, dy, rows, cols, dG);
            Check.Close(dN, dG, 1e-6f, 1e-4f, $"{at} softmax backward");

            var lN = new float[rows * cols]; var lG = new float[rows * cols];
            SoftmaxKernels.LogSoftmaxNaive(x, rows, cols, lN);
            SoftmaxKernels.LogSoftmaxGpu(acc, x, rows, cols, lG);
            Check.Close(lN, lG, 1e-5f, 1e-5f, $"{at} log-softmax");
            SoftmaxKernels.LogSoftmaxBackwardNaive(lN, dy, rows, cols, dN);
            SoftmaxKernels.LogSoftmaxBackwardGpu(acc, lN, dy, rows, cols, dG);
            Check.Close(dN, dG, 1e-5f, 1e-4f, $"{at} log-softmax backward");
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
