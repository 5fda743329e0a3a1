// FusionLayerStep — one training step of a bare fusion layer on random modality inputs, the unit
// the scaling study and `fusion bench lmf` time:
//
//   zero the gradients → y = layer(z_0, z_1, …) → y.Sum().Backward()
//
// inside a TensorArena scope. Because an arena keeps every buffer of the step until the scope
// ends, the bytes it lent in one step are the step's activations and temporary gradients at their
// peak; with the parameters and their gradients (and the inputs' gradients when asked for) that is
// the step's peak memory, measured rather than estimated.

using FusionScratch.Models.Fusion;
using FusionScratch.Models.Nn;
using FusionScratch.Tensors;

namespace FusionScratch.Runner.Experiments.Lmf;

public sealed class FusionLayerStep
{
    /// <summary>Layers it can build: the LMF op, LMF from composed tensor ops, and TFN.</summary>
    public static readonly string[] Kinds = ["lmf", "lmf-composed", "tfn"];

    private readonly FusionLayer _layer;
    private readonly Tensor[] _inputs;
    private readonly TensorArena _arena = new();

    public FusionLayerStep(string kind, int[] dims, int rank, int outputs, int batch, bool inputGradients, ulong seed)
    {
        var rng = new Rng(seed);
        _layer = kind switch
        {
            "lmf" => new LowRankFusion(dims, rank, outputs, rng),
            "lmf-composed" => new LowRankFusion(dims, rank, outputs, rng) { Fused = false },
            "tfn" => new TensorFusion(dims, outputs, rng),
            _ => throw new ArgumentException($"unknown fusion layer '{kind}' ({string.Join(", ", Kinds)})"),
        };
        _inputs = [.. dims.Select(d => Tensor.Randn(new Shape(batch, d), rng))];
        if (inputGradients) foreach (var z in _inputs) z.RequireGrad();
        Parameters = _layer.ParameterCount();
    }

    public long Parameters { get; }

    /// <summary>One forward + backward.</summary>
    public void Run()
    {
        using var _ = _arena.Begin();
        _layer.ZeroGrad();
        foreach (var z in _inputs) z.ZeroGrad();
        _layer.Forward(_inputs).Sum().Backward();
    }

    /// <summary>Peak bytes of a step (call after at least one Run): arena buffers, parameters, gradients.</summary>
    public long PeakBytes()
    {
        long persistent = _layer.Parameters().Sum(p => (long)p.Numel + (p.Grad?.Numel ?? 0))
                        + _inputs.Sum(z => (long)z.Numel + (z.Grad?.Numel ?? 0));
        return _arena.FreeBytes + persistent * sizeof(float);
    }
}
