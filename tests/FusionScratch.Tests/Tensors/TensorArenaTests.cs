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

/// <summary>
/// What a warm training step of the reference CNN allocates. Eager, inside an arena scope: only
/// graph bookkeeping (per op output a Tensor and its CpuStorage; per recorded op a Node, its input
/// array, its backward closure and delegate; per backward rule the array of input gradients),
/// about 5.7 KB at any batch size — no float buffers, no shapes, layouts or closures in kernels.
/// Replayed from a CapturedStep (what Trainer.Fit runs): nothing at all, on one thread and on two.
/// The bounds are the README's numbers (Performance section); a change that adds per-step
/// allocations fails here. Alone in its collection, since it sets the thread count and the
/// two-thread case counts the whole process.
/// </summary>
[Collection(nameof(FusionScratch.Tests.Support.SerialTests))]
public class TrainingStepAllocationTests
{
    /// <summary>Bytes a warm arena step of the reference CNN may allocate (measured 5 744 B, on one thread and on two).</summary>
    private const long ArenaStepBound = 6 * 1024;

    private static (Action Step, Func<long> Measure) ReferenceStep(Func<long> counter, bool captured)
    {
        var rng = new Rng(42);
        var model = FusionScratch.Models.Backbone.ReferenceCnn.Build(rng);
        var opt = new Sgd(model.Parameters(), lr: 0.01f, momentum: 0.9f);
        var x = Tensor.Rand(new Shape(16, 1, 28, 28), rng, 0, 1);
        var labels = Enumerable.Range(0, 16).Select(_ => rng.NextInt(10)).ToArray();
        var arena = new TensorArena();
        CapturedStep? plan = null;
        void Step()
        {
            opt.ZeroGrad();
            if (captured)
            {
                if (plan is null)
                    plan = CapturedStep.Capture(() =>
                    {
                        var l = Losses.CrossEntropy(model.Forward(x), labels);
                        l.Backward();
                        return l;
                    });
                else plan.Replay();
                opt.Step();
                Assert.False(float.IsNaN(plan.Output.Item()));
                return;
            }
            using var scope = arena.Begin();
            var loss = Losses.CrossEntropy(model.Forward(x), labels);
            loss.Backward();
            opt.Step();
            Assert.False(float.IsNaN(loss.Item()));
        }
        long Measure()
        {
            // Best of single-step windows: the test host allocates now and then on its own
            // threads (a few dozen bytes every few milliseconds), which the process-wide count sees.
            long best = long.MaxValue;
            for (int window = 0; window < 12; window++)
            {
                long before = counter();
                Step();
                best = Math.Min(best, counter() - before);
            }
            return best;
        }
        return (Step, Measure);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public void ReferenceCnnStep_Warm_AllocatesOnlyGraphBookkeeping_OrNothingWhenReplayed(int threads, bool captured)
    {
        int saved = FusionScratch.Kernels.Parallelism.Threads;
        FusionScratch.Kernels.Parallelism.Threads = threads;
        try
        {
            // One thread: this thread's count is exact. Two: the workers run kernel chunks, so count the process.
            Func<long> counter = threads == 1 ? GC.GetAllocatedBytesForCurrentThread : () => GC.GetTotalAllocatedBytes(precise: true);
            var (step, measure) = ReferenceStep(counter, captured);
            for (int i = 0; i < 3; i++) step(); // warm-up: parameters' gradients, optimizer state, buffers, capture, JIT
            long perStep = measure();
            long bound = captured ? 0 : ArenaStepBound;
            Assert.True(perStep <= bound, $"a warm {(captured ? "replayed" : "arena")} step on {threads} thread(s) allocated {perStep} B, bound {bound} B");
        }
        finally
        {
            FusionScratch.Kernels.Parallelism.Threads = saved;
        }
    }
}
