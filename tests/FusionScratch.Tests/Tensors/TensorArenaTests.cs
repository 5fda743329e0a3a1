using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Tensors;

namespace FusionScratch.Tests.Tensors;

public class TensorArenaTests
{
    [Fact]
    public void TensorsMadeInAScope_AreReleasedWhenItEnds()
    {
        var arena = new TensorArena();
        Tensor t;
        using (arena.Begin())
        {
            t = Tensor.Ones(3, 4) * 2f;
            Assert.Equal(24f, t.Sum().Item());
        }
        var ex = Assert.Throws<ObjectDisposedException>(() => t.ToArray());
        Assert.Contains("TensorArena", ex.Message);
    }

    [Fact]
    public void Buffers_AreReusedAcrossScopes_AndZeroedWhenAskedFor()
    {
        var arena = new TensorArena();
        using (arena.Begin()) { _ = Tensor.Full(new Shape(1000), 7f); }
        Assert.True(arena.FreeBytes >= 4000);
        using (arena.Begin())
        {
            var z = Tensor.Zeros(1000);
            Assert.All(z.ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void TrainingSteps_InAnArena_MatchStepsWithout_AndAllocateNoTensorBuffers()
    {
        // The same seeded model trained twice, once with and once without an arena, ends with
        // the same weights; after the first step the arena lends only recycled buffers.
        float[] Train(bool useArena, out long bytesLastSteps)
        {
            var rng = new Rng(5);
            var model = new Sequential(new Linear(16, 256, rng), new ReLU(), new Linear(256, 4, rng));
            var opt = new Adam(model.Parameters(), lr: 1e-2f);
            var x = Tensor.Rand(new Shape(64, 16), rng, -1, 1);
            var y = Enumerable.Range(0, 64).Select(i => i % 4).ToArray();
            var arena = new TensorArena();
            bytesLastSteps = 0;
            for (int step = 0; step < 6; step++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                using (useArena ? arena.Begin() : default(TensorArena.Scope?))
                {
                    opt.ZeroGrad();
                    var loss = Losses.CrossEntropy(model.Forward(x), y);
                    loss.Backward();
                    opt.Step();
                }
                if (step >= 3) bytesLastSteps += GC.GetAllocatedBytesForCurrentThread() - before;
            }
            return model.Parameters().SelectMany(p => p.ToArray()).ToArray();
        }
        var withArena = Train(true, out long arenaBytes);
        var without = Train(false, out long plainBytes);
        Assert.Equal(without, withArena);
        // Without the arena each step allocates the (64×256) activations and gradients several
        // times over (> 64 KB); with it only bookkeeping objects remain.
        Assert.True(plainBytes / 3 > 64 * 256 * 4, $"plain step allocated only {plainBytes / 3} B");
        Assert.True(arenaBytes / 3 < 16 * 1024, $"arena step allocated {arenaBytes / 3} B");
    }
}
