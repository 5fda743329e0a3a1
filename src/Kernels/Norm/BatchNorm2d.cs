// BatchNorm2d — batch normalisation per channel over (N, H, W), NCHW, float32.
//
// Shapes: x, y, dx, dy (N,C,L) with L = H·W (the kernels need only the plane length);
// gamma, beta, mean, invStd, running mean / variance, dgamma, dbeta (C). Write M = N·L.
//   training forward:  mean[c] = Σ x / M,  var[c] = Σ (x − mean)² / M   (biased, for normalising)
//                      invStd[c] = 1/√(var + eps),  y = (x − mean)·invStd·gamma + beta
//                      running mean ← (1 − momentum)·running mean + momentum·mean
//                      running var  ← (1 − momentum)·running var  + momentum·var·M/(M − 1)  (unbiased)
//                      — PyTorch's conventions; M = 1 is refused, as PyTorch does.
//   eval forward:      the same normalisation with mean = running mean, var = running var.
//   backward, given the mean and invStd the forward used (x̂ = (x − mean)·invStd):
//                      dbeta = Σ dy,   dgamma = Σ dy·x̂,
//                      training:  dx = gamma·invStd/M · (M·dy − dbeta − x̂·dgamma)
//                      eval:      dx = gamma·invStd·dy   (the statistics are constants)
// Variants, in reading order:
//   1. Naive — per channel, straightforward loops; statistics accumulated in double. The reference.
//   2. Simd  — per channel, threaded over channels (each thread owns whole channels, so the
//      sums need no reduction across threads):
//      * forward: two vectorised sweeps for the statistics (Σx, then Σ(x − mean)²: the
//        two-pass variance does not cancel catastrophically as Σx² − M·mean² would), and one
//        sweep y = a·x + b' with a = gamma·invStd, b' = beta − mean·a: one FMA per element.
//      * backward, fused: one sweep for Σdy and Σdy·(x − mean) together, then one sweep
//        dx = k·dy + u·x + v (two FMAs per element) with k, u, v folded per channel from the
//        formula above — no x̂ is materialised.
//      Vector sums accumulate in 16 lanes, so they differ from Naive by rounding.
//
//   dotnet run -c Release --project src/Runner -- kernel batchnorm --variant 2

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels.Norm;

/// <summary>Batch normalisation kernels over (N, C, L) spans, L = H·W.</summary>
public static partial class BatchNorm2dKernels
{
    /// <summary>Elements a thread should get at least (each is read two or three times); smaller jobs stay on the calling thread.</summary>
    internal const int ParallelThreshold = 1 << 17;

    // ------------------------------------------------------------------ 1. Naive

    /// <summary>
    /// Reference training forward: batch statistics per channel, y = (x − mean)·invStd·gamma + beta;
    /// writes the mean and invStd it used (for the backward) and, when
    /// <paramref name="runningMean"/> / <paramref name="runningVar"/> are not empty, updates them
    /// with <paramref name="momentum"/> (running var with the unbiased variance).
    /// </summary>
    public static void ForwardTrainingNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        int N, int C, int L, float eps, float momentum, Span<float> y, Span<float> mean, Span<float> invStd,
        Span<float> runningMean, Span<float> runningVar)
    {
        CheckForward(x.Length, gamma.Length, beta.Length, N, C, L, y.Length, mean.Length, invStd.Length, runningMean.Length, runningVar.Length, true);
        long M = (long)N * L;
        for (int c = 0; c < C; c++)
        {
            double sum = 0;
            for (int n = 0; n < N; n++)
                for (int i = 0; i < L; i++) sum += x[(n * C + c) * L + i];
            double m = sum / M, sq = 0;
            for (int n = 0; n < N; n++)
                for (int i = 0; i < L; i++)
                {
                    double d = x[(n * C + c) * L + i] - m;
                    sq += d * d;
                }
            double var = sq / M;
            mean[c] = (float)m;
            invStd[c] = (float)(1.0 / Math.Sqrt(var + eps));
            if (!runningMean.IsEmpty)
            {
                runningMean[c] = (1 - momentum) * runningMean[c] + momentum * (float)m;
                runningVar[c] = (1 - momentum) * runningVar[c] + momentum * (float)(var * M / (M - 1));
            }
        }
        NormalizeNaive(x, mean, invStd, gamma, beta, N, C, L, y);
    }

    /// <summary>Reference eval forward: y = (x − runningMean)/√(runningVar + eps)·gamma + beta.</summary>
    public static void ForwardEvalNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, int N, int C, int L, float eps, Span<float> y)
    {
        CheckForward(x.Length, gamma.Length, beta.Length, N, C, L, y.Length, C, C, runningMean.Length, runningVar.Length, false);
        Span<float> invStd = C <= 256 ? stackalloc float[C] : new float[C];
        for (int c = 0; c < C; c++) invStd[c] = (float)(1.0 / Math.Sqrt(runningVar[c] + (double)eps));
        NormalizeNaive(x, runningMean, invStd, gamma, beta, N, C, L, y);
    }

    private static void NormalizeNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int N, int C, int L, Span<float> y)
    {
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                for (int i = 0; i < L; i++)
                {
                    int j = (n * C + c) * L + i;
                    y[j] = (x[j] - mean[c]) * invStd[c] * gamma[c] + beta[c];
                }
    }

    /// <summary>
    /// Reference backward given the forward's mean and invStd: dbeta = Σ dy, dgamma = Σ dy·x̂, and
    /// dx = gamma·invStd/M·(M·dy − dbeta − x̂·dgamma) when <paramref name="batchStats"/> (training),
    /// dx = gamma·invStd·dy otherwise (eval). Overwrites the outputs; dx may be empty (not wanted).
    /// </summary>
    public static void BackwardNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> gamma, int N, int C, int L, bool batchStats, Span<float> dx, Span<float> dGamma, Span<float> dBeta)
    {
        CheckBackward(x.Length, dy.Length, mean.Length, invStd.Length, gamma.Length, N, C, L, dx.Length, dGamma.Length, dBeta.Length);
        long M = (long)N * L;
        for (int c = 0; c < C; c++)
        {
            double sdy = 0, sdyx = 0;
            for (int n = 0; n < N; n++)
                for (int i = 0; i < L; i++)
                {
                    int j = (n * C + c) * L + i;
                    sdy += dy[j];
                    sdyx += dy[j] * (x[j] - mean[c]) * invStd[c];
                }
            dBeta[c] = (float)sdy;
            dGamma[c] = (float)sdyx;
            if (dx.IsEmpty) continue;
            for (int n = 0; n < N; n++)
                for (int i = 0; i < L; i++)
                {
                    int j = (n * C + c) * L + i;
                    double xhat = (x[j] - mean[c]) * invStd[c];
                    dx[j] = batchStats
                        ? (float)(gamma[c] * invStd[c] / M * (M * dy[j] - sdy - xhat * sdyx))
                        : gamma[c] * invStd[c] * dy[j];
                }
        }
    }

    // ------------------------------------------------------------------ 2. Simd

    /// <summary>Training forward, SIMD and threaded over channels; same contract as <see cref="ForwardTrainingNaive"/>.</summary>
    public static void ForwardTrainingSimd(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        int N, int C, int L, float eps, float momentum, Span<float> y, Span<float> mean, Span<float> invStd,
        Span<float> runningMean, Span<float> runningVar)
    {
        CheckForward(x.Length, gamma.Length, beta.Length, N, C, L, y.Length, mean.Length, invStd.Length, runningMean.Length, runningVar.Length, true);
        var a = new Args(N, C, L, eps, momentum, true);
        if (!UseThreads(x.Length, C))
            TrainingChannels(x, gamma, beta, a, y, mean, invStd, runningMean, runningVar, 0, C);
        else
            TrainingParallel(x, gamma, beta, a, y, mean, invStd, runningMean, runningVar);
    }

    /// <summary>Eval forward, SIMD and threaded over channels; same contract as <see cref="ForwardEvalNaive"/>.</summary>
    public static void ForwardEvalSimd(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, int N, int C, int L, float eps, Span<float> y)
    {
        CheckForward(x.Length, gamma.Length, beta.Length, N, C, L, y.Length, C, C, runningMean.Length, runningVar.Length, false);
        var a = new Args(N, C, L, eps, 0f, false);
        if (!UseThreads(x.Length, C))
            EvalChannels(x, gamma, beta, runningMean, runningVar, a, y, 0, C);
        else
            EvalParallel(x, gamma, beta, runningMean, runningVar, a, y);
    }

    /// <summary>Fused backward, SIMD and threaded over channels; same contract as <see cref="BackwardNaive"/>.</summary>
    public static void BackwardSimd(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> gamma, int N, int C, int L, bool batchStats, Span<float> dx, Span<float> dGamma, Span<float> dBeta)
    {
        CheckBackward(x.Length, dy.Length, mean.Length, invStd.Length, gamma.Length, N, C, L, dx.Length, dGamma.Length, dBeta.Length);
        var a = new Args(N, C, L, 0f, 0f, batchStats);
        if (!UseThreads(x.Length, C))
            BackwardChannels(x, dy, mean, invStd, gamma, a, dx, dGamma, dBeta, 0, C);
        else
            BackwardParallel(x, dy, mean, invStd, gamma, a, dx, dGamma, dBeta);
    }

    private readonly record struct Args(int N, int C, int L, float Eps, float Momentum, bool BatchStats);

    private static bool UseThreads(int length, int C) => Parallelism.Threads > 1 && C > 1 && length >= 2 * ParallelThreshold;

    private static int MinChannels(in Args a) => Math.Max(1, ParallelThreshold / Math.Max(1, a.N * a.L));

    private static unsafe void TrainingParallel(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Args a,
        Span<float> y, Span<float> mean, Span<float> invStd, Span<float> runningMean, Span<float> runningVar)
    {
        int xn = x.Length, C = a.C, rn = runningMean.Length;
        fixed (float* px = x, pg = gamma, pb = beta, py = y, pm = mean, pi = invStd, prm = runningMean, prv = runningVar)
            Parallelism.For(C, MinChannels(a),
                (X: new Pinned<float>(px, xn), Gamma: new Pinned<float>(pg, C), Beta: new Pinned<float>(pb, C), a, Y: new Pinned<float>(py, xn),
                 Mean: new Pinned<float>(pm, C), InvStd: new Pinned<float>(pi, C), RunningMean: new Pinned<float>(prm, rn), RunningVar: new Pinned<float>(prv, rn)),
                static (st, c0, c1) => TrainingChannels(st.X.Span, st.Gamma.Span, st.Beta.Span, st.a, st.Y.Span, st.Mean.Span, st.InvStd.Span,
                    st.RunningMean.Span, st.RunningVar.Span, c0, c1));
    }

    private static unsafe void EvalParallel(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Args a, Span<float> y)
    {
        int xn = x.Length, C = a.C;
        fixed (float* px = x, pg = gamma, pb = beta, prm = runningMean, prv = runningVar, py = y)
            Parallelism.For(C, MinChannels(a),
                (X: new Pinned<float>(px, xn), Gamma: new Pinned<float>(pg, C), Beta: new Pinned<float>(pb, C), RunningMean: new Pinned<float>(prm, C),
                 RunningVar: new Pinned<float>(prv, C), a, Y: new Pinned<float>(py, xn)),
                static (st, c0, c1) => EvalChannels(st.X.Span, st.Gamma.Span, st.Beta.Span, st.RunningMean.Span, st.RunningVar.Span, st.a, st.Y.Span, c0, c1));
    }

    private static unsafe void BackwardParallel(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> gamma, Args a, Span<float> dx, Span<float> dGamma, Span<float> dBeta)
    {
        int xn = x.Length, dxn = dx.Length, C = a.C;
        fixed (float* px = x, pdy = dy, pm = mean, pi = invStd, pg = gamma, pdx = dx, pdg = dGamma, pdb = dBeta)
            Parallelism.For(C, MinChannels(a),
                (X: new Pinned<float>(px, xn), Dy: new Pinned<float>(pdy, xn), Mean: new Pinned<float>(pm, C), InvStd: new Pinned<float>(pi, C),
                 Gamma: new Pinned<float>(pg, C), a, Dx: new Pinned<float>(pdx, dxn), DGamma: new Pinned<float>(pdg, C), DBeta: new Pinned<float>(pdb, C)),
                static (st, c0, c1) => BackwardChannels(st.X.Span, st.Dy.Span, st.Mean.Span, st.InvStd.Span, st.Gamma.Span, st.a,
                    st.Dx.Span, st.DGamma.Span, st.DBeta.Span, c0, c1));
    }

    private static void TrainingChannels(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, in Args a,
        Span<float> y, Span<float> mean, Span<float> invStd, Span<float> runningMean, Span<float> runningVar, int c0, int c1)
    {
        int N = a.N, C = a.C, L = a.L;
        long M = (long)N * L;
        for (int c = c0; c < c1; c++)
        {
            float sum = 0f;
            for (int n = 0; n < N; n++) sum += VectorLoop.Reduce<Reduce.SumOp>(x.Slice((n * C + c) * L, L));
            float m = sum / M;
            float sq = 0f;
            for (int n = 0; n < N; n++) sq += SumSquaredDeviations(x.Slice((n * C + c) * L, L), m);
            float var = sq / M;
            float inv = 1f / MathF.Sqrt(var + a.Eps);
            mean[c] = m;
            invStd[c] = inv;
            if (!runningMean.IsEmpty)
            {
                runningMean[c] = (1 - a.Momentum) * runningMean[c] + a.Momentum * m;
                runningVar[c] = (1 - a.Momentum) * runningVar[c] + a.Momentum * (float)((double)var * M / (M - 1));
            }
            float scale = gamma[c] * inv, shift = beta[c] - m * scale;
            for (int n = 0; n < N; n++) AffineRow(x.Slice((n * C + c) * L, L), scale, shift, y.Slice((n * C + c) * L, L));
        }
    }

    private static void EvalChannels(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, in Args a, Span<float> y, int c0, int c1)
    {
        int N = a.N, C = a.C, L = a.L;
        for (int c = c0; c < c1; c++)
        {
            float inv = 1f / MathF.Sqrt(runningVar[c] + a.Eps);
            float scale = gamma[c] * inv, shift = beta[c] - runningMean[c] * scale;
            for (int n = 0; n < N; n++) AffineRow(x.Slice((n * C + c) * L, L), scale, shift, y.Slice((n * C + c) * L, L));
        }
    }

    private static void BackwardChannels(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> gamma, in Args a, Span<float> dx, Span<float> dGamma, Span<float> dBeta, int c0, int c1)
    {
        int N = a.N, C = a.C, L = a.L;
        long M = (long)N * L;
        for (int c = c0; c < c1; c++)
        {
            float m = mean[c], inv = invStd[c];
            float sdy = 0f, sdyxc = 0f; // Σ dy and Σ dy·(x − mean)
            for (int n = 0; n < N; n++)
            {
                var (s0, s1) = SumAndDot(dy.Slice((n * C + c) * L, L), x.Slice((n * C + c) * L, L), m);
                sdy += s0;
                sdyxc += s1;
            }
            dBeta[c] = sdy;
            dGamma[c] = sdyxc * inv;
            if (dx.IsEmpty) continue;
            // training: dx = k·dy + u·x + v with k = gamma·invStd, u = −k·invStd²·Σdy(x−mean)/M,
            //           v = −k·Σdy/M − u·mean;   eval: dx = k·dy.
            float k = gamma[c] * inv, u = 0f, v = 0f;
            if (a.BatchStats)
            {
                u = -k * inv * inv * sdyxc / M;
                v = -k * sdy / M - u * m;
            }
            for (int n = 0; n < N; n++)
                DxRow(dy.Slice((n * C + c) * L, L), x.Slice((n * C + c) * L, L), k, u, v, dx.Slice((n * C + c) * L, L));
        }
    }

    // ---- row loops (512 → 256 → scalar) ----

    /// <summary>Σ (x[i] − m)².</summary>
    private static float SumSquaredDeviations(ReadOnlySpan<float> x, float m)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        float total = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> mv = Vector512.Create(m), a0 = Vector512<float>.Zero, a1 = a0;
            for (; i <= n - 32; i += 32)
            {
                var d0 = Vector512.LoadUnsafe(ref xr, (nuint)i) - mv;
                var d1 = Vector512.LoadUnsafe(ref xr, (nuint)(i + 16)) - mv;
                a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
                a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
            }
            for (; i <= n - 16; i += 16)
            {
                var d = Vector512.LoadUnsafe(ref xr, (nuint)i) - mv;
                a0 = Vector512.FusedMultiplyAdd(d, d, a0);
            }
            total = Vector512.Sum(a0 + a1);
        }
        if (Vector256.IsHardwareAccelerated && i <= n - 8)
        {
            Vector256<float> mv = Vector256.Create(m), acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var d = Vector256.LoadUnsafe(ref xr, (nuint)i) - mv;
                acc = Vector256.FusedMultiplyAdd(d, d, acc);
            }
            total += Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float d = Unsafe.Add(ref xr, i) - m;
            total += d * d;
        }
        return total;
    }

    /// <summary>(Σ dy[i], Σ dy[i]·(x[i] − m)) in one sweep.</summary>
    private static (float Sum, float Dot) SumAndDot(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float m)
    {
        ref float dr = ref MemoryMarshal.GetReference(dy);
        ref float xr = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        float sum = 0f, dot = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> mv = Vector512.Create(m), s0 = Vector512<float>.Zero, s1 = s0, d0 = s0, d1 = s0;
            for (; i <= n - 32; i += 32)
            {
                var g0 = Vector512.LoadUnsafe(ref dr, (nuint)i);
                var g1 = Vector512.LoadUnsafe(ref dr, (nuint)(i + 16));
                s0 += g0;
                s1 += g1;
                d0 = Vector512.FusedMultiplyAdd(g0, Vector512.LoadUnsafe(ref xr, (nuint)i) - mv, d0);
                d1 = Vector512.FusedMultiplyAdd(g1, Vector512.LoadUnsafe(ref xr, (nuint)(i + 16)) - mv, d1);
            }
            for (; i <= n - 16; i += 16)
            {
                var g = Vector512.LoadUnsafe(ref dr, (nuint)i);
                s0 += g;
                d0 = Vector512.FusedMultiplyAdd(g, Vector512.LoadUnsafe(ref xr, (nuint)i) - mv, d0);
            }
            sum = Vector512.Sum(s0 + s1);
            dot = Vector512.Sum(d0 + d1);
        }
        if (Vector256.IsHardwareAccelerated && i <= n - 8)
        {
            Vector256<float> mv = Vector256.Create(m), s = Vector256<float>.Zero, d = s;
            for (; i <= n - 8; i += 8)
            {
                var g = Vector256.LoadUnsafe(ref dr, (nuint)i);
                s += g;
                d = Vector256.FusedMultiplyAdd(g, Vector256.LoadUnsafe(ref xr, (nuint)i) - mv, d);
            }
            sum += Vector256.Sum(s);
            dot += Vector256.Sum(d);
        }
        for (; i < n; i++)
        {
            float g = Unsafe.Add(ref dr, i);
            sum += g;
            dot += g * (Unsafe.Add(ref xr, i) - m);
        }
        return (sum, dot);
    }

    /// <summary>y[i] = a·x[i] + b.</summary>
    private static void AffineRow(ReadOnlySpan<float> x, float a, float b, Span<float> y)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> av = Vector512.Create(a), bv = Vector512.Create(b);
            for (; i <= n - 16; i += 16)
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i), av, bv).StoreUnsafe(ref yr, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> av = Vector256.Create(a), bv = Vector256.Create(b);
            for (; i <= n - 8; i += 8)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), av, bv).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref yr, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, i), a, b);
    }

    /// <summary>dx[i] = k·dy[i] + u·x[i] + v.</summary>
    private static void DxRow(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float k, float u, float v, Span<float> dx)
    {
        ref float dr = ref MemoryMarshal.GetReference(dy);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float dxr = ref MemoryMarshal.GetReference(dx);
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> kv = Vector512.Create(k), uv = Vector512.Create(u), vv = Vector512.Create(v);
            for (; i <= n - 16; i += 16)
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref dr, (nuint)i), kv,
                    Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i), uv, vv)).StoreUnsafe(ref dxr, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> kv = Vector256.Create(k), uv = Vector256.Create(u), vv = Vector256.Create(v);
            for (; i <= n - 8; i += 8)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref dr, (nuint)i), kv,
                    Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), uv, vv)).StoreUnsafe(ref dxr, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref dxr, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref dr, i), k, MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, i), u, v));
    }

    // ---- checks ----

    private static void CheckForward(int xLength, int gammaLength, int betaLength, int N, int C, int L, int yLength,
        int meanLength, int invStdLength, int runningMeanLength, int runningVarLength, bool training)
    {
        const string op = "batch_norm2d";
        if (N < 0 || C < 1 || L < 1)
            throw new ArgumentException($"{op}: dimensions must be positive (N ≥ 0), got N={N}, C={C}, H·W={L}");
        long total = (long)N * C * L;
        if (xLength != total) throw new ArgumentException($"{op}: x has {xLength} elements, expected (N,C,H·W) = ({N},{C},{L}) = {total}", "x");
        if (yLength != total) throw new ArgumentException($"{op}: y has {yLength} elements, expected ({N},{C},{L}) = {total}", "y");
        CheckChannel(gammaLength, C, "gamma", op);
        CheckChannel(betaLength, C, "beta", op);
        CheckChannel(meanLength, C, "mean", op);
        CheckChannel(invStdLength, C, "invStd", op);
        if (training)
        {
            if ((long)N * L < 2)
                throw new ArgumentException($"{op}: training needs more than one value per channel, got input ({N},{C},{L})");
            if (runningMeanLength != runningVarLength || (runningMeanLength != 0 && runningMeanLength != C))
                throw new ArgumentException($"{op}: running mean ({runningMeanLength}) and running var ({runningVarLength}) must both have {C} elements, or both be empty");
        }
        else
        {
            CheckChannel(runningMeanLength, C, "runningMean", op);
            CheckChannel(runningVarLength, C, "runningVar", op);
        }
    }

    private static void CheckBackward(int xLength, int dyLength, int meanLength, int invStdLength, int gammaLength, int N, int C, int L,
        int dxLength, int dGammaLength, int dBetaLength)
    {
        const string op = "batch_norm2d backward";
        if (N < 0 || C < 1 || L < 1)
            throw new ArgumentException($"{op}: dimensions must be positive (N ≥ 0), got N={N}, C={C}, H·W={L}");
        long total = (long)N * C * L;
        if (xLength != total) throw new ArgumentException($"{op}: x has {xLength} elements, expected ({N},{C},{L}) = {total}", "x");
        if (dyLength != total) throw new ArgumentException($"{op}: dy has {dyLength} elements, expected ({N},{C},{L}) = {total}", "dy");
        if (dxLength != 0 && dxLength != total) throw new ArgumentException($"{op}: dx has {dxLength} elements, expected ({N},{C},{L}) = {total} (or none)", "dx");
        CheckChannel(meanLength, C, "mean", op);
        CheckChannel(invStdLength, C, "invStd", op);
        CheckChannel(gammaLength, C, "gamma", op);
        CheckChannel(dGammaLength, C, "dGamma", op);
        CheckChannel(dBetaLength, C, "dBeta", op);
    }

    private static void CheckChannel(int length, int C, string name, string op)
    {
        if (length != C) throw new ArgumentException($"{op}: {name} has {length} elements, expected C = {C}", name);
    }
}
