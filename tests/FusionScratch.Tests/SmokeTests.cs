using FusionScratch.Kernels;

namespace FusionScratch.Tests;

public class SmokeTests
{
    [Fact]
    public void Parallelism_RejectsZeroThreads() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.Threads = 0);
}
