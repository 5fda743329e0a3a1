// The LMF layer on the GPU: the device half of Ops/Fusion.cs on LowRankFusion.Gpu.cs's kernels.
// The M projections live in one (M, B, R·H) device buffer, kept for the backward rule.

using FusionScratch.Kernels;
using ILGPU;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    private static Tensor LowRankFusionGpu(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> factors, Tensor weights, Tensor bias, LowRankFusionShape s)
    {
        foreach (var t in inputs.Concat(factors).Append(weights)) OnGpu(bias, t, "low_rank_fusion");
        var acc = bias.GpuAccelerator;
        Tensor[] z = [.. inputs.Select(t => t.GpuPacked())], w = [.. factors.Select(t => t.GpuPacked())];
        Tensor wt = weights.GpuPacked(), bt = bias.GpuPacked();
        var projections = EmptyOn(bias.Device, Shape.Of(s.M, s.B, s.RH));
        var y = EmptyOn(bias.Device, Shape.Of(s.B, s.H));
        ArrayView<float>[] zv = [.. z.Select(t => t.GpuView())], wv = [.. w.Select(t => t.GpuView())];
        LowRankFusionKernels.ForwardGpu(acc, zv, wv, wt.GpuView(), bt.GpuView(), s, projections.GpuView(), y.GpuView());

        return Record(y, "low_rank_fusion", [.. inputs, .. factors, weights, bias], g =>
        {
            var grads = new Tensor?[2 * s.M + 2];
            var none = projections.GpuView().SubView(0, 0);
            var dz = new ArrayView<float>[s.M];
            var dw = new ArrayView<float>[s.M];
            for (int m = 0; m < s.M; m++)
            {
                dz[m] = inputs[m].RequiresGrad ? (grads[m] = EmptyOn(g.Device, inputs[m].Shape)).GpuView() : none;
                dw[m] = factors[m].RequiresGrad ? (grads[s.M + m] = EmptyOn(g.Device, factors[m].Shape)).GpuView() : none;
            }
            var dWeights = grads[2 * s.M] = weights.RequiresGrad ? EmptyOn(g.Device, weights.Shape) : null;
            var dBias = grads[2 * s.M + 1] = bias.RequiresGrad ? EmptyOn(g.Device, bias.Shape) : null;
            LowRankFusionKernels.BackwardGpu(acc, g.GpuPacked().GpuView(), zv, wv, wt.GpuView(), projections.GpuView(), s, dz, dw,
                dWeights is null ? none : dWeights.GpuView(), dBias is null ? none : dBias.GpuView());
            GC.KeepAlive(z);
            GC.KeepAlive(w);
            return grads;
        });
    }
}
