// A test collection that xUnit runs alone, after the parallel ones: for tests that measure the
// whole process (total allocated bytes, how many threads a parallel loop used), which other tests
// running at the same moment would disturb.

namespace FusionScratch.Tests.Support;

[CollectionDefinition(nameof(SerialTests), DisableParallelization = true)]
public class SerialTests
{
}
