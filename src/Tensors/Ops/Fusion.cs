// Fusion ops: the low-rank multimodal fusion layer (LMF) as one differentiable op, forward
// dispatch and backward rule together, on LowRankFusionKernels' fused variant (GEMMs + one SIMD
// pass per row; see src/Kernels/Fusion/LowRankFusion.cs for the formulas).
//
// The op keeps the projections P_m of the forward (B, R·H each) for its backward rule, and
// computes only the gradients asked for: an input that does not require grad (raw data fed
// straight into the layer) skips its input GEMM. The kernels get the buffers as Memory (they
// hand them to worker threads), fixed at op time, so a captured step replays them as they are. Models/Fusion/LowRankFusion.cs composes the
// same layer from ordinary tensor ops; the tests check the two against each other.

using FusionScratch.Kernels;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Low-rank multimodal fusion of <paramref name="inputs"/> z_m (B, D_m) with
    /// <paramref name="factors"/> W_m (D_m+1, R, H), fusion <paramref name="weights"/> (R) and
    /// <paramref name="bias"/> (H): effectively computes
    /// y[b,h] = bias[h] + Σ_r weights[r]·Π_m ([z_m[b], 1]·W_m[:, r, :])[h]. Returns (B, H).
    /// </summary>
    public static Tensor LowRankFusion(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> factors, Tensor weights, Tensor bias)
    {
        const string op = "low_rank_fusion";
        if (inputs.Count == 0 || inputs.Count != factors.Count)
            throw new ArgumentException($"{op}: {inputs.Count} inputs and {factors.Count} factors (need one factor per input, at least one)");
        if (weights.Rank != 1 || bias.Rank != 1)
            throw new ArgumentException($"{op}: fusion weights {weights.Shape} and bias {bias.Shape} must be vectors (R) and (H)");
        int R = weights.Shape[0], H = bias.Shape[0];
        int B = inputs[0].Rank == 2 ? inputs[0].Shape[0] : -1;
        var dims = new int[inputs.Count];
        for (int m = 0; m < inputs.Count; m++)
        {
            Tensor z = inputs[m], w = factors[m];
            if (z.Rank != 2 || z.Shape[0] != B)
                throw new ArgumentException($"{op}: input {m} has shape {z.Shape}, expected (B, D) with B = {B} like input 0");
            dims[m] = z.Shape[1];
            if (w.Rank != 3 || w.Shape[0] != dims[m] + 1 || w.Shape[1] != R || w.Shape[2] != H)
                throw new ArgumentException($"{op}: factor {m} has shape {w.Shape}, expected (D+1, R, H) = ({dims[m] + 1}, {R}, {H}) for input {z.Shape}, weights {weights.Shape}, bias {bias.Shape}");
        }
        var s = new LowRankFusionShape(B, dims, R, H);
        if (bias.IsOnGpu) return LowRankFusionGpu(inputs, factors, weights, bias, s);

        ReadOnlyMemory<float>[] zd = [.. inputs.Select(t => (ReadOnlyMemory<float>)t.Packed().Memory)];
        ReadOnlyMemory<float>[] wd = [.. factors.Select(t => (ReadOnlyMemory<float>)t.Packed().Memory)];
        var projections = new Memory<float>[s.M];
        for (int m = 0; m < s.M; m++) projections[m] = Empty(new Shape(B, s.RH)).Memory;
        var y = Empty(new Shape(B, H));
        Tensor wc = weights.Packed(), bc = bias.Packed();
        Kernel((zd, wd, weights: wc, bias: bc, s, projections, y), static k =>
            LowRankFusionKernels.Forward(k.zd, k.wd, k.weights.Span, k.bias.Span, k.s, k.projections, k.y.Span));

        return Record(y, op, [.. inputs, .. factors, weights, bias], g =>
        {
            var grads = new Tensor?[2 * s.M + 2];
            var dz = new Memory<float>[s.M];
            var dw = new Memory<float>[s.M];
            for (int m = 0; m < s.M; m++)
            {
                if (inputs[m].RequiresGrad) dz[m] = (grads[m] = Empty(inputs[m].Shape)).Memory;
                if (factors[m].RequiresGrad) dw[m] = (grads[s.M + m] = Empty(factors[m].Shape)).Memory;
            }
            Tensor? dWeights = grads[2 * s.M] = weights.RequiresGrad ? Empty(weights.Shape) : null;
            Tensor? dBias = grads[2 * s.M + 1] = bias.RequiresGrad ? Empty(bias.Shape) : null;
            ReadOnlyMemory<float>[] proj = [.. projections.Select(p => (ReadOnlyMemory<float>)p)];
            Kernel((g: g.Packed(), zd, wd, weights: wc, proj, s, dz, dw, dWeights, dBias), static k =>
                LowRankFusionKernels.Backward(k.g.Span, k.zd, k.wd, k.weights.Span, k.proj, k.s, k.dz, k.dw,
                    SpanOrEmpty(k.dWeights), SpanOrEmpty(k.dBias)));
            return grads;
        });
    }
}
