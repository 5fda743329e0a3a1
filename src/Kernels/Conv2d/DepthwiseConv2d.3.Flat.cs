// DepthwiseConv2d variant 3 — Flat: stride 1, the whole padded plane as one row of vectors.
//
// Shapes as in DepthwiseConv2d.cs (variants 1 Naive and 2 Simd): x (N,C,H,W), w (C,1,R,S),
// y (N,C,P,Q), stride 1, so P = H + 2·pad − R + 1 and Q = W + 2·pad − S + 1.
//
// What changes, and why. Variant 2 vectorises along one output row: fine for 26×26 planes, but an
// MBConv network at 28×28 input spends its depthwise work on 14×14 and 7×7 planes, where a row of
// 7 outputs fills half a Vector128 and the per-row and per-plane overhead is most of the time
// (measured 1–5 GFLOP/s). Variant 3 drops the rows. It copies the plane into a zero-padded
// scratch of row pitch Wp = W + 2·pad and computes outputs on the "flat" domain o = p·Wp + q for
// all q < Wp, not only q < Q. In that domain tap (r, s) reads the scratch at o + r·Wp + s, one
// fixed offset per tap, so
//
//     yflat[o .. o+16) = Σ_{r,s} w[r,s] · xpad[o + r·Wp + s .. +16)      (one FMA per tap)
//
// runs over the whole plane in full-width vectors (a 7×7 plane with a 3×3 filter: 63 flat
// outputs = 4 Vector512 steps × 9 FMAs, where variant 2 made 14 Vector128 steps). The Wp − Q
// columns per row past the edge are computed and thrown away when the valid ones are copied out;
// the scratch has slack so that the last vector never needs a tail.
//   * Input gradient: with stride 1 it is the same correlation run backwards — dy padded by
//     R − 1 − pad rows and S − 1 − pad columns, correlated with the filter rotated by 180° —
//     so it reuses the forward routine on dy (no scatter at all).
//   * Weight gradient: dy is laid out in the same flat domain with zeros in the thrown-away
//     columns, so dw[c,r,s] = Σ_o dyflat[o]·xpad[o + r·Wp + s] is a dot product of two contiguous
//     runs; each tap keeps a vector accumulator across the batch and is reduced once at the end.
// Threads split planes (forward, input gradient) or channels (weight gradient) as in variant 2.
// Scratch comes from ArrayPool, rented once per thread per call.
//
// Only stride 1 (and pad < R, S for the input gradient): `DepthwiseConv2dKernels.Forward/
// BackwardInput/BackwardWeight` pick this variant where it applies and variant 2 otherwise. A
// strided version (the padded plane split into stride² polyphase sub-planes, so that each tap is
// again one offset) was written and measured: at stride 2 on 14×14 planes its scattered copy made
// it 2× slower than variant 2's vector deinterleave, so it was dropped. Measured with
// `fusion kernel depthwise`: 1.5–2.3× variant 2 on the MBConv planes (7×7, 14×14).
//
//   dotnet run -c Release --project src/Runner -- kernel depthwise

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FusionScratch.Kernels.Simd;

namespace FusionScratch.Kernels;

public static partial class DepthwiseConv2dKernels
{
    // ------------------------------------------------------------------ dispatch (what the tensor op calls)

    /// <summary>Depthwise forward by the fastest variant that applies: <see cref="ForwardFlat"/> at stride 1, else <see cref="ForwardSimd"/>.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y)
    {
        if (s.Stride == 1) ForwardFlat(x, w, bias, s, y);
        else ForwardSimd(x, w, bias, s, y);
    }

    /// <summary>Depthwise input gradient by the fastest variant that applies (<see cref="BackwardInputFlat"/> or <see cref="BackwardInputSimd"/>).</summary>
    public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx)
    {
        if (FlatInputApplies(s)) BackwardInputFlat(dy, w, s, dx);
        else BackwardInputSimd(dy, w, s, dx);
    }

    /// <summary>Depthwise weight and bias gradients by the fastest variant that applies: <see cref="BackwardWeightFlat"/> at stride 1, else <see cref="BackwardWeightSimd"/>.</summary>
    public static void BackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias)
    {
        if (s.Stride == 1) BackwardWeightFlat(x, dy, s, dw, dBias);
        else BackwardWeightSimd(x, dy, s, dw, dBias);
    }

    /// <summary>Whether variant 3's input gradient handles <paramref name="s"/>: stride 1 with pad &lt; R and pad &lt; S (forward and weight gradient: stride 1).</summary>
    public static bool FlatInputApplies(in Conv2dShape s) => s.Stride == 1 && s.Pad < s.R && s.Pad < s.S;

    private static void CheckStride1(in Conv2dShape s)
    {
        if (s.Stride != 1) throw new ArgumentException($"{Op}: the flat variant needs stride 1, got {s}");
    }

    // ------------------------------------------------------------------ 3. Flat

    /// <summary>
    /// Depthwise forward at stride 1 over the flat padded plane (see the file header): effectively
    /// computes y[n,c,p,q] = b[c] + Σ_{r,s} w[c,r,s]·x[n,c,p+r−pad,q+s−pad]. Matches
    /// <see cref="ForwardNaive"/> within rounding.
    /// </summary>
    public static void ForwardFlat(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y)
    {
        CheckShape(s);
        s.CheckForward(x.Length, w.Length, bias.Length, y.Length, Op, s.C * s.R * s.S);
        CheckStride1(s);
        RunPlanes(x, w, bias, s, y, input: false);
    }

    /// <summary>
    /// Depthwise input gradient at stride 1: the forward correlation of dy (padded by R−1−pad,
    /// S−1−pad) with the rotated filter. Effectively computes
    /// dx[n,c,h,w] = Σ dy[n,c,p,q]·w[c,r,s] over p+r−pad = h, q+s−pad = w. Overwrites dx.
    /// </summary>
    public static void BackwardInputFlat(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx)
    {
        CheckBackwardInput(dy.Length, w.Length, s, dx.Length);
        if (!FlatInputApplies(s))
            throw new ArgumentException($"{Op}: the flat input gradient needs stride 1 and pad < R, S, got {s}");
        RunPlanes(dy, w, [], s, dx, input: true);
    }

    /// <summary>The plane correlation that forward (x → y) and input gradient (dy → dx) share; threads over planes.</summary>
    private static unsafe void RunPlanes(ReadOnlySpan<float> src, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> dst, bool input)
    {
        int planes = s.N * s.C;
        long work = (long)s.OutputLength * s.R * s.S;
        if (Parallelism.Threads == 1 || work < 2 * ParallelWork || planes < 2)
        {
            CorrelatePlanes(src, w, bias, s, dst, input, 0, planes);
            return;
        }
        fixed (float* ps = src, pw = w, pb = bias, pd = dst)
            Parallelism.For(planes, MinPlanes(planes, work),
                (Src: new Pinned<float>(ps, src.Length), W: new Pinned<float>(pw, w.Length), B: new Pinned<float>(pb, bias.Length), s, Dst: new Pinned<float>(pd, dst.Length), input),
                static (st, i0, i1) => CorrelatePlanes(st.Src.Span, st.W.Span, st.B.Span, st.s, st.Dst.Span, st.input, i0, i1));
    }

    /// <summary>
    /// Planes [i0, i1) (plane = n·C + c). Forward: src plane H×W padded by pad → dst P×Q with
    /// w[c]. Input gradient: src plane P×Q padded by R−1−pad, S−1−pad → dst H×W with w[c]
    /// rotated by 180°.
    /// </summary>
    private static void CorrelatePlanes(ReadOnlySpan<float> src, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> dst, bool input, int i0, int i1)
    {
        int C = s.C, R = s.R, S = s.S, RS = R * S;
        var (h, wd, padR, padC, outH, outW) = input
            ? (s.P, s.Q, R - 1 - s.Pad, S - 1 - s.Pad, s.H, s.W)
            : (s.H, s.W, s.Pad, s.Pad, s.P, s.Q);
        var g = new FlatPlane(h, wd, padR, padC, R, S);
        float[] scratch = ArrayPool<float>.Shared.Rent(g.PaddedLength + g.FlatLength);
        Span<float> taps = RS <= 64 ? stackalloc float[RS] : new float[RS];
        Span<int> offsets = RS <= 64 ? stackalloc int[RS] : new int[RS];
        g.TapOffsets(offsets);
        try
        {
            Span<float> padded = scratch.AsSpan(0, g.PaddedLength), flat = scratch.AsSpan(g.PaddedLength, g.FlatLength);
            for (int i = i0; i < i1; i++)
            {
                int c = i % C;
                ReadOnlySpan<float> wc = w.Slice(c * RS, RS);
                if (input)
                    for (int k = 0; k < RS; k++) taps[k] = wc[RS - 1 - k]; // rotated 180°: w[R−1−r, S−1−s]
                else
                    wc.CopyTo(taps);
                g.Pad(src.Slice(i * h * wd, h * wd), padded);
                g.Correlate(padded, taps, offsets, bias.IsEmpty ? 0f : bias[c], flat);
                g.Unflatten(flat, outH, outW, dst.Slice(i * outH * outW, outH * outW));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Depthwise weight and bias gradients at stride 1 by flat dot products (see the file header),
    /// threads over channels: effectively computes dw[c,r,s] = Σ_{n,p,q} dy[n,c,p,q]·x[n,c,p+r−pad,q+s−pad]
    /// and db[c] = Σ_{n,p,q} dy[n,c,p,q]. Overwrites dw; <paramref name="dBias"/> may be empty.
    /// </summary>
    public static unsafe void BackwardWeightFlat(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias)
    {
        CheckShape(s);
        Conv2dKernels.CheckBackwardWeight(x.Length, dy.Length, s, dw.Length, dBias.Length, Op, s.C * s.R * s.S);
        CheckStride1(s);
        long work = (long)s.OutputLength * s.R * s.S;
        if (Parallelism.Threads == 1 || work < 2 * ParallelWork || s.C < 2)
        {
            WeightChannelsFlat(x, dy, s, dw, dBias, 0, s.C);
            return;
        }
        fixed (float* px = x, pdy = dy, pdw = dw, pdb = dBias)
            Parallelism.For(s.C, MinPlanes(s.C, work),
                (X: new Pinned<float>(px, x.Length), Dy: new Pinned<float>(pdy, dy.Length), s, Dw: new Pinned<float>(pdw, dw.Length), Db: new Pinned<float>(pdb, dBias.Length)),
                static (st, c0, c1) => WeightChannelsFlat(st.X.Span, st.Dy.Span, st.s, st.Dw.Span, st.Db.Span, c0, c1));
    }

    /// <summary>Channels [c0, c1): dw[c] and db[c] over the whole batch.</summary>
    private static void WeightChannelsFlat(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias, int c0, int c1)
    {
        int N = s.N, C = s.C, H = s.H, W = s.W, P = s.P, Q = s.Q, RS = s.R * s.S;
        var g = new FlatPlane(H, W, s.Pad, s.Pad, s.R, s.S);
        float[] scratch = ArrayPool<float>.Shared.Rent(g.PaddedLength + g.FlatLength + RS * FlatPlane.Lanes);
        Span<int> offsets = RS <= 64 ? stackalloc int[RS] : new int[RS];
        g.TapOffsets(offsets);
        try
        {
            Span<float> padded = scratch.AsSpan(0, g.PaddedLength), flat = scratch.AsSpan(g.PaddedLength, g.FlatLength);
            Span<float> acc = scratch.AsSpan(g.PaddedLength + g.FlatLength, RS * FlatPlane.Lanes);
            for (int c = c0; c < c1; c++)
            {
                acc.Clear();
                float db = 0f;
                for (int n = 0; n < N; n++)
                {
                    int plane = n * C + c;
                    ReadOnlySpan<float> dyPlane = dy.Slice(plane * P * Q, P * Q);
                    if (!dBias.IsEmpty) db += ReduceKernels.Sum(dyPlane);
                    g.Pad(x.Slice(plane * H * W, H * W), padded);
                    g.Flatten(dyPlane, P, Q, flat);
                    g.AccumulateTapDots(flat, padded, offsets, acc);
                }
                for (int k = 0; k < RS; k++) dw[c * RS + k] = FlatPlane.SumLanes(acc.Slice(k * FlatPlane.Lanes, FlatPlane.Lanes));
                if (!dBias.IsEmpty) dBias[c] = db;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// The geometry of one flat padded plane: an h×w plane padded by padR rows and padC columns
    /// (row pitch Pitch = w + 2·padC), correlated with an R×S filter, tap (r, s) at offset
    /// r·Pitch + s; flat outputs o = p·Pitch + q for p &lt; Ho = h + 2·padR − R + 1, q &lt; Pitch,
    /// rounded up to whole vectors (FlatLength), with enough zero slack after the padded plane
    /// that the last vector's taps stay inside.
    /// </summary>
    private readonly struct FlatPlane
    {
        /// <summary>Lanes of the vectors the flat loops use: 16 with AVX-512, 8 with AVX2, else 1.</summary>
        public static int Lanes => Lanes512.IsAccelerated ? 16 : Lanes256.IsAccelerated ? 8 : 1;

        private readonly int _h, _w, _padR, _padC, _r, _s;
        public readonly int Pitch, FlatLength, PaddedLength;

        public FlatPlane(int h, int w, int padR, int padC, int r, int s)
        {
            (_h, _w, _padR, _padC, _r, _s) = (h, w, padR, padC, r, s);
            Pitch = w + 2 * padC;
            int outRows = h + 2 * padR - r + 1;
            FlatLength = (outRows * Pitch + Lanes - 1) / Lanes * Lanes;
            // the last vector reads up to FlatLength − 1 + (R−1)·Pitch + S−1
            PaddedLength = Math.Max((h + 2 * padR) * Pitch, FlatLength + (r - 1) * Pitch + s - 1);
        }

        /// <summary>offsets[r·S + s] = r·Pitch + s, where tap (r, s) of output o reads relative to o.</summary>
        public void TapOffsets(Span<int> offsets)
        {
            for (int r = 0; r < _r; r++)
                for (int t = 0; t < _s; t++) offsets[r * _s + t] = r * Pitch + t;
        }

        /// <summary>padded = the plane at rows padR.., columns padC.., zeros elsewhere (slack included).</summary>
        public void Pad(ReadOnlySpan<float> plane, Span<float> padded)
        {
            padded.Clear();
            for (int row = 0; row < _h; row++)
                plane.Slice(row * _w, _w).CopyTo(padded.Slice((row + _padR) * Pitch + _padC, _w));
        }

        /// <summary>flat = the rows×cols plane at pitch Pitch, zeros in the columns past cols and after the last row.</summary>
        public void Flatten(ReadOnlySpan<float> plane, int rows, int cols, Span<float> flat)
        {
            flat.Clear();
            for (int row = 0; row < rows; row++) plane.Slice(row * cols, cols).CopyTo(flat.Slice(row * Pitch, cols));
        }

        /// <summary>dst (rows×cols) = the first cols columns of each flat row.</summary>
        public void Unflatten(ReadOnlySpan<float> flat, int rows, int cols, Span<float> dst)
        {
            for (int row = 0; row < rows; row++) flat.Slice(row * Pitch, cols).CopyTo(dst.Slice(row * cols, cols));
        }

        /// <summary>flat[o] = bias + Σ_k taps[k]·padded[o + offsets[k]] for every o &lt; FlatLength.</summary>
        public void Correlate(ReadOnlySpan<float> padded, ReadOnlySpan<float> taps, ReadOnlySpan<int> offsets, float bias, Span<float> flat)
        {
            if (Lanes512.IsAccelerated) Correlate<Lanes512, Vector512<float>>(padded, taps, offsets, bias, flat);
            else if (Lanes256.IsAccelerated) Correlate<Lanes256, Vector256<float>>(padded, taps, offsets, bias, flat);
            else Correlate<Lanes1, float>(padded, taps, offsets, bias, flat);
        }

        private void Correlate<TL, TV>(ReadOnlySpan<float> padded, ReadOnlySpan<float> taps, ReadOnlySpan<int> offsets, float bias, Span<float> flat)
            where TL : ILanes<TV> where TV : struct
        {
            ref float src = ref MemoryMarshal.GetReference(padded);
            ref float wt = ref MemoryMarshal.GetReference(taps);
            ref int off = ref MemoryMarshal.GetReference(offsets);
            ref float dst = ref MemoryMarshal.GetReference(flat);
            int n = taps.Length;
            for (int o = 0; o < FlatLength; o += TL.Count)
            {
                // Two accumulators (even and odd taps) so consecutive FMAs do not wait on each other.
                TV a0 = TL.Broadcast(bias), a1 = TL.Broadcast(0f);
                int k = 0;
                for (; k + 1 < n; k += 2)
                {
                    a0 = TL.MultiplyAdd(TL.Load(ref src, o + Unsafe.Add(ref off, k)), TL.Broadcast(Unsafe.Add(ref wt, k)), a0);
                    a1 = TL.MultiplyAdd(TL.Load(ref src, o + Unsafe.Add(ref off, k + 1)), TL.Broadcast(Unsafe.Add(ref wt, k + 1)), a1);
                }
                if (k < n) a0 = TL.MultiplyAdd(TL.Load(ref src, o + Unsafe.Add(ref off, k)), TL.Broadcast(Unsafe.Add(ref wt, k)), a0);
                TL.Store(TL.Add(a0, a1), ref dst, o);
            }
        }

        /// <summary>acc[k·Lanes ..] += Σ_o flat[o]·padded[o + offsets[k]] lane by lane, for every tap k.</summary>
        public void AccumulateTapDots(ReadOnlySpan<float> flat, ReadOnlySpan<float> padded, ReadOnlySpan<int> offsets, Span<float> acc)
        {
            if (Lanes512.IsAccelerated) TapDots<Lanes512, Vector512<float>>(flat, padded, offsets, acc);
            else if (Lanes256.IsAccelerated) TapDots<Lanes256, Vector256<float>>(flat, padded, offsets, acc);
            else TapDots<Lanes1, float>(flat, padded, offsets, acc);
        }

        private void TapDots<TL, TV>(ReadOnlySpan<float> flat, ReadOnlySpan<float> padded, ReadOnlySpan<int> offsets, Span<float> acc)
            where TL : ILanes<TV> where TV : struct
        {
            ref float d = ref MemoryMarshal.GetReference(flat);
            ref float src = ref MemoryMarshal.GetReference(padded);
            ref float a = ref MemoryMarshal.GetReference(acc);
            for (int k = 0; k < offsets.Length; k++)
            {
                ref float shifted = ref Unsafe.Add(ref src, offsets[k]);
                TV a0 = TL.Load(ref a, k * TL.Count), a1 = TL.Broadcast(0f);
                int o = 0;
                for (; o + 2 * TL.Count <= FlatLength; o += 2 * TL.Count)
                {
                    a0 = TL.MultiplyAdd(TL.Load(ref d, o), TL.Load(ref shifted, o), a0);
                    a1 = TL.MultiplyAdd(TL.Load(ref d, o + TL.Count), TL.Load(ref shifted, o + TL.Count), a1);
                }
                if (o < FlatLength) a0 = TL.MultiplyAdd(TL.Load(ref d, o), TL.Load(ref shifted, o), a0);
                TL.Store(TL.Add(a0, a1), ref a, k * TL.Count);
            }
        }

        /// <summary>The sum of one tap's lane accumulators.</summary>
        public static float SumLanes(ReadOnlySpan<float> lanes)
        {
            float sum = 0f;
            foreach (float v in lanes) sum += v;
            return sum;
        }
    }
}
