// Softmax-cross-entropy GPU variants — CrossEntropyForwardGpu / CrossEntropyBackwardGpu, the
// device versions of CrossEntropyForwardNaive / CrossEntropyBackwardNaive (Softmax.cs).
//
// Shapes: logits and probs (rows, cols), labels (rows) ints in [0, cols), losses and dLosses (rows).
//
// Forward launch: one thread per row (auto-grouped). Each thread makes the reference's three
// passes over its row — max, Σ e^(x − max) writing the exponentials to probs, then the division —
// so the row is read from global memory twice and probs written and re-read once. That is right
// for the classifier heads here (cols = 10 classes: a row is 40 bytes, one or two cache lines);
// for vocabulary-sized rows the next variant gives each row a group and reduces max and sum in
// shared memory, as Reduce.Gpu.cs does.
// Backward launch: one thread per element (auto-grouped), dLogits[r,c] = (probs[r,c] − [c = label])
// · dLosses[r]: a pure streaming kernel, coalesced along c.
// Memory hierarchy: global memory and registers only (max, sum, the label); no shared memory.
// Labels are not range-checked on the device (a kernel cannot throw): the span overloads check
// them on the host before uploading.
//
// Run: dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~Gpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace FusionScratch.Kernels;

public static partial class SoftmaxKernels
{
    /// <summary>
    /// Fused softmax + cross-entropy forward on the device (asynchronous): probs[r,:] =
    /// softmax(logits[r,:]) and losses[r] = log Σc e^logits[r,c] − logits[r, labels[r]].
    /// probs may be logits.
    /// </summary>
    public static void CrossEntropyForwardGpu(Accelerator accelerator, ArrayView<float> logits, ArrayView<int> labels, int rows, int cols,
        ArrayView<float> probs, ArrayView<float> losses)
    {
        CheckGpuCrossEntropy(logits.Length, labels.Length, rows, cols, probs.Length, losses.Length);
        if (rows == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, CrossEntropyForwardGpuKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int, ArrayView<float>, ArrayView<float>>(
                CrossEntropyForwardGpuKernel));
        kernel(rows, logits, labels, cols, probs, losses);
    }

    /// <summary>
    /// Fused softmax + cross-entropy backward on the device (asynchronous):
    /// dLogits[r,c] = (probs[r,c] − [c = labels[r]])·dLosses[r]. dLogits may be probs.
    /// </summary>
    public static void CrossEntropyBackwardGpu(Accelerator accelerator, ArrayView<float> probs, ArrayView<int> labels, ArrayView<float> dLosses,
        int rows, int cols, ArrayView<float> dLogits)
    {
        CheckGpuCrossEntropy(probs.Length, labels.Length, rows, cols, dLogits.Length, dLosses.Length);
        if (rows == 0 || cols == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, CrossEntropyBackwardGpuKernel,
            static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, ArrayView<float>>(
                CrossEntropyBackwardGpuKernel));
        kernel(rows * cols, probs, labels, dLosses, cols, dLogits);
    }

    /// <summary>The forward on host spans (labels checked here), for tests and benchmarks.</summary>
    public static void CrossEntropyForwardGpu(Accelerator accelerator, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int rows, int cols,
        Span<float> probs, Span<float> losses)
    {
        CheckCrossEntropy("cross-entropy forward (gpu)", "logits", logits.Length, labels, rows, cols, "probs", probs.Length, "losses", losses.Length);
        using var dx = GpuLaunch.Upload(accelerator, logits);
        using var dl = GpuLaunch.Upload(accelerator, labels);
        using var dp = GpuLaunch.Zeros(accelerator, probs.Length);
        using var dloss = GpuLaunch.Zeros(accelerator, losses.Length);
        CrossEntropyForwardGpu(accelerator, dx.View, dl.View, rows, cols, dp.View, dloss.View);
        GpuLaunch.Download(dp.View, probs);
        GpuLaunch.Download(dloss.View, losses);
    }

    /// <summary>The backward on host spans (labels checked here), for tests and benchmarks.</summary>
    public static void CrossEntropyBackwardGpu(Accelerator accelerator, ReadOnlySpan<float> probs, ReadOnlySpan<int> labels, ReadOnlySpan<float> dLosses,
        int rows, int cols, Span<float> dLogits)
    {
        CheckCrossEntropy("cross-entropy backward (gpu)", "probs", probs.Length, labels, rows, cols, "dLogits", dLogits.Length, "dLosses", dLosses.Length);
        using var dp = GpuLaunch.Upload(accelerator, probs);
        using var dl = GpuLaunch.Upload(accelerator, labels);
        using var dd = GpuLaunch.Upload(accelerator, dLosses);
        using var dx = GpuLaunch.Zeros(accelerator, dLogits.Length);
        CrossEntropyBackwardGpu(accelerator, dp.View, dl.View, dd.View, rows, cols, dx.View);
        GpuLaunch.Download(dx.View, dLogits);
    }

    // One thread owns row r: the reference's loops, with max and sum in registers.
    private static void CrossEntropyForwardGpuKernel(Index1D r, ArrayView<float> logits, ArrayView<int> labels, int cols,
        ArrayView<float> probs, ArrayView<float> losses)
    {
        int o = r * cols;
        float picked = logits[o + labels[r]]; // read before probs overwrites it when they alias
        float max = float.NegativeInfinity;
        for (int c = 0; c < cols; c++) max = XMath.Max(max, logits[o + c]);
        float sum = 0f;
        for (int c = 0; c < cols; c++)
        {
            float e = XMath.Exp(logits[o + c] - max);
            probs[o + c] = e;
            sum += e;
        }
        for (int c = 0; c < cols; c++) probs[o + c] /= sum;
        losses[r] = (max - picked) + XMath.Log(sum);
    }

    // One thread per element i = r·cols + c.
    private static void CrossEntropyBackwardGpuKernel(Index1D i, ArrayView<float> probs, ArrayView<int> labels, ArrayView<float> dLosses,
        int cols, ArrayView<float> dLogits)
    {
        int r = i / cols, c = i - r * cols;
        dLogits[i] = (probs[i] - (c == labels[r] ? 1f : 0f)) * dLosses[r];
    }

    private static void CheckGpuCrossEntropy(long xLength, long labelsLength, int rows, int cols, long outLength, long rowOutLength)
    {
        if (rows < 0 || cols <= 0 && rows > 0)
            throw new ArgumentException($"cross-entropy (gpu): bad shape {rows}×{cols}");
        long n = (long)rows * cols;
        if (xLength < n || outLength < n || labelsLength < rows || rowOutLength < rows)
            throw new ArgumentException($"cross-entropy (gpu): a view is too short for {rows}×{cols}");
    }
}
