// Conv2d, variant 3 — variant 2 (im2col + GEMM) with the batch's images split across threads.
//
// Shapes and letters as in Conv2d.1.Naive.cs; the per-image work is variant 2's, unchanged.
// What changes from variant 2, and why:
//   - Variant 2 threads inside each GEMM: for a batch of 128 images that is hundreds of small
//     fork/joins per pass (one per GEMM cache block), each GEMM too small (64 × 576 × 288) to
//     keep two cores busy between them, and the im2col between GEMMs runs on one core while the
//     other waits. Measured on the reference CNN's conv3×3 32→64 fwd+bwd at batch 128: 116
//     GFLOP/s on one thread, 119 on two.
//   - Here the threads split the images instead: one Parallelism.For per pass, over chunks of
//     whole image groups (G images per GEMM, as in variant 2). Each chunk rents its own col
//     scratch (ArrayPool, so steady state allocates nothing) and runs variant 2's loop over its
//     images; the GEMMs, im2col and col2im inside it run single-threaded on the chunk's thread
//     (a For nested in a chunk runs inline, see Parallelism.cs). Each core keeps its own col
//     in its own L2, and the threads meet once per pass instead of once per GEMM block.
//   - Forward and input gradient: y[n] and dx[n] are written by the chunk that owns image n
//     alone, so nothing is shared.
//   - Weight and bias gradients: every image adds into the same dW and db. Each chunk sums its
//     images into its own partial (chunk 0 into dW / db itself, the others into one pooled
//     buffer), and the partials are added afterwards in chunk order. A chunk's images, and so
//     the order of every sum, depend only on the chunk count (fixed by the thread count and the
//     shape), never on which thread ran which chunk or when: a run repeats bit for bit. One
//     and two threads differ only in where the batch sum is split, within rounding.
//   - Chunks: ChunksPerThread per thread, claimed first come, first served, so a core slowed by
//     another process on the machine hands the rest of the batch to the other one. The dW
//     partials are capped at MaxPartialFloats (a layer with a huge weight gets fewer chunks).
//   - Falls back to variant 2 (threads inside the GEMMs) with one thread, when the batch has
//     fewer image groups than threads (a batch of one: the GEMM is the only parallelism left),
//     or when the whole pass is too small to pay for a hand-off.
//
//   dotnet run -c Release --project src/Runner -- kernel conv2d --variant 3
//   dotnet run -c Release --project src/Runner -- bench conv --threads 2

using System.Buffers;
using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels;

public static partial class Conv2dKernels
{
    /// <summary>Chunks of images per thread (more chunks than threads evens out a thread that started late or was preempted).</summary>
    internal const int ChunksPerThread = 4;

    /// <summary>Most floats the weight-gradient partials (one dW per chunk but the first) may take: 16 MiB.</summary>
    internal const long MaxPartialFloats = 1 << 22;

    /// <summary>
    /// Forward convolution, images split across threads: effectively computes
    /// y[n,k,p,q] = b[k] + Σ_{c,r,s} w[k,c,r,s]·x[n,c,p·stride+r−pad,q·stride+s−pad].
    /// Same signature and result as <see cref="ForwardIm2Col"/>; <paramref name="bias"/> may be empty.
    /// </summary>
    public static void ForwardImageParallel(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y) =>
        ForwardImageParallel(x, w, bias, s, y, Parallelism.Threads);

    /// <summary><see cref="ForwardImageParallel(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, in Conv2dShape, Span{float})"/> on at most <paramref name="threads"/> threads, splitting above <paramref name="minMultiplyAddsPerThread"/> (tests).</summary>
    internal static unsafe void ForwardImageParallel(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y, int threads,
        long minMultiplyAddsPerThread = GemmJob.MinMultiplyAddsPerThread)
    {
        s.CheckForward(x.Length, w.Length, bias.Length, y.Length);
        int chunks = ImageChunks(s, threads, minMultiplyAddsPerThread);
        if (chunks <= 1)
        {
            ForwardIm2Col(x, w, bias, s, y);
            return;
        }
        fixed (float* px = x, pw = w, pb = bias, py = y)
            Parallelism.For(chunks, 1,
                (X: new Pinned<float>(px, x.Length), W: new Pinned<float>(pw, w.Length), Bias: new Pinned<float>(pb, bias.Length),
                 Y: new Pinned<float>(py, y.Length), s, chunks),
                static (st, c0, c1) =>
                {
                    var scratch = ColumnScratch.Rent(st.s);
                    try
                    {
                        for (int c = c0; c < c1; c++)
                        {
                            var (n0, n1) = ChunkImages(st.s, st.chunks, c);
                            ForwardImages(st.X.Span, st.W.Span, st.Bias.Span, st.s, n0, n1, scratch, st.Y.Span);
                        }
                    }
                    finally
                    {
                        scratch.Return();
                    }
                }, threads, chunks);
    }

    /// <summary>
    /// Input gradient, images split across threads: effectively computes
    /// dx[n,c,h,w] = Σ dy[n,k,p,q]·w[k,c,r,s] over p·stride+r−pad = h, q·stride+s−pad = w.
    /// Same signature and result as <see cref="BackwardInputIm2Col"/>. Overwrites <paramref name="dx"/>.
    /// </summary>
    public static void BackwardInputImageParallel(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx) =>
        BackwardInputImageParallel(dy, w, s, dx, Parallelism.Threads);

    /// <summary><see cref="BackwardInputImageParallel(ReadOnlySpan{float}, ReadOnlySpan{float}, in Conv2dShape, Span{float})"/> on at most <paramref name="threads"/> threads, splitting above <paramref name="minMultiplyAddsPerThread"/> (tests).</summary>
    internal static unsafe void BackwardInputImageParallel(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx, int threads,
        long minMultiplyAddsPerThread = GemmJob.MinMultiplyAddsPerThread)
    {
        CheckBackwardInput(dy.Length, w.Length, s, dx.Length);
        int chunks = ImageChunks(s, threads, minMultiplyAddsPerThread);
        if (chunks <= 1)
        {
            BackwardInputIm2Col(dy, w, s, dx);
            return;
        }
        fixed (float* pdy = dy, pw = w, pdx = dx)
            Parallelism.For(chunks, 1,
                (Dy: new Pinned<float>(pdy, dy.Length), W: new Pinned<float>(pw, w.Length), Dx: new Pinned<float>(pdx, dx.Length), s, chunks),
                static (st, c0, c1) =>
                {
                    var scratch = ColumnScratch.Rent(st.s);
                    try
                    {
                        for (int c = c0; c < c1; c++)
                        {
                            var (n0, n1) = ChunkImages(st.s, st.chunks, c);
                            BackwardInputImages(st.Dy.Span, st.W.Span, st.s, n0, n1, scratch, st.Dx.Span);
                        }
                    }
                    finally
                    {
                        scratch.Return();
                    }
                }, threads, chunks);
    }

    /// <summary>
    /// Weight and bias gradients, images split across threads, one partial sum per chunk added in
    /// chunk order: effectively computes dw[k,c,r,s] = Σ_{n,p,q} dy[n,k,p,q]·x[n,c,p·stride+r−pad,q·stride+s−pad]
    /// and db[k] = Σ_{n,p,q} dy[n,k,p,q]. Same signature and result as <see cref="BackwardWeightIm2Col"/>.
    /// Overwrites <paramref name="dw"/>; <paramref name="dBias"/> may be empty (not wanted).
    /// </summary>
    public static void BackwardWeightImageParallel(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias) =>
        BackwardWeightImageParallel(x, dy, s, dw, dBias, Parallelism.Threads);

    /// <summary><see cref="BackwardWeightImageParallel(ReadOnlySpan{float}, ReadOnlySpan{float}, in Conv2dShape, Span{float}, Span{float})"/> on at most <paramref name="threads"/> threads, splitting above <paramref name="minMultiplyAddsPerThread"/> (tests).</summary>
    internal static unsafe void BackwardWeightImageParallel(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias, int threads,
        long minMultiplyAddsPerThread = GemmJob.MinMultiplyAddsPerThread)
    {
        CheckBackwardWeight(x.Length, dy.Length, s, dw.Length, dBias.Length, "conv2d backward", null);
        int rows = WeightRows(s), K = s.K, accLength = rows * K;
        int chunks = (int)Math.Min(ImageChunks(s, threads, minMultiplyAddsPerThread), 1 + MaxPartialFloats / accLength);
        if (chunks <= 1)
        {
            BackwardWeightIm2Col(x, dy, s, dw, dBias);
            return;
        }
        // Chunk 0 sums into acc (dW, or dWᵀ when C·R·S < K: see variant 2) and db; chunk c ≥ 1
        // into slot c − 1 of the partial buffers.
        bool transposed = rows < K;
        float[]? dwt = transposed ? ArrayPool<float>.Shared.Rent(accLength) : null;
        float[] partials = ArrayPool<float>.Shared.Rent((chunks - 1) * accLength);
        float[]? biasPartials = dBias.IsEmpty ? null : ArrayPool<float>.Shared.Rent((chunks - 1) * K);
        try
        {
            Span<float> acc = transposed ? dwt.AsSpan(0, accLength) : dw;
            fixed (float* px = x, pdy = dy, pacc = acc, pdb = dBias, pp = partials, pbp = biasPartials)
                Parallelism.For(chunks, 1,
                    (X: new Pinned<float>(px, x.Length), Dy: new Pinned<float>(pdy, dy.Length), s, chunks, transposed,
                     Acc: new Pinned<float>(pacc, accLength), Db: new Pinned<float>(pdb, dBias.Length),
                     Partials: new Pinned<float>(pp, partials.Length), BiasPartials: new Pinned<float>(pbp, biasPartials?.Length ?? 0)),
                    static (st, c0, c1) =>
                    {
                        var scratch = ColumnScratch.Rent(st.s);
                        try
                        {
                            int accLength = st.Acc.Length, K = st.s.K;
                            for (int c = c0; c < c1; c++)
                            {
                                var (n0, n1) = ChunkImages(st.s, st.chunks, c);
                                Span<float> acc = c == 0 ? st.Acc.Span : st.Partials.Span.Slice((c - 1) * accLength, accLength);
                                Span<float> db = st.Db.Length == 0 ? default : c == 0 ? st.Db.Span : st.BiasPartials.Span.Slice((c - 1) * K, K);
                                WeightImages(st.X.Span, st.Dy.Span, st.s, n0, n1, st.transposed, scratch, acc, db);
                            }
                        }
                        finally
                        {
                            scratch.Return();
                        }
                    }, threads, chunks);

            // Reduce in chunk order: the same additions in the same order on every run.
            for (int c = 1; c < chunks; c++)
            {
                VectorLoop.Binary<Add>(acc, partials.AsSpan((c - 1) * accLength, accLength), acc);
                if (biasPartials != null)
                    VectorLoop.Binary<Add>(dBias, biasPartials.AsSpan((c - 1) * K, K), dBias);
            }
            if (transposed) TransposeInto(acc, rows, K, dw);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partials);
            if (biasPartials != null) ArrayPool<float>.Shared.Return(biasPartials);
            if (dwt != null) ArrayPool<float>.Shared.Return(dwt);
        }
    }

    /// <summary>
    /// How many chunks the batch is split into on <paramref name="threads"/> threads: ChunksPerThread
    /// per thread, at most one per image group; 1 (run variant 2) with one thread, fewer groups
    /// than threads, or under <paramref name="minMultiplyAddsPerThread"/> multiply-adds per thread
    /// (GemmJob.MinMultiplyAddsPerThread, the GEMM's own bar for a hand-off; tests pass 0 to
    /// reach the threaded path on small shapes).
    /// </summary>
    internal static int ImageChunks(in Conv2dShape s, int threads, long minMultiplyAddsPerThread)
    {
        if (threads <= 1 || s.N == 0) return 1;
        int G = s.IsPointwise ? 1 : ImagesPerGemm(s);
        int groups = (s.N + G - 1) / G;
        long multiplyAdds = (long)s.N * s.K * s.C * s.R * s.S * s.P * s.Q;
        if (groups < threads || multiplyAdds < threads * minMultiplyAddsPerThread) return 1;
        return Math.Min(groups, threads * ChunksPerThread);
    }

    /// <summary>Images [n0, n1) of chunk c of <paramref name="chunks"/>: whole groups of G images, chunk c gets groups [c·groups/chunks, (c+1)·groups/chunks).</summary>
    private static (int N0, int N1) ChunkImages(in Conv2dShape s, int chunks, int c)
    {
        int G = s.IsPointwise ? 1 : ImagesPerGemm(s);
        int groups = (s.N + G - 1) / G;
        int g0 = (int)((long)c * groups / chunks), g1 = (int)((long)(c + 1) * groups / chunks);
        return (g0 * G, Math.Min(g1 * G, s.N));
    }
}
