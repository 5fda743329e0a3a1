// Low-rank multimodal fusion (LMF; Liu et al., ACL 2018) — one fusion layer, forward and backward.
//
// Dimension letters: B batch rows, M modalities, D_m features of modality m (without the appended
// 1), R rank, H output features. Every array is dense row-major.
//   z_m      (B, D_m)        modality m's input
//   W_m      (D_m+1, R, H)   modality m's factors: W_m[:, r, :] is the paper's W_m^(r), a
//                            (D_m+1)×H matrix; the last row multiplies the 1 appended to z_m
//   w        (R)             fusion weights;   bias (H);   y (B, H)
// Forward:
//   P_m        = [z_m, 1]·W_m                         (B, R·H)  all R projections in one product
//   y[b,h]     = bias[h] + Σ_r w[r]·Π_m P_m[b,r,h]
// This is the tensor-fusion (TFN) layer y = W·(ẑ_0 ⊗ ẑ_1 ⊗ …) + bias whose weight tensor has the
// rank-R CP form W[…, h] = Σ_r w[r]·(W_0[:,r,h] ⊗ W_1[:,r,h] ⊗ …), computed without ever forming
// the Π_m (D_m+1) products of the outer product.
// Backward, from dy (B, H):
//   dbias[h]     = Σ_b dy[b,h]
//   dw[r]        = Σ_{b,h} dy[b,h]·Π_m P_m[b,r,h]
//   dP_m[b,r,h]  = w[r]·dy[b,h]·Π_{m'≠m} P_m'[b,r,h]
//   dW_m[:D_m]   = z_mᵀ·dP_m,    dW_m[D_m] = Σ_b dP_m[b]       (the appended 1's row)
//   dz_m         = dP_m·W_m[:D_m]ᵀ
//
// Variants (same signatures; the layer's op uses 2):
//   1. ForwardNaive / BackwardNaive — the formulas above as loops, one dot product per element.
//      The reference the other variant and the composed tensor ops are checked against.
//   2. Forward / Backward (fused) — each modality's R projections are ONE GEMM with N = R·H (the
//      rank folded into the columns: the layout (D_m+1, R, H) is a (D_m+1, R·H) matrix), whose C
//      starts as the 1's row broadcast to every row (beta = 1: no separate bias pass). Backward
//      is two GEMMs per modality (weights, inputs) plus a row sum for the 1's row. So every
//      multiply-add of the layer runs in MatMulKernels.Gemm; what is left — the Hadamard product,
//      the rank sum, the fusion-weight terms and every exclusive product Π_{m'≠m} — is one SIMD
//      pass per row (prefix products going forward over m, suffix products coming back: no
//      division, so a zero projection is harmless), threads over rows.
//      Composing tensor ops instead (concatenate the 1s, matmul, multiply, multiply by w, sum over
//      the rank, add the bias) makes a pass and a buffer per op over (B, R, H), and backward adds
//      broadcast reductions; this variant keeps only P (for backward) and dP (a pooled scratch).
// Determinism: the fusion-weight gradient is accumulated per row into a (B, R) scratch and summed
// over rows afterwards in a fixed order, so it does not depend on which thread ran which rows.
//
//   dotnet run -c Release --project src/Runner -- bench lmf

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels;

/// <summary>Sizes of one LMF layer call: batch B, per-modality features D (without the appended 1), rank R, outputs H.</summary>
public sealed class LowRankFusionShape
{
    public LowRankFusionShape(int batch, IReadOnlyList<int> features, int rank, int outputs)
    {
        if (batch < 0 || rank < 1 || outputs < 1 || features.Count < 1 || features.Any(d => d < 0))
            throw new ArgumentException($"low-rank fusion: need batch ≥ 0, rank ≥ 1, outputs ≥ 1 and at least one modality with ≥ 0 features; got B={batch}, D=({string.Join(", ", features)}), R={rank}, H={outputs}");
        (B, D, R, H) = (batch, [.. features], rank, outputs);
    }

    public int B { get; }
    public int[] D { get; }
    public int R { get; }
    public int H { get; }
    public int M => D.Length;
    /// <summary>Columns of one projection P_m: R·H.</summary>
    public int RH => R * H;

    /// <summary>Floats in W_m: (D_m+1)·R·H.</summary>
    public int FactorLength(int m) => (D[m] + 1) * RH;

    public override string ToString() => $"B={B}, D=({string.Join(", ", D)}), R={R}, H={H}";

    internal void CheckForward(ReadOnlyMemory<float>[] z, ReadOnlyMemory<float>[] factors, int weights, int bias, Memory<float>[] projections, int y)
    {
        if (z.Length != M || factors.Length != M || projections.Length != M)
            throw new ArgumentException($"low-rank fusion ({this}): {z.Length} inputs, {factors.Length} factors, {projections.Length} projections for {M} modalities");
        for (int m = 0; m < M; m++)
        {
            Expect(z[m].Length, (long)B * D[m], $"input {m}");
            Expect(factors[m].Length, FactorLength(m), $"factor {m}");
            Expect(projections[m].Length, (long)B * RH, $"projection {m}");
        }
        Expect(weights, R, "fusion weights");
        Expect(bias, H, "bias");
        Expect(y, (long)B * H, "output");
    }

    internal void CheckBackward(int dy, Memory<float>[] dz, Memory<float>[] dFactors, int dWeights, int dBias)
    {
        Expect(dy, (long)B * H, "output gradient");
        if (dz.Length != M || dFactors.Length != M)
            throw new ArgumentException($"low-rank fusion ({this}): {dz.Length} input gradients and {dFactors.Length} factor gradients for {M} modalities");
        for (int m = 0; m < M; m++)
        {
            if (!dz[m].IsEmpty) Expect(dz[m].Length, (long)B * D[m], $"input gradient {m}");
            if (!dFactors[m].IsEmpty) Expect(dFactors[m].Length, FactorLength(m), $"factor gradient {m}");
        }
        if (dWeights != 0) Expect(dWeights, R, "fusion-weight gradient");
        if (dBias != 0) Expect(dBias, H, "bias gradient");
    }

    private void Expect(long actual, long expected, string what)
    {
        if (actual != expected)
            throw new ArgumentException($"low-rank fusion ({this}): {what} has {actual} elements, expected {expected}");
    }
}

/// <summary>Forward and backward of the LMF layer; see the file header for shapes and variants.</summary>
public static partial class LowRankFusionKernels
{
    // ─── 1. Naive ────────────────────────────────────────────────────────────────────────────

    /// <summary>
    /// Reference forward: effectively computes P_m[b,r,h] = W_m[D_m,r,h] + Σ_k z_m[b,k]·W_m[k,r,h] and
    /// y[b,h] = bias[h] + Σ_r w[r]·Π_m P_m[b,r,h]. The projections are kept for the backward pass.
    /// </summary>
    public static void ForwardNaive(ReadOnlyMemory<float>[] z, ReadOnlyMemory<float>[] factors, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        LowRankFusionShape s, Memory<float>[] projections, Span<float> y)
    {
        s.CheckForward(z, factors, weights.Length, bias.Length, projections, y.Length);
        int B = s.B, R = s.R, H = s.H, RH = s.RH;
        for (int m = 0; m < s.M; m++)
        {
            // z_m is (B, D), W_m is (D+1, R·H), P_m is (B, R·H)
            int D = s.D[m];
            ReadOnlySpan<float> x = z[m].Span, w = factors[m].Span;
            Span<float> p = projections[m].Span;
            for (int b = 0; b < B; b++)
                for (int j = 0; j < RH; j++)
                {
                    float acc = w[D * RH + j];
                    for (int k = 0; k < D; k++) acc += x[b * D + k] * w[k * RH + j];
                    p[b * RH + j] = acc;
                }
        }
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
            {
                float acc = bias[h];
                for (int r = 0; r < R; r++)
                {
                    float q = 1f;
                    for (int m = 0; m < s.M; m++) q *= projections[m].Span[b * RH + r * H + h];
                    acc += weights[r] * q;
                }
                y[b * H + h] = acc;
            }
    }

    /// <summary>
    /// Reference backward (see the file header for the formulas). <paramref name="projections"/> are
    /// those the forward kept. A gradient whose span or memory is empty is not computed.
    /// </summary>
    public static void BackwardNaive(ReadOnlySpan<float> dy, ReadOnlyMemory<float>[] z, ReadOnlyMemory<float>[] factors, ReadOnlySpan<float> weights,
        ReadOnlyMemory<float>[] projections, LowRankFusionShape s,
        Memory<float>[] dz, Memory<float>[] dFactors, Span<float> dWeights, Span<float> dBias)
    {
        s.CheckBackward(dy.Length, dz, dFactors, dWeights.Length, dBias.Length);
        int B = s.B, R = s.R, H = s.H, RH = s.RH, M = s.M;
        if (!dBias.IsEmpty)
            for (int h = 0; h < H; h++)
            {
                float acc = 0;
                for (int b = 0; b < B; b++) acc += dy[b * H + h];
                dBias[h] = acc;
            }
        if (!dWeights.IsEmpty)
            for (int r = 0; r < R; r++)
            {
                float acc = 0;
                for (int b = 0; b < B; b++)
                    for (int h = 0; h < H; h++)
                    {
                        float q = 1f;
                        for (int m = 0; m < M; m++) q *= projections[m].Span[b * RH + r * H + h];
                        acc += dy[b * H + h] * q;
                    }
                dWeights[r] = acc;
            }
        var dp = new float[B * RH];
        for (int m = 0; m < M; m++)
        {
            if (dz[m].IsEmpty && dFactors[m].IsEmpty) continue;
            // dP_m[b,r,h] = w[r]·dy[b,h]·Π_{m'≠m} P_m'[b,r,h]
            for (int b = 0; b < B; b++)
                for (int r = 0; r < R; r++)
                    for (int h = 0; h < H; h++)
                    {
                        float v = weights[r] * dy[b * H + h];
                        for (int o = 0; o < M; o++)
                            if (o != m) v *= projections[o].Span[b * RH + r * H + h];
                        dp[b * RH + r * H + h] = v;
                    }
            int D = s.D[m];
            ReadOnlySpan<float> x = z[m].Span, w = factors[m].Span;
            if (!dFactors[m].IsEmpty)
            {
                Span<float> dw = dFactors[m].Span;
                for (int k = 0; k <= D; k++)
                    for (int j = 0; j < RH; j++)
                    {
                        float acc = 0;
                        for (int b = 0; b < B; b++) acc += (k < D ? x[b * D + k] : 1f) * dp[b * RH + j];
                        dw[k * RH + j] = acc;
                    }
            }
            if (!dz[m].IsEmpty)
            {
                Span<float> dx = dz[m].Span;
                for (int b = 0; b < B; b++)
                    for (int k = 0; k < D; k++)
                    {
                        float acc = 0;
                        for (int j = 0; j < RH; j++) acc += dp[b * RH + j] * w[k * RH + j];
                        dx[b * D + k] = acc;
                    }
            }
        }
    }

    // ─── 2. Fused: GEMMs + one SIMD pass per row ────────────────────────────────────────────

    /// <summary>Floats of row-pass work a thread should get at least; smaller jobs stay on the calling thread.</summary>
    internal const int ParallelFloats = 1 << 14;

    private static int MinRowsPerThread(LowRankFusionShape s) => Math.Max(1, ParallelFloats / Math.Max(1, s.RH * s.M));

    /// <summary>
    /// Fused forward: one GEMM per modality for all ranks, then the Hadamard product and the rank
    /// sum in one vectorised pass per row. Same results as <see cref="ForwardNaive"/> within rounding.
    /// </summary>
    public static unsafe void Forward(ReadOnlyMemory<float>[] z, ReadOnlyMemory<float>[] factors, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        LowRankFusionShape s, Memory<float>[] projections, Span<float> y)
    {
        s.CheckForward(z, factors, weights.Length, bias.Length, projections, y.Length);
        int B = s.B, R = s.R, H = s.H, RH = s.RH, M = s.M;
        if (B == 0) return;
        for (int m = 0; m < M; m++)
        {
            // P_m (B, R·H) = 1·W_m[D] (every row) + z_m (B, D)·W_m[:D] (D, R·H)
            int D = s.D[m];
            ReadOnlySpan<float> w = factors[m].Span;
            Span<float> p = projections[m].Span;
            ReadOnlySpan<float> onesRow = w.Slice(D * RH, RH);
            for (int b = 0; b < B; b++) onesRow.CopyTo(p.Slice(b * RH, RH));
            MatMulKernels.Gemm(z[m].Span, false, w[..(D * RH)], false, B, RH, D, 1f, 1f, p);
        }

        using var pins = new Pinned(projections);
        float** pp = stackalloc float*[M];
        pins.CopyPointers(pp);
        fixed (float* pw = weights, pb = bias, py = y)
        {
            float* wp = pw, bp = pb, yp = py;
            Parallelism.For(B, MinRowsPerThread(s), (b0, b1) =>
            {
                for (int b = b0; b < b1; b++)
                {
                    float* yb = yp + (nint)b * H;
                    nint row = (nint)b * RH;
                    int h = ForwardRow<Lanes512, Vector512<float>>(pp, M, R, H, wp, bp, yb, row, 0);
                    h = ForwardRow<Lanes256, Vector256<float>>(pp, M, R, H, wp, bp, yb, row, h);
                    ForwardRow<Lanes1, float>(pp, M, R, H, wp, bp, yb, row, h);
                }
            });
        }
    }

    /// <summary>y[b, h…] = bias + Σ_r w[r]·Π_m P_m[b, r, h…] for as many whole vectors of h as fit from <paramref name="h"/>; returns the next h.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int ForwardRow<TL, TV>(float** p, int M, int R, int H, float* w, float* bias, float* yb, nint row, int h)
        where TL : ILanes<TV> where TV : struct
    {
        if (!TL.IsAccelerated) return h;
        for (; h + TL.Count <= H; h += TL.Count)
        {
            TV acc = TL.Load(ref bias[h], 0);
            for (int r = 0; r < R; r++)
            {
                nint at = row + r * H + h;
                TV q = TL.Load(ref p[0][at], 0);
                for (int m = 1; m < M; m++) q = TL.Multiply(q, TL.Load(ref p[m][at], 0));
                acc = TL.MultiplyAdd(TL.Broadcast(w[r]), q, acc);
            }
            TL.Store(acc, ref yb[h], 0);
        }
        return h;
    }

    /// <summary>
    /// Fused backward: one SIMD pass per row gives every dP_m (exclusive products by prefix and
    /// suffix) and the fusion-weight terms; then two GEMMs per modality and row sums. A gradient
    /// whose span or memory is empty is not computed (an input that needs none skips its GEMM).
    /// Same results as <see cref="BackwardNaive"/> within rounding.
    /// </summary>
    public static unsafe void Backward(ReadOnlySpan<float> dy, ReadOnlyMemory<float>[] z, ReadOnlyMemory<float>[] factors, ReadOnlySpan<float> weights,
        ReadOnlyMemory<float>[] projections, LowRankFusionShape s,
        Memory<float>[] dz, Memory<float>[] dFactors, Span<float> dWeights, Span<float> dBias)
    {
        s.CheckBackward(dy.Length, dz, dFactors, dWeights.Length, dBias.Length);
        int B = s.B, R = s.R, H = s.H, RH = s.RH, M = s.M;
        if (B == 0)
        {
            // No rows: every gradient is an empty sum.
            foreach (var g in dz) g.Span.Clear();
            foreach (var g in dFactors) g.Span.Clear();
            dWeights.Clear();
            dBias.Clear();
            return;
        }
        if (!dBias.IsEmpty) ReduceKernels.SumSimd(dy, 1, B, H, dBias);

        // Scratch from the shared pool: dP for every modality, then the per-row fusion-weight terms.
        int pLength = B * RH;
        float[] scratch = ArrayPool<float>.Shared.Rent(M * pLength + B * R);
        try
        {
            using var pins = new Pinned(projections);
            float** pp = stackalloc float*[M];
            pins.CopyPointers(pp);
            fixed (float* pdy = dy, pw = weights, ps = scratch)
            {
                float* dyp = pdy, wp = pw, sp = ps;
                float* dwRows = sp + (nint)M * pLength;
                Parallelism.For(B, MinRowsPerThread(s), (b0, b1) =>
                {
                    float** dp = stackalloc float*[M];
                    for (int m = 0; m < M; m++) dp[m] = sp + (nint)m * pLength;
                    for (int b = b0; b < b1; b++)
                    {
                        float* dyb = dyp + (nint)b * H, dwRow = dwRows + (nint)b * R;
                        new Span<float>(dwRow, R).Clear();
                        nint row = (nint)b * RH;
                        int h = BackwardRow<Lanes512, Vector512<float>>(pp, dp, M, R, H, wp, dyb, dwRow, row, 0);
                        h = BackwardRow<Lanes256, Vector256<float>>(pp, dp, M, R, H, wp, dyb, dwRow, row, h);
                        BackwardRow<Lanes1, float>(pp, dp, M, R, H, wp, dyb, dwRow, row, h);
                    }
                });
            }
            if (!dWeights.IsEmpty) ReduceKernels.SumSimd(scratch.AsSpan(M * pLength, B * R), 1, B, R, dWeights);

            for (int m = 0; m < M; m++)
            {
                int D = s.D[m];
                ReadOnlySpan<float> dP = scratch.AsSpan(m * pLength, pLength);
                if (!dFactors[m].IsEmpty)
                {
                    // dW_m[:D] (D, R·H) = z_mᵀ (D, B) · dP_m (B, R·H);  dW_m[D] = Σ_b dP_m[b]
                    Span<float> dw = dFactors[m].Span;
                    MatMulKernels.Gemm(z[m].Span, true, dP, false, D, RH, B, 1f, 0f, dw[..(D * RH)]);
                    ReduceKernels.SumSimd(dP, 1, B, RH, dw.Slice(D * RH, RH));
                }
                if (!dz[m].IsEmpty)
                    // dz_m (B, D) = dP_m (B, R·H) · W_m[:D]ᵀ (R·H, D)
                    MatMulKernels.Gemm(dP, false, factors[m].Span[..(D * RH)], true, B, D, RH, 1f, 0f, dz[m].Span);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// For as many whole vectors of h as fit from <paramref name="h"/>, and every rank r: the
    /// exclusive products dP_m = w[r]·dy·Π_{m'≠m} P_m' (prefix products kept on the way forward
    /// over m, a running suffix product on the way back) and dwRow[r] += Σ_h dy·Π_m P_m. Returns the next h.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int BackwardRow<TL, TV>(float** p, float** dp, int M, int R, int H, float* w, float* dyb, float* dwRow, nint row, int h)
        where TL : ILanes<TV> where TV : unmanaged
    {
        if (!TL.IsAccelerated) return h;
        TV* prefix = stackalloc TV[M];
        for (; h + TL.Count <= H; h += TL.Count)
        {
            TV g = TL.Load(ref dyb[h], 0);
            for (int r = 0; r < R; r++)
            {
                nint at = row + r * H + h;
                TV acc = TL.Broadcast(1f);
                for (int m = 0; m < M; m++)
                {
                    prefix[m] = acc;                                   // Π_{m'<m} P_m'
                    acc = TL.Multiply(acc, TL.Load(ref p[m][at], 0));
                }
                dwRow[r] += TL.Sum(TL.Multiply(g, acc));              // acc = Π_m P_m
                TV suffix = TL.Multiply(TL.Broadcast(w[r]), g);       // w[r]·dy·Π_{m'>m} P_m'
                for (int m = M - 1; m >= 0; m--)
                {
                    TL.Store(TL.Multiply(prefix[m], suffix), ref dp[m][at], 0);
                    if (m > 0) suffix = TL.Multiply(suffix, TL.Load(ref p[m][at], 0));
                }
            }
        }
        return h;
    }

    /// <summary>Pins a list of buffers for the duration of a kernel call (the row passes read them through pointers).</summary>
    private readonly struct Pinned : IDisposable
    {
        private readonly MemoryHandle[] _handles;

        public Pinned(ReadOnlyMemory<float>[] buffers)
        {
            _handles = new MemoryHandle[buffers.Length];
            for (int i = 0; i < buffers.Length; i++) _handles[i] = buffers[i].Pin();
        }

        public Pinned(Memory<float>[] buffers)
        {
            _handles = new MemoryHandle[buffers.Length];
            for (int i = 0; i < buffers.Length; i++) _handles[i] = buffers[i].Pin();
        }

        public unsafe void CopyPointers(float** destination)
        {
            for (int i = 0; i < _handles.Length; i++) destination[i] = (float*)_handles[i].Pointer;
        }

        public void Dispose()
        {
            foreach (var h in _handles) h.Dispose();
        }
    }
}
