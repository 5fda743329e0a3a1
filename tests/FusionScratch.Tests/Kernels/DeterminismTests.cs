// Same input, same output bits — whatever address the GC gave the arrays. The training loop's
// determinism (equal metrics for one seed, resume equal to an uninterrupted run) rests on it.
// The kernels align their Vector512 stores to the output's 64-byte boundary, so which elements
// form the loop's head depends on the address; these tests slide the arrays over every offset.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Elementwise;
using FusionScratch.Tensors;

namespace FusionScratch.Tests.Kernels;

public class DeterminismTests
{
    private static float[] At(float[] values, int offset)
    {
        var shifted = new float[values.Length + offset];
        values.CopyTo(shifted, offset);
        return shifted;
    }

    private static void AssertAddressIndependent(Action<ReadOnlySpan<float>, ReadOnlySpan<float>, Span<float>> kernel, string name)
    {
        var rng = new Rng(7);
        foreach (int n in new[] { 256, 300, 1000, 4099 })
        {
            var x = Tensor.Rand(new Shape(n), rng, -4, 4).ToArray();
            var y = Tensor.Rand(new Shape(n), rng, 0.1f, 4).ToArray();
            float[]? reference = null;
            for (int offset = 0; offset < 16; offset++)
            {
                var (xs, ys, zs) = (At(x, offset), At(y, offset), new float[n + offset]);
                kernel(xs.AsSpan(offset), ys.AsSpan(offset), zs.AsSpan(offset));
                var z = zs.AsSpan(offset).ToArray();
                if (reference is null) reference = z;
                else Assert.True(reference.AsSpan().SequenceEqual(z), $"{name}, n={n}: the output at offset {offset} differs from offset 0");
            }
        }
    }

    [Fact]
    public void UnaryOps_GiveTheSameBits_AtEveryAlignment()
    {
        AssertAddressIndependent((x, _, z) => ElementwiseKernels.UnarySimd<Tanh>(x, z), "tanh");
        AssertAddressIndependent((x, _, z) => ElementwiseKernels.UnarySimd<Exp>(x, z), "exp");
        AssertAddressIndependent((x, _, z) => ElementwiseKernels.UnarySimd<Sigmoid>(x, z), "sigmoid");
        AssertAddressIndependent((x, _, z) => ElementwiseKernels.UnarySimd<Silu>(x, z), "silu");
        AssertAddressIndependent((_, y, z) => ElementwiseKernels.UnarySimd<Log>(y, z), "log");
    }

    [Fact]
    public void BinaryOps_GiveTheSameBits_AtEveryAlignment()
    {
        AssertAddressIndependent((x, y, z) => ElementwiseKernels.BinarySimd<TanhBackward>(x, y, z), "tanh backward");
        AssertAddressIndependent((x, y, z) => ElementwiseKernels.BinarySimd<Div>(x, y, z), "div");
    }

    [Fact]
    public void UnaryInPlace_StillCorrect_WithAnAlignedHead()
    {
        var rng = new Rng(3);
        for (int offset = 0; offset < 16; offset++)
        {
            var x = At(Tensor.Rand(new Shape(1000), rng, -3, 3).ToArray(), offset);
            var expected = new float[1000];
            ElementwiseKernels.UnarySimd<Tanh>(x.AsSpan(offset), expected);
            ElementwiseKernels.UnarySimd<Tanh>(x.AsSpan(offset), x.AsSpan(offset));
            Assert.True(expected.AsSpan().SequenceEqual(x.AsSpan(offset)), $"in-place tanh differs at offset {offset}");
        }
    }
}
