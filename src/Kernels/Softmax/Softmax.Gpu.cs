// Softmax GPU variants — the device versions of Softmax.cs's naive kernels:
//   SoftmaxGpu / LogSoftmaxGpu and their backward passes   one group per row (below)
//   CrossEntropyForwardGpu / CrossEntropyBackwardGpu        one thread per row / per element (further below)
//
// Shapes: x, y, dy, dx, logits and probs (rows, cols), labels (rows) ints in [0, cols), losses and
// dLosses (rows).
//
// Softmax and log-softmax, forward and backward: one group of GroupReduce.Size = 128 threads per
// row, explicitly grouped; thread t owns the columns c = t, t + 128, … (a strided walk: the 128
// threads read 128 neighbouring floats per step, coalesced, and a long row is shared evenly).
//   forward   m = max of the row (register partials, then the shared-memory tree GroupReduce.Max),
//             s = Σ e^(x − m) (the same with GroupReduce.Sum), then each thread writes its columns:
//             e^(x − m)/s, or (x − m) − log s. x is read three times, y written once; recomputing
//             e^(x − m) is cheaper than writing the exponentials out and reading them back.
//   backward  softmax: d = Σ dy·y per row (tree), dx = y·(dy − d); log-softmax: d = Σ dy,
//             dx = dy − e^y·d. Same order of operations as the naive loops.
// Memory hierarchy: global (coalesced strided walks), registers (each thread's partial), shared
// memory (128 floats for the trees, reused by both reductions). Every thread reaches every barrier
// (inside GroupReduce): a thread with no columns brings the identity (−∞ for max, 0 for sums).
// Rounding: the tree sums in another order than the naive left-to-right loop, so results agree to
// rounding, not bit for bit. In place as the CPU kernels: y may be x, dx may be dy (each thread
// reads an element before it writes it, and all reads of a row end at a barrier before any write).
//
// Cross-entropy forward launch: one thread per row (auto-grouped). Each thread makes the reference's three
// passes over its row — max, Σ e^(x − max) writing the exponentials to probs, then the division —
// so the row is read from global memory twice and probs written and re-read once. That is right
// for the classifier heads here (cols = 10 classes: a row is 40 bytes, one or two cache lines);
// for vocabulary-sized rows, a group per row as in SoftmaxGpu above would share the work.
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
    /// <summary>Softmax over each row on the device (asynchronous): y[r,c] = e^x[r,c] / Σk e^x[r,k], as <see cref="SoftmaxNaive"/>. y may be x.</summary>
    public static void SoftmaxGpu(Accelerator accelerator, ArrayView<float> x, int rows, int cols, ArrayView<float> y) =>
        RowsGpu(accelerator, x, default, rows, cols, y, RowOp.Softmax);

    /// <summary>Log-softmax over each row on the device (asynchronous): y[r,c] = x[r,c] − log Σk e^x[r,k], as <see cref="LogSoftmaxNaive"/>. y may be x.</summary>
    public static void LogSoftmaxGpu(Accelerator accelerator, ArrayView<float> x, int rows, int cols, ArrayView<float> y) =>
        RowsGpu(accelerator, x, default, rows, cols, y, RowOp.LogSoftmax);

    /// <summary>Softmax backward on the device (asynchronous): dx[r,c] = y[r,c]·(dy[r,c] − Σk dy[r,k]·y[r,k]), as <see cref="SoftmaxBackwardNaive"/>.</summary>
    public static void SoftmaxBackwardGpu(Accelerator accelerator, ArrayView<float> y, ArrayView<float> dy, int rows, int cols, ArrayView<float> dx) =>
        RowsGpu(accelerator, y, dy, rows, cols, dx, RowOp.SoftmaxBackward);

    /// <summary>Log-softmax backward on the device (asynchronous): dx[r,c] = dy[r,c] − e^y[r,c]·Σk dy[r,k], as <see cref="LogSoftmaxBackwardNaive"/>.</summary>
    public static void LogSoftmaxBackwardGpu(Accelerator accelerator, ArrayView<float> y, ArrayView<float> dy, int rows, int cols, ArrayView<float> dx) =>
        RowsGpu(accelerator, y, dy, rows, cols, dx, RowOp.LogSoftmaxBackward);

    /// <summary>SoftmaxGpu on host spans: upload, run, download (tests and benchmarks).</summary>
    public static void SoftmaxGpu(Accelerator accelerator, ReadOnlySpan<float> x, int rows, int cols, Span<float> y) =>
        RowsGpu(accelerator, x, default, rows, cols, y, RowOp.Softmax);

    /// <summary>LogSoftmaxGpu on host spans: upload, run, download.</summary>
    public static void LogSoftmaxGpu(Accelerator accelerator, ReadOnlySpan<float> x, int rows, int cols, Span<float> y) =>
        RowsGpu(accelerator, x, default, rows, cols, y, RowOp.LogSoftmax);

    /// <summary>SoftmaxBackwardGpu on host spans: upload, run, download.</summary>
    public static void SoftmaxBackwardGpu(Accelerator accelerator, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx) =>
        RowsGpu(accelerator, y, dy, rows, cols, dx, RowOp.SoftmaxBackward);

    /// <summary>LogSoftmaxBackwardGpu on host spans: upload, run, download.</summary>
    public static void LogSoftmaxBackwardGpu(Accelerator accelerator, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx) =>
        RowsGpu(accelerator, y, dy, rows, cols, dx, RowOp.LogSoftmaxBackward);

    // Which row computation RowKernel makes (an int in the kernel: arguments are blittable).
    private enum RowOp { Softmax, LogSoftmax, SoftmaxBackward, LogSoftmaxBackward }

    private static bool IsBackward(RowOp op) => op is RowOp.SoftmaxBackward or RowOp.LogSoftmaxBackward;

    private static string Name(RowOp op) => op switch
    {
        RowOp.Softmax => "softmax (gpu)",
        RowOp.LogSoftmax => "log-softmax (gpu)",
        RowOp.SoftmaxBackward => "softmax backward (gpu)",
        _ => "log-softmax backward (gpu)",
    };

    // One launch for the four ops: x is the input (y for the backward passes), dy only for them.
    private static void RowsGpu(Accelerator accelerator, ArrayView<float> x, ArrayView<float> dy, int rows, int cols, ArrayView<float> y, RowOp op)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentException($"{Name(op)}: negative shape {rows}×{cols}");
        long n = (long)rows * cols;
        if (x.Length < n || y.Length < n || IsBackward(op) && dy.Length < n)
            throw new ArgumentException($"{Name(op)}: a view is too short for {rows}×{cols}");
        if (n == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, RowKernel,
            static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, ArrayView<float>, int>(RowKernel));
        kernel(new KernelConfig(rows, GroupReduce.Size), x, IsBackward(op) ? dy : x, cols, y, (int)op);
    }

    private static void RowsGpu(Accelerator accelerator, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, int cols, Span<float> y, RowOp op)
    {
        string name = Name(op);
        CheckMatrix(name, IsBackward(op) ? "y" : "x", x.Length, rows, cols);
        if (IsBackward(op)) CheckMatrix(name, "dy", dy.Length, rows, cols);
        CheckMatrix(name, IsBackward(op) ? "dx" : "y", y.Length, rows, cols);
        GpuLaunch.RoundTrip(accelerator, x, dy, default, y, default, (dx, ddy, _, dout, _) => RowsGpu(accelerator, dx, ddy, rows, cols, dout, op));
    }

    // Group r owns row r; thread t its columns t, t + 128, …  (see the header).
    private static void RowKernel(ArrayView<float> x, ArrayView<float> dy, int cols, ArrayView<float> y, int op)
    {
        ArrayView<float> scratch = SharedMemory.Allocate<float>(GroupReduce.Size);
        int o = Grid.IdxX * cols, t = Group.IdxX;
        if (op == (int)RowOp.Softmax || op == (int)RowOp.LogSoftmax)
        {
            float m = float.NegativeInfinity;
            for (int c = t; c < cols; c += GroupReduce.Size) m = GroupReduce.MaxPropagatingNaN(m, x[o + c]);
            m = GroupReduce.Max(scratch, m);
            float s = 0f;
            for (int c = t; c < cols; c += GroupReduce.Size) s += XMath.Exp(x[o + c] - m);
            s = GroupReduce.Sum(scratch, s);
            if (op == (int)RowOp.Softmax)
                for (int c = t; c < cols; c += GroupReduce.Size) y[o + c] = XMath.Exp(x[o + c] - m) / s;
            else
            {
                float logSum = XMath.Log(s);
                for (int c = t; c < cols; c += GroupReduce.Size) y[o + c] = (x[o + c] - m) - logSum; // (x − m) − log Σ, as the naive loop
            }
        }
        else
        {
            // Backward: x holds the forward's output y.
            bool soft = op == (int)RowOp.SoftmaxBackward;
            float d = 0f;
            for (int c = t; c < cols; c += GroupReduce.Size) d += soft ? dy[o + c] * x[o + c] : dy[o + c];
            d = GroupReduce.Sum(scratch, d);
            for (int c = t; c < cols; c += GroupReduce.Size)
                y[o + c] = soft ? x[o + c] * (dy[o + c] - d) : dy[o + c] - XMath.Exp(x[o + c]) * d;
        }
    }

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
