// Conv2d — 2-D convolution (cross-correlation, as every DL framework computes it), NCHW, float32.
//
// Shapes (letters fixed for every file in this folder):
//   x  (N,C,H,W)   N images of C channels, H×W pixels
//   w  (K,C,R,S)   K output channels (filters), each C×R×S
//   b  (K)         bias, optional (an empty span means none)
//   y  (N,K,P,Q)   P = (H + 2·pad − R)/stride + 1, Q = (W + 2·pad − S)/stride + 1
//   y[n,k,p,q] = b[k] + Σ_{c,r,s} w[k,c,r,s]·x[n, c, p·stride + r − pad, q·stride + s − pad]
// with x read as 0 outside the image (zero padding). Dilation is 1, groups 1 (depthwise has its
// own file). Conv2dShape below carries the dimensions and checks them once for every variant.
//
// Variants, one file each, in reading order (all share one signature per direction):
//   1. Naive   — the three directions as plain loops: forward, backward-input
//                (dx[n,c,h,w] = Σ dy·w over the outputs that read x[n,c,h,w]) and backward-weight
//                (dw[k,c,r,s] = Σ dy·x, db[k] = Σ dy). Single-threaded, float accumulation,
//                bounds tested per tap. The reference every other variant is tested against.
//   2. Im2Col  — lower the convolution to GEMM: unfold input patches into a column matrix,
//                one MatMulKernels.Gemm per image (or per chunk of small images), fold back with
//                col2im for the input gradient. 1×1 stride-1 unpadded convolutions skip the
//                unfolding entirely. (Conv2d.2.Im2Col.cs)
//   3. ImageParallel — variant 2 with the batch's images split across threads (one fork/join per
//                pass instead of one per GEMM block); each thread has its own col scratch and
//                its own dW partial, added in a fixed order. (Conv2d.3.ImageParallel.cs)
//   DepthwiseConv2d.cs — groups = C, one R×S filter per channel, a direct SIMD kernel.
//
//   dotnet run -c Release --project src/Runner -- kernel conv2d --variant 1

namespace FusionScratch.Kernels;

/// <summary>
/// Dimensions of a 2-D convolution: input (N,C,H,W), weight (K,C,R,S), output (N,K,P,Q), with
/// stride and zero padding equal on both axes. The constructor validates them.
/// </summary>
public readonly record struct Conv2dShape
{
    public int N { get; }
    public int C { get; }
    public int H { get; }
    public int W { get; }
    public int K { get; }
    public int R { get; }
    public int S { get; }
    public int Stride { get; }
    public int Pad { get; }

    /// <summary>Validates the dimensions; an <see cref="ArgumentException"/> says which one is wrong.</summary>
    public Conv2dShape(int n, int c, int h, int w, int k, int r, int s, int stride = 1, int pad = 0)
    {
        if (n < 0 || c < 1 || h < 1 || w < 1 || k < 1 || r < 1 || s < 1)
            throw new ArgumentException($"conv2d: dimensions must be positive (N ≥ 0): input ({n},{c},{h},{w}), weight ({k},{c},{r},{s})");
        if (stride < 1) throw new ArgumentException($"conv2d: stride must be at least 1, got {stride}");
        if (pad < 0) throw new ArgumentException($"conv2d: padding must be ≥ 0, got {pad}");
        if (h + 2 * pad < r || w + 2 * pad < s)
            throw new ArgumentException($"conv2d: a {r}×{s} filter does not fit the {h}×{w} input padded by {pad} (input ({n},{c},{h},{w}))");
        (N, C, H, W, K, R, S, Stride, Pad) = (n, c, h, w, k, r, s, stride, pad);
    }

    /// <summary>Output height (H + 2·pad − R)/stride + 1.</summary>
    public int P => (H + 2 * Pad - R) / Stride + 1;
    /// <summary>Output width (W + 2·pad − S)/stride + 1.</summary>
    public int Q => (W + 2 * Pad - S) / Stride + 1;

    public int InputLength => N * C * H * W;
    public int WeightLength => K * C * R * S;
    public int OutputLength => N * K * P * Q;

    /// <summary>1×1 filter, stride 1, no padding: the convolution is a plain GEMM per image.</summary>
    public bool IsPointwise => R == 1 && S == 1 && Stride == 1 && Pad == 0;

    public override string ToString() =>
        $"input ({N},{C},{H},{W}), weight ({K},{C},{R},{S}), output ({N},{K},{P},{Q}), stride {Stride}, pad {Pad}";

    /// <summary>Throws unless the spans have this shape's lengths; bias may be empty (no bias).</summary>
    internal void CheckForward(int xLength, int wLength, int biasLength, int yLength, string op = "conv2d", int? wExpected = null)
    {
        Check(xLength, InputLength, "x", [N, C, H, W], op);
        CheckWeight(wLength, op, wExpected);
        if (biasLength != 0 && biasLength != K)
            throw new ArgumentException($"{op}: bias has {biasLength} elements, expected {K} (or none) for {this}", "bias");
        Check(yLength, OutputLength, "y", [N, K, P, Q], op);
    }

    internal void CheckWeight(int wLength, string op, int? wExpected, string name = "w")
    {
        if (wExpected is int e) Check(wLength, e, name, [K, 1, R, S], op);
        else Check(wLength, WeightLength, name, [K, C, R, S], op);
    }

    /// <summary>Throws unless length == expected. dims is a span, not a string, so a passing check allocates nothing.</summary>
    internal void Check(int length, int expected, string name, ReadOnlySpan<int> dims, string op)
    {
        if (length != expected)
            throw new ArgumentException($"{op}: {name} has {length} elements, expected {Format(dims)} = {expected} for {this}", name);
    }

    internal static string Format(ReadOnlySpan<int> dims) => "(" + string.Join(",", dims.ToArray()) + ")";
}

/// <summary>2-D convolution kernels on NCHW spans; variants share one signature per direction.</summary>
public static partial class Conv2dKernels
{
    /// <summary>
    /// Reference forward convolution: effectively computes
    /// y[n,k,p,q] = b[k] + Σ_{c,r,s} w[k,c,r,s]·x[n,c,p·stride+r−pad,q·stride+s−pad] (zero outside x).
    /// <paramref name="bias"/> may be empty. Single-threaded.
    /// </summary>
    public static void ForwardNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dShape s, Span<float> y)
    {
        s.CheckForward(x.Length, w.Length, bias.Length, y.Length);
        // x is (N,C,H,W), w is (K,C,R,S), bias is (K) or empty, y is (N,K,P,Q)
        int N = s.N, C = s.C, H = s.H, W = s.W, K = s.K, R = s.R, S = s.S, P = s.P, Q = s.Q;
        for (int n = 0; n < N; n++)
            for (int k = 0; k < K; k++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++)
                    {
                        float acc = bias.IsEmpty ? 0f : bias[k];
                        for (int c = 0; c < C; c++)
                            for (int r = 0; r < R; r++)
                            {
                                int ih = p * s.Stride + r - s.Pad;
                                if ((uint)ih >= (uint)H) continue; // padding row: reads 0
                                for (int t = 0; t < S; t++)
                                {
                                    int iw = q * s.Stride + t - s.Pad;
                                    if ((uint)iw >= (uint)W) continue;
                                    acc += w[((k * C + c) * R + r) * S + t] * x[((n * C + c) * H + ih) * W + iw];
                                }
                            }
                        y[((n * K + k) * P + p) * Q + q] = acc;
                    }
    }

    /// <summary>
    /// Reference input gradient: effectively computes
    /// dx[n,c,h,w] = Σ_{k,p,q,r,s : p·stride+r−pad = h, q·stride+s−pad = w} dy[n,k,p,q]·w[k,c,r,s].
    /// Overwrites <paramref name="dx"/>. Single-threaded.
    /// </summary>
    public static void BackwardInputNaive(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, in Conv2dShape s, Span<float> dx)
    {
        CheckBackwardInput(dy.Length, w.Length, s, dx.Length);
        // dy is (N,K,P,Q), w is (K,C,R,S), dx is (N,C,H,W)
        int N = s.N, C = s.C, H = s.H, W = s.W, K = s.K, R = s.R, S = s.S, P = s.P, Q = s.Q;
        dx.Clear();
        for (int n = 0; n < N; n++)
            for (int k = 0; k < K; k++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++)
                    {
                        float g = dy[((n * K + k) * P + p) * Q + q];
                        for (int c = 0; c < C; c++)
                            for (int r = 0; r < R; r++)
                            {
                                int ih = p * s.Stride + r - s.Pad;
                                if ((uint)ih >= (uint)H) continue;
                                for (int t = 0; t < S; t++)
                                {
                                    int iw = q * s.Stride + t - s.Pad;
                                    if ((uint)iw >= (uint)W) continue;
                                    dx[((n * C + c) * H + ih) * W + iw] += g * w[((k * C + c) * R + r) * S + t];
                                }
                            }
                    }
    }

    /// <summary>
    /// Reference weight and bias gradients: effectively computes
    /// dw[k,c,r,s] = Σ_{n,p,q} dy[n,k,p,q]·x[n,c,p·stride+r−pad,q·stride+s−pad] and db[k] = Σ_{n,p,q} dy[n,k,p,q].
    /// Overwrites <paramref name="dw"/>; <paramref name="dBias"/> may be empty (not wanted). Single-threaded.
    /// </summary>
    public static void BackwardWeightNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Conv2dShape s, Span<float> dw, Span<float> dBias)
    {
        CheckBackwardWeight(x.Length, dy.Length, s, dw.Length, dBias.Length, "conv2d backward", null);
        // x is (N,C,H,W), dy is (N,K,P,Q), dw is (K,C,R,S), dBias is (K) or empty
        int N = s.N, C = s.C, H = s.H, W = s.W, K = s.K, R = s.R, S = s.S, P = s.P, Q = s.Q;
        dw.Clear();
        dBias.Clear();
        for (int n = 0; n < N; n++)
            for (int k = 0; k < K; k++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++)
                    {
                        float g = dy[((n * K + k) * P + p) * Q + q];
                        if (!dBias.IsEmpty) dBias[k] += g;
                        for (int c = 0; c < C; c++)
                            for (int r = 0; r < R; r++)
                            {
                                int ih = p * s.Stride + r - s.Pad;
                                if ((uint)ih >= (uint)H) continue;
                                for (int t = 0; t < S; t++)
                                {
                                    int iw = q * s.Stride + t - s.Pad;
                                    if ((uint)iw >= (uint)W) continue;
                                    dw[((k * C + c) * R + r) * S + t] += g * x[((n * C + c) * H + ih) * W + iw];
                                }
                            }
                    }
    }

    internal static void CheckBackwardInput(int dyLength, int wLength, in Conv2dShape s, int dxLength)
    {
        s.Check(dyLength, s.OutputLength, "dy", [s.N, s.K, s.P, s.Q], "conv2d backward");
        s.CheckWeight(wLength, "conv2d backward", null);
        s.Check(dxLength, s.InputLength, "dx", [s.N, s.C, s.H, s.W], "conv2d backward");
    }

    internal static void CheckBackwardWeight(int xLength, int dyLength, in Conv2dShape s, int dwLength, int dBiasLength, string op, int? wExpected)
    {
        s.Check(xLength, s.InputLength, "x", [s.N, s.C, s.H, s.W], op);
        s.Check(dyLength, s.OutputLength, "dy", [s.N, s.K, s.P, s.Q], op);
        s.CheckWeight(dwLength, op, wExpected, "dw");
        if (dBiasLength != 0 && dBiasLength != s.K)
            throw new ArgumentException($"{op}: dBias has {dBiasLength} elements, expected {s.K} (or none) for {s}", "dBias");
    }
}
