// Softmax — softmax, log-softmax, their backward passes, and fused softmax-cross-entropy, all over
// the last axis of a row-major matrix.
//
// Shapes: R = rows, C = cols. x, y, dy, dx, logits, probs, dLogits are (R,C) row-major; labels,
// losses, dLosses are (R). Each row is independent.
// Numerical stability: every forward pass subtracts the row maximum m before exponentiating, so
// the largest term is e^0 = 1 and nothing overflows (logits of 1e4 are fine); the loss uses
// logsumexp − x[label] = (m − x[label]) + log Σ e^(x−m), never −log(prob), which would turn an
// underflowed probability into +∞.
// Variants, in reading order (every op has both):
//   1. Naive — scalar loops, MathF.Exp, one row after another on one thread: the reference.
//   2. Simd  — the same passes over each row with the vector ladder (512 → 256 → 128 → scalar):
//              max with VectorLoop.Reduce, exp with VectorMath.Exp fused with the running sum,
//              then a scale; backward passes use a vector dot/sum then one fused update. Rows
//              are split across threads (Parallelism.For) once the matrix is large.
// Both normalise by multiplying with 1/Σ in Simd and dividing by Σ in Naive: they agree within
// a few ulps, not bit for bit.
//
// In place: y may be x for Softmax and LogSoftmax, dx may be dy (or y) for the backward passes,
// and dLogits may be probs. A row holding +∞, or only −∞, gives NaN (as in PyTorch). Empty
// inputs (R = 0, or C = 0 outside cross-entropy) do nothing; cross-entropy with C = 0 and R > 0
// throws, since no label is valid.
//
//   dotnet run -c Release --project src/Runner -- kernel softmax --variant 2
//   dotnet run -c Release --project src/Runner -- kernel crossentropy --variant 2

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FusionScratch.Kernels.Reduce;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels;

/// <summary>Row-wise softmax, log-softmax and fused softmax-cross-entropy, forward and backward.</summary>
public static partial class SoftmaxKernels
{
    /// <summary>Elements a thread should get at least; smaller matrices stay on the calling thread.</summary>
    internal const int ParallelThreshold = 1 << 15;

    // ─── 1. Naive ────────────────────────────────────────────────────────────────────────

    /// <summary>
    /// Softmax over each row: effectively computes y[r,c] = e^x[r,c] / Σk e^x[r,k], evaluated as
    /// e^(x−m) / Σ e^(x−m) with m the row maximum. y may be x.
    /// </summary>
    public static void SoftmaxNaive(ReadOnlySpan<float> x, int rows, int cols, Span<float> y)
    {
        CheckMatrix("softmax", "x", x.Length, rows, cols);
        CheckMatrix("softmax", "y", y.Length, rows, cols);
        // x and y are (R,C)
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * cols, cols);
            Span<float> yr = y.Slice(r * cols, cols);
            float max = float.NegativeInfinity;
            for (int c = 0; c < cols; c++) max = MathF.Max(max, xr[c]);
            float sum = 0f;
            for (int c = 0; c < cols; c++)
            {
                float e = MathF.Exp(xr[c] - max);
                yr[c] = e;
                sum += e;
            }
            for (int c = 0; c < cols; c++) yr[c] /= sum;
        }
    }

    /// <summary>
    /// Log-softmax over each row: effectively computes y[r,c] = x[r,c] − log Σk e^x[r,k],
    /// evaluated as (x − m) − log Σ e^(x−m). y may be x.
    /// </summary>
    public static void LogSoftmaxNaive(ReadOnlySpan<float> x, int rows, int cols, Span<float> y)
    {
        CheckMatrix("log-softmax", "x", x.Length, rows, cols);
        CheckMatrix("log-softmax", "y", y.Length, rows, cols);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * cols, cols);
            Span<float> yr = y.Slice(r * cols, cols);
            float max = float.NegativeInfinity;
            for (int c = 0; c < cols; c++) max = MathF.Max(max, xr[c]);
            float sum = 0f;
            for (int c = 0; c < cols; c++) sum += MathF.Exp(xr[c] - max);
            float logSum = MathF.Log(sum);
            // (x − m) − log Σ, in that order: x − (m + log Σ) would round m + log Σ at the scale of
            // m first, losing the digits of log Σ when the logits are large (1e4 → 3 digits lost).
            for (int c = 0; c < cols; c++) yr[c] = (xr[c] - max) - logSum;
        }
    }

    /// <summary>
    /// Softmax backward: given y = softmax(x) and dy = ∂L/∂y, effectively computes
    /// dx[r,c] = y[r,c]·(dy[r,c] − Σk dy[r,k]·y[r,k]). dx may be dy or y.
    /// </summary>
    public static void SoftmaxBackwardNaive(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx)
    {
        CheckMatrix("softmax backward", "y", y.Length, rows, cols);
        CheckMatrix("softmax backward", "dy", dy.Length, rows, cols);
        CheckMatrix("softmax backward", "dx", dx.Length, rows, cols);
        for (int r = 0; r < rows; r++)
        {
            int o = r * cols;
            float dot = 0f;
            for (int c = 0; c < cols; c++) dot += dy[o + c] * y[o + c];
            for (int c = 0; c < cols; c++) dx[o + c] = y[o + c] * (dy[o + c] - dot);
        }
    }

    /// <summary>
    /// Log-softmax backward: given y = log_softmax(x) and dy = ∂L/∂y, effectively computes
    /// dx[r,c] = dy[r,c] − e^y[r,c]·Σk dy[r,k]. dx may be dy or y.
    /// </summary>
    public static void LogSoftmaxBackwardNaive(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx)
    {
        CheckMatrix("log-softmax backward", "y", y.Length, rows, cols);
        CheckMatrix("log-softmax backward", "dy", dy.Length, rows, cols);
        CheckMatrix("log-softmax backward", "dx", dx.Length, rows, cols);
        for (int r = 0; r < rows; r++)
        {
            int o = r * cols;
            float sum = 0f;
            for (int c = 0; c < cols; c++) sum += dy[o + c];
            for (int c = 0; c < cols; c++) dx[o + c] = dy[o + c] - MathF.Exp(y[o + c]) * sum;
        }
    }

    /// <summary>
    /// Fused softmax + cross-entropy forward: effectively computes probs[r,:] = softmax(logits[r,:])
    /// (kept for the backward pass) and losses[r] = log Σc e^logits[r,c] − logits[r, labels[r]],
    /// the negative log-likelihood of the label, evaluated stably. Throws
    /// <see cref="ArgumentOutOfRangeException"/> for a label outside [0, cols). probs may be logits.
    /// </summary>
    public static void CrossEntropyForwardNaive(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int rows, int cols,
        Span<float> probs, Span<float> losses)
    {
        CheckCrossEntropy("cross-entropy forward", "logits", logits.Length, labels, rows, cols, "probs", probs.Length, "losses", losses.Length);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = logits.Slice(r * cols, cols);
            Span<float> pr = probs.Slice(r * cols, cols);
            float picked = xr[labels[r]]; // read before probs overwrites it when they alias
            float max = float.NegativeInfinity;
            for (int c = 0; c < cols; c++) max = MathF.Max(max, xr[c]);
            float sum = 0f;
            for (int c = 0; c < cols; c++)
            {
                float e = MathF.Exp(xr[c] - max);
                pr[c] = e;
                sum += e;
            }
            for (int c = 0; c < cols; c++) pr[c] /= sum;
            losses[r] = (max - picked) + MathF.Log(sum);
        }
    }

    /// <summary>
    /// Fused softmax + cross-entropy backward: effectively computes
    /// dLogits[r,c] = (probs[r,c] − [c = labels[r]])·dLosses[r], with probs from the forward pass.
    /// Throws <see cref="ArgumentOutOfRangeException"/> for a label outside [0, cols). dLogits may be probs.
    /// </summary>
    public static void CrossEntropyBackwardNaive(ReadOnlySpan<float> probs, ReadOnlySpan<int> labels, ReadOnlySpan<float> dLosses,
        int rows, int cols, Span<float> dLogits)
    {
        CheckCrossEntropy("cross-entropy backward", "probs", probs.Length, labels, rows, cols, "dLogits", dLogits.Length, "dLosses", dLosses.Length);
        for (int r = 0; r < rows; r++)
        {
            int o = r * cols;
            float g = dLosses[r];
            int label = labels[r];
            for (int c = 0; c < cols; c++)
                dLogits[o + c] = (probs[o + c] - (c == label ? 1f : 0f)) * g;
        }
    }

    // ─── 2. Simd ─────────────────────────────────────────────────────────────────────────

    /// <summary>Softmax over each row, vectorised and threaded: effectively computes y[r,c] = e^x[r,c] / Σk e^x[r,k]. y may be x.</summary>
    public static void SoftmaxSimd(ReadOnlySpan<float> x, int rows, int cols, Span<float> y)
    {
        CheckMatrix("softmax", "x", x.Length, rows, cols);
        CheckMatrix("softmax", "y", y.Length, rows, cols);
        if (RunsInline(rows, cols))
            SoftmaxRows(x, cols, y, 0, rows);
        else
            SoftmaxParallel(x, rows, cols, y);
    }

    private static unsafe void SoftmaxParallel(ReadOnlySpan<float> x, int rows, int cols, Span<float> y)
    {
        // Spans cannot be loop state, so each chunk rebuilds them from the pinned pointers.
        fixed (float* px = x, py = y)
            Parallelism.For(rows, MinRows(cols), (X: new Pinned<float>(px, x.Length), cols, Y: new Pinned<float>(py, y.Length)),
                static (st, r0, r1) => SoftmaxRows(st.X.Span, st.cols, st.Y.Span, r0, r1));
    }

    /// <summary>Log-softmax over each row, vectorised and threaded: effectively computes y[r,c] = x[r,c] − log Σk e^x[r,k]. y may be x.</summary>
    public static void LogSoftmaxSimd(ReadOnlySpan<float> x, int rows, int cols, Span<float> y)
    {
        CheckMatrix("log-softmax", "x", x.Length, rows, cols);
        CheckMatrix("log-softmax", "y", y.Length, rows, cols);
        if (RunsInline(rows, cols))
            LogSoftmaxRows(x, cols, y, 0, rows);
        else
            LogSoftmaxParallel(x, rows, cols, y);
    }

    private static unsafe void LogSoftmaxParallel(ReadOnlySpan<float> x, int rows, int cols, Span<float> y)
    {
        fixed (float* px = x, py = y)
            Parallelism.For(rows, MinRows(cols), (X: new Pinned<float>(px, x.Length), cols, Y: new Pinned<float>(py, y.Length)),
                static (st, r0, r1) => LogSoftmaxRows(st.X.Span, st.cols, st.Y.Span, r0, r1));
    }

    /// <summary>Softmax backward, vectorised and threaded: effectively computes dx[r,c] = y[r,c]·(dy[r,c] − Σk dy[r,k]·y[r,k]).</summary>
    public static void SoftmaxBackwardSimd(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx)
    {
        CheckMatrix("softmax backward", "y", y.Length, rows, cols);
        CheckMatrix("softmax backward", "dy", dy.Length, rows, cols);
        CheckMatrix("softmax backward", "dx", dx.Length, rows, cols);
        if (RunsInline(rows, cols))
            SoftmaxBackwardRows(y, dy, cols, dx, 0, rows);
        else
            SoftmaxBackwardParallel(y, dy, rows, cols, dx);
    }

    private static unsafe void SoftmaxBackwardParallel(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx)
    {
        fixed (float* py = y, pdy = dy, pdx = dx)
            Parallelism.For(rows, MinRows(cols),
                (Y: new Pinned<float>(py, y.Length), Dy: new Pinned<float>(pdy, dy.Length), cols, Dx: new Pinned<float>(pdx, dx.Length)),
                static (st, r0, r1) => SoftmaxBackwardRows(st.Y.Span, st.Dy.Span, st.cols, st.Dx.Span, r0, r1));
    }

    /// <summary>Log-softmax backward, vectorised and threaded: effectively computes dx[r,c] = dy[r,c] − e^y[r,c]·Σk dy[r,k].</summary>
    public static void LogSoftmaxBackwardSimd(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx)
    {
        CheckMatrix("log-softmax backward", "y", y.Length, rows, cols);
        CheckMatrix("log-softmax backward", "dy", dy.Length, rows, cols);
        CheckMatrix("log-softmax backward", "dx", dx.Length, rows, cols);
        if (RunsInline(rows, cols))
            LogSoftmaxBackwardRows(y, dy, cols, dx, 0, rows);
        else
            LogSoftmaxBackwardParallel(y, dy, rows, cols, dx);
    }

    private static unsafe void LogSoftmaxBackwardParallel(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols, Span<float> dx)
    {
        fixed (float* py = y, pdy = dy, pdx = dx)
            Parallelism.For(rows, MinRows(cols),
                (Y: new Pinned<float>(py, y.Length), Dy: new Pinned<float>(pdy, dy.Length), cols, Dx: new Pinned<float>(pdx, dx.Length)),
                static (st, r0, r1) => LogSoftmaxBackwardRows(st.Y.Span, st.Dy.Span, st.cols, st.Dx.Span, r0, r1));
    }

    /// <summary>
    /// Fused softmax + cross-entropy forward, vectorised and threaded: effectively computes
    /// probs[r,:] = softmax(logits[r,:]) and losses[r] = log Σc e^logits[r,c] − logits[r, labels[r]].
    /// Labels are all checked before anything is written.
    /// </summary>
    public static void CrossEntropyForwardSimd(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int rows, int cols,
        Span<float> probs, Span<float> losses)
    {
        CheckCrossEntropy("cross-entropy forward", "logits", logits.Length, labels, rows, cols, "probs", probs.Length, "losses", losses.Length);
        if (RunsInline(rows, cols))
            CrossEntropyForwardRows(logits, labels, cols, probs, losses, 0, rows);
        else
            CrossEntropyForwardParallel(logits, labels, rows, cols, probs, losses);
    }

    private static unsafe void CrossEntropyForwardParallel(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int rows, int cols,
        Span<float> probs, Span<float> losses)
    {
        fixed (float* px = logits, pp = probs, pl = losses)
        fixed (int* pt = labels)
            Parallelism.For(rows, MinRows(cols),
                (Logits: new Pinned<float>(px, logits.Length), Labels: new Pinned<int>(pt, rows), cols,
                 Probs: new Pinned<float>(pp, probs.Length), Losses: new Pinned<float>(pl, rows)),
                static (st, r0, r1) => CrossEntropyForwardRows(st.Logits.Span, st.Labels.Span, st.cols, st.Probs.Span, st.Losses.Span, r0, r1));
    }

    /// <summary>
    /// Fused softmax + cross-entropy backward, vectorised and threaded: effectively computes
    /// dLogits[r,c] = (probs[r,c] − [c = labels[r]])·dLosses[r]. Labels are all checked before anything is written.
    /// </summary>
    public static void CrossEntropyBackwardSimd(ReadOnlySpan<float> probs, ReadOnlySpan<int> labels, ReadOnlySpan<float> dLosses,
        int rows, int cols, Span<float> dLogits)
    {
        CheckCrossEntropy("cross-entropy backward", "probs", probs.Length, labels, rows, cols, "dLogits", dLogits.Length, "dLosses", dLosses.Length);
        if (RunsInline(rows, cols))
            CrossEntropyBackwardRows(probs, labels, dLosses, cols, dLogits, 0, rows);
        else
            CrossEntropyBackwardParallel(probs, labels, dLosses, rows, cols, dLogits);
    }

    private static unsafe void CrossEntropyBackwardParallel(ReadOnlySpan<float> probs, ReadOnlySpan<int> labels, ReadOnlySpan<float> dLosses,
        int rows, int cols, Span<float> dLogits)
    {
        fixed (float* pp = probs, pg = dLosses, pd = dLogits)
        fixed (int* pt = labels)
            Parallelism.For(rows, MinRows(cols),
                (Probs: new Pinned<float>(pp, probs.Length), Labels: new Pinned<int>(pt, rows), DLosses: new Pinned<float>(pg, rows), cols,
                 DLogits: new Pinned<float>(pd, dLogits.Length)),
                static (st, r0, r1) => CrossEntropyBackwardRows(st.Probs.Span, st.Labels.Span, st.DLosses.Span, st.cols, st.DLogits.Span, r0, r1));
    }

    // The *Parallel methods pass their spans to a static lambda as loop state (Pinned, see
    // Parallelism.cs), so the threaded path allocates nothing either.

    // ─── Simd row loops (one call per thread chunk [r0, r1)) ─────────────────────────────

    private static void SoftmaxRows(ReadOnlySpan<float> x, int cols, Span<float> y, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * cols, cols);
            Span<float> yr = y.Slice(r * cols, cols);
            float max = VectorLoop.Reduce<MaxOp>(xr);
            float sum = ExpShiftedStore(xr, max, yr); // y = e^(x−m); reads x[c] before writing y[c], so y may be x
            VectorLoop.BinaryScalarRight<MultiplyOp>(yr, 1f / sum, yr);
        }
    }

    private static void LogSoftmaxRows(ReadOnlySpan<float> x, int cols, Span<float> y, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * cols, cols);
            Span<float> yr = y.Slice(r * cols, cols);
            float max = VectorLoop.Reduce<MaxOp>(xr);
            float logSum = MathF.Log(ExpShiftedSum(xr, max));
            // (x − m) − log Σ in two passes (the second over a row already in L1): see LogSoftmaxNaive.
            VectorLoop.BinaryScalarRight<SubtractOp>(xr, max, yr);
            VectorLoop.BinaryScalarRight<SubtractOp>(yr, logSum, yr);
        }
    }

    private static void SoftmaxBackwardRows(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int cols, Span<float> dx, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            ReadOnlySpan<float> yr = y.Slice(r * cols, cols), dyr = dy.Slice(r * cols, cols);
            float dot = ReduceKernels.Dot(dyr, yr);
            TimesShifted(yr, dyr, dot, dx.Slice(r * cols, cols)); // dx = y·(dy − dot)
        }
    }

    private static void LogSoftmaxBackwardRows(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int cols, Span<float> dx, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            ReadOnlySpan<float> yr = y.Slice(r * cols, cols), dyr = dy.Slice(r * cols, cols);
            float sum = ReduceKernels.Sum(dyr);
            MinusExpTimes(dyr, yr, sum, dx.Slice(r * cols, cols)); // dx = dy − e^y·sum
        }
    }

    private static void CrossEntropyForwardRows(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int cols,
        Span<float> probs, Span<float> losses, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            ReadOnlySpan<float> xr = logits.Slice(r * cols, cols);
            Span<float> pr = probs.Slice(r * cols, cols);
            float picked = xr[labels[r]]; // read before probs overwrites it when they alias
            float max = VectorLoop.Reduce<MaxOp>(xr);
            float sum = ExpShiftedStore(xr, max, pr);
            VectorLoop.BinaryScalarRight<MultiplyOp>(pr, 1f / sum, pr);
            losses[r] = (max - picked) + MathF.Log(sum);
        }
    }

    private static void CrossEntropyBackwardRows(ReadOnlySpan<float> probs, ReadOnlySpan<int> labels, ReadOnlySpan<float> dLosses,
        int cols, Span<float> dLogits, int r0, int r1)
    {
        for (int r = r0; r < r1; r++)
        {
            int label = labels[r];
            float g = dLosses[r];
            ReadOnlySpan<float> pr = probs.Slice(r * cols, cols);
            Span<float> dr = dLogits.Slice(r * cols, cols);
            float pickedProb = pr[label]; // read before dLogits overwrites it when they alias
            VectorLoop.BinaryScalarRight<MultiplyOp>(pr, g, dr);  // dLogits = probs·g everywhere …
            dr[label] = (pickedProb - 1f) * g;                    // … except the label: (p − 1)·g
        }
    }

    // ─── Vector helpers (width ladder 512 → 256 → 128 → scalar tail of at most 3) ───────

    /// <summary>y[c] = e^(x[c] − shift); returns Σ y[c]. Each x[c] is read before y[c] is written, so y may be x.</summary>
    private static float ExpShiftedStore(ReadOnlySpan<float> x, float shift, Span<float> y)
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var s = Vector512.Create(shift);
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var e = VectorMath.Exp(Vector512.LoadUnsafe(ref xr, (nuint)i) - s);
                e.StoreUnsafe(ref yr, (nuint)i);
                acc += e;
            }
            sum += Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && i <= n - 8)
        {
            var s = Vector256.Create(shift);
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var e = VectorMath.Exp(Vector256.LoadUnsafe(ref xr, (nuint)i) - s);
                e.StoreUnsafe(ref yr, (nuint)i);
                acc += e;
            }
            sum += Vector256.Sum(acc);
        }
        if (Vector128.IsHardwareAccelerated && i <= n - 4)
        {
            var e = VectorMath.Exp(Vector128.LoadUnsafe(ref xr, (nuint)i) - Vector128.Create(shift));
            e.StoreUnsafe(ref yr, (nuint)i);
            sum += Vector128.Sum(e);
            i += 4;
        }
        for (; i < n; i++)
        {
            float e = MathF.Exp(Unsafe.Add(ref xr, i) - shift);
            Unsafe.Add(ref yr, i) = e;
            sum += e;
        }
        return sum;
    }

    /// <summary>Returns Σ e^(x[c] − shift) without storing anything.</summary>
    private static float ExpShiftedSum(ReadOnlySpan<float> x, float shift)
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var s = Vector512.Create(shift);
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
                acc += VectorMath.Exp(Vector512.LoadUnsafe(ref xr, (nuint)i) - s);
            sum += Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && i <= n - 8)
        {
            var s = Vector256.Create(shift);
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
                acc += VectorMath.Exp(Vector256.LoadUnsafe(ref xr, (nuint)i) - s);
            sum += Vector256.Sum(acc);
        }
        if (Vector128.IsHardwareAccelerated && i <= n - 4)
        {
            sum += Vector128.Sum(VectorMath.Exp(Vector128.LoadUnsafe(ref xr, (nuint)i) - Vector128.Create(shift)));
            i += 4;
        }
        for (; i < n; i++)
            sum += MathF.Exp(Unsafe.Add(ref xr, i) - shift);
        return sum;
    }

    /// <summary>dx[c] = y[c]·(dy[c] − s); dx may be y or dy.</summary>
    private static void TimesShifted(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, float s, Span<float> dx)
    {
        int n = y.Length, i = 0;
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float dxr = ref MemoryMarshal.GetReference(dx);
        if (Vector512.IsHardwareAccelerated)
        {
            var sv = Vector512.Create(s);
            for (; i <= n - 16; i += 16)
                (Vector512.LoadUnsafe(ref yr, (nuint)i) * (Vector512.LoadUnsafe(ref dyr, (nuint)i) - sv)).StoreUnsafe(ref dxr, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var sv = Vector256.Create(s);
            for (; i <= n - 8; i += 8)
                (Vector256.LoadUnsafe(ref yr, (nuint)i) * (Vector256.LoadUnsafe(ref dyr, (nuint)i) - sv)).StoreUnsafe(ref dxr, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var sv = Vector128.Create(s);
            for (; i <= n - 4; i += 4)
                (Vector128.LoadUnsafe(ref yr, (nuint)i) * (Vector128.LoadUnsafe(ref dyr, (nuint)i) - sv)).StoreUnsafe(ref dxr, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref dxr, i) = Unsafe.Add(ref yr, i) * (Unsafe.Add(ref dyr, i) - s);
    }

    /// <summary>dx[c] = dy[c] − e^y[c]·s; dx may be y or dy.</summary>
    private static void MinusExpTimes(ReadOnlySpan<float> dy, ReadOnlySpan<float> y, float s, Span<float> dx)
    {
        int n = y.Length, i = 0;
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float dxr = ref MemoryMarshal.GetReference(dx);
        if (Vector512.IsHardwareAccelerated)
        {
            var sv = Vector512.Create(s);
            for (; i <= n - 16; i += 16)
                (Vector512.LoadUnsafe(ref dyr, (nuint)i) - VectorMath.Exp(Vector512.LoadUnsafe(ref yr, (nuint)i)) * sv).StoreUnsafe(ref dxr, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var sv = Vector256.Create(s);
            for (; i <= n - 8; i += 8)
                (Vector256.LoadUnsafe(ref dyr, (nuint)i) - VectorMath.Exp(Vector256.LoadUnsafe(ref yr, (nuint)i)) * sv).StoreUnsafe(ref dxr, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var sv = Vector128.Create(s);
            for (; i <= n - 4; i += 4)
                (Vector128.LoadUnsafe(ref dyr, (nuint)i) - VectorMath.Exp(Vector128.LoadUnsafe(ref yr, (nuint)i)) * sv).StoreUnsafe(ref dxr, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref dxr, i) = Unsafe.Add(ref dyr, i) - MathF.Exp(Unsafe.Add(ref yr, i)) * s;
    }

    private readonly struct MultiplyOp : IBinaryOp
    {
        public static float Invoke(float x, float y) => x * y;
        public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x * y;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * y;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * y;
    }

    private readonly struct SubtractOp : IBinaryOp
    {
        public static float Invoke(float x, float y) => x - y;
        public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x - y;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x - y;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x - y;
    }

    // ─── Shapes and threading ────────────────────────────────────────────────────────────

    private static bool RunsInline(int rows, int cols) =>
        Parallelism.Threads == 1 || rows < 2 || (long)rows * cols < 2L * ParallelThreshold;

    /// <summary>Rows per thread chunk so that each chunk holds at least <see cref="ParallelThreshold"/> elements.</summary>
    private static int MinRows(int cols) => Math.Max(1, ParallelThreshold / Math.Max(1, cols));

    private static void CheckMatrix(string op, string name, int length, int rows, int cols)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentException($"{op}: negative dimension in rows×cols = {rows}×{cols}");
        long expected = (long)rows * cols;
        if (length != expected)
            throw new ArgumentException($"{op}: {name} has {length} elements, expected rows×cols = {rows}×{cols} = {expected}", name);
    }

    /// <summary>
    /// Checks every shape and every label up front, on the calling thread: a bad label then throws
    /// before any output is written, and is not wrapped in an AggregateException by a worker.
    /// </summary>
    private static void CheckCrossEntropy(string op, string inName, int inLength, ReadOnlySpan<int> labels, int rows, int cols,
        string outName, int outLength, string vectorName, int vectorLength)
    {
        CheckMatrix(op, inName, inLength, rows, cols);
        CheckMatrix(op, outName, outLength, rows, cols);
        if (labels.Length != rows)
            throw new ArgumentException($"{op}: labels has {labels.Length} elements, expected rows = {rows}", nameof(labels));
        if (vectorLength != rows)
            throw new ArgumentException($"{op}: {vectorName} has {vectorLength} elements, expected rows = {rows}", vectorName);
        for (int r = 0; r < rows; r++)
        {
            int label = labels[r];
            if ((uint)label >= (uint)cols)
                throw new ArgumentOutOfRangeException(nameof(labels), label,
                    $"{op}: row {r} has label {label}, outside [0, {cols})");
        }
    }
}
