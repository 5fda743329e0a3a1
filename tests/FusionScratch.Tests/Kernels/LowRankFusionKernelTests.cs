// The LMF kernel: the fused variant (GEMMs + one SIMD pass per row) against the naive loops,
// forward and every gradient, on shapes that hit the 512-bit, 256-bit and scalar paths of the
// row pass (H = 1, 5, 19, 40), one to four modalities, and a batch big enough to split the row
// pass across threads.

using FusionScratch.Kernels;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Kernels;

public class LowRankFusionKernelTests
{
    private sealed record Case(LowRankFusionShape S, float[][] Z, float[][] W, float[] Weights, float[] Bias, float[] Dy);

    private static Case Make(int batch, int[] dims, int rank, int outputs, ulong seed)
    {
        var s = new LowRankFusionShape(batch, dims, rank, outputs);
        var rng = new FusionScratch.Tensors.Rng(seed);
        float[] U(int n, float lo = -1, float hi = 1) => [.. Enumerable.Range(0, n).Select(_ => rng.Uniform(lo, hi))];
        return new Case(s, [.. dims.Select(d => U(batch * d))], [.. dims.Select((_, m) => U(s.FactorLength(m), -0.5f, 0.5f))],
            U(rank), U(outputs), U(batch * outputs));
    }

    private static (float[] Y, float[][] P, float[][] Dz, float[][] Dw, float[] DWeights, float[] DBias) Run(Case c, bool fused)
    {
        var s = c.S;
        var p = s.D.Select(_ => new float[s.B * s.RH]).ToArray();
        var y = new float[s.B * s.H];
        ReadOnlyMemory<float>[] z = [.. c.Z.Select(a => (ReadOnlyMemory<float>)a)], w = [.. c.W.Select(a => (ReadOnlyMemory<float>)a)];
        Memory<float>[] pm = [.. p.Select(a => (Memory<float>)a)];
        if (fused) LowRankFusionKernels.Forward(z, w, c.Weights, c.Bias, s, pm, y);
        else LowRankFusionKernels.ForwardNaive(z, w, c.Weights, c.Bias, s, pm, y);
        var dz = s.D.Select(d => new float[s.B * d]).ToArray();
        var dw = s.D.Select((_, m) => new float[s.FactorLength(m)]).ToArray();
        var (dWeights, dBias) = (new float[s.R], new float[s.H]);
        ReadOnlyMemory<float>[] pr = [.. p.Select(a => (ReadOnlyMemory<float>)a)];
        Memory<float>[] dzm = [.. dz.Select(a => (Memory<float>)a)], dwm = [.. dw.Select(a => (Memory<float>)a)];
        if (fused) LowRankFusionKernels.Backward(c.Dy, z, w, c.Weights, pr, s, dzm, dwm, dWeights, dBias);
        else LowRankFusionKernels.BackwardNaive(c.Dy, z, w, c.Weights, pr, s, dzm, dwm, dWeights, dBias);
        return (y, p, dz, dw, dWeights, dBias);
    }

    [Theory]
    [InlineData(5, new[] { 3, 2, 4 }, 3, 5)]
    [InlineData(17, new[] { 7, 1 }, 2, 1)]
    [InlineData(33, new[] { 20, 9, 31 }, 4, 19)]
    [InlineData(64, new[] { 13 }, 3, 40)]
    [InlineData(9, new[] { 4, 6, 2, 5 }, 2, 16)]
    [InlineData(300, new[] { 5, 3, 4 }, 4, 20)]
    public void Fused_MatchesNaive_ForwardAndBackward(int batch, int[] dims, int rank, int outputs)
    {
        var c = Make(batch, dims, rank, outputs, (ulong)(batch * 31 + rank));
        var reference = Run(c, fused: false);
        var fast = Run(c, fused: true);
        Check.Close(reference.Y, fast.Y, 1e-4f, 1e-3f, "y");
        for (int m = 0; m < dims.Length; m++)
        {
            Check.Close(reference.P[m], fast.P[m], 1e-4f, 1e-3f, $"P_{m}");
            Check.Close(reference.Dz[m], fast.Dz[m], 1e-4f, 1e-3f, $"dz_{m}");
            Check.Close(reference.Dw[m], fast.Dw[m], 1e-4f, 1e-3f, $"dW_{m}");
        }
        Check.Close(reference.DWeights, fast.DWeights, 1e-4f, 1e-3f, "dw");
        Check.Close(reference.DBias, fast.DBias, 1e-4f, 1e-3f, "dbias");
    }

    [Fact]
    public void Backward_ComputesOnlyTheGradientsAskedFor()
    {
        var c = Make(6, [3, 4], 2, 3, 5);
        var s = c.S;
        var p = s.D.Select(_ => new float[s.B * s.RH]).ToArray();
        ReadOnlyMemory<float>[] z = [.. c.Z.Select(a => (ReadOnlyMemory<float>)a)], w = [.. c.W.Select(a => (ReadOnlyMemory<float>)a)];
        LowRankFusionKernels.Forward(z, w, c.Weights, c.Bias, s, [.. p.Select(a => (Memory<float>)a)], new float[s.B * s.H]);
        var dw1 = new float[s.FactorLength(1)];
        // Only factor 1's gradient: no input gradients, no fusion-weight or bias gradients.
        LowRankFusionKernels.Backward(c.Dy, z, w, c.Weights, [.. p.Select(a => (ReadOnlyMemory<float>)a)], s,
            [Memory<float>.Empty, Memory<float>.Empty], [Memory<float>.Empty, dw1], default, default);
        Check.Close(Run(c, fused: false).Dw[1], dw1, 1e-4f, 1e-3f, "dW_1 alone");
    }

    [Fact]
    public void WrongLengths_NameTheBuffer()
    {
        var c = Make(4, [3, 2], 2, 3, 9);
        var s = c.S;
        var e = Assert.Throws<ArgumentException>(() => LowRankFusionKernels.Forward(
            [c.Z[0], c.Z[1]], [c.W[0], c.W[1].AsMemory(1)], c.Weights, c.Bias, s,
            [new float[s.B * s.RH], new float[s.B * s.RH]], new float[s.B * s.H]));
        Assert.Contains("factor 1 has", e.Message);
    }
}
