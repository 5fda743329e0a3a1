using FusionScratch.Tensors;

namespace FusionScratch.Tests.Tensors;

public class TensorTests
{
    private static Tensor Iota(params int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        return Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), shape);
    }

    [Fact]
    public void Broadcasting_FollowsNumPyRules()
    {
        Assert.Equal(new Shape(2, 3), (Iota(2, 3) + Iota(3)).Shape);
        Assert.Equal(new Shape(2, 3), (Iota(2, 1) * Iota(1, 3)).Shape);
        Assert.Equal(new Shape(4, 2, 3), (Iota(4, 1, 3) - Iota(2, 1)).Shape);
        Assert.Equal(new Shape(2, 3), (Iota(2, 3) + Tensor.Scalar(1f)).Shape);
        var r = (Iota(2, 1) * Iota(1, 3)).ToArray();
        Assert.Equal([0f, 0f, 0f, 0f, 1f, 2f], r);
        var s = (Iota(2, 3) + Iota(3)).ToArray();
        Assert.Equal([0f, 2f, 4f, 3f, 5f, 7f], s);
    }

    [Fact]
    public void IncompatibleShapes_ThrowArgumentException_NamingBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Iota(2, 3) + Iota(4));
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("(4)", ex.Message);
        var mm = Assert.Throws<ArgumentException>(() => Iota(2, 3).MatMul(Iota(4, 5)));
        Assert.Contains("(2, 3)", mm.Message);
        Assert.Contains("(4, 5)", mm.Message);
        var rs = Assert.Throws<ArgumentException>(() => Iota(2, 3).Reshape(4, 2));
        Assert.Contains("(2, 3)", rs.Message);
        Assert.Contains("(4, 2)", rs.Message);
    }

    [Fact]
    public void Transpose_IsAView_AndContiguousPacksIt()
    {
        var x = Iota(2, 3);
        var t = x.T;
        Assert.Same(x.Storage, t.Storage);
        Assert.False(t.IsContiguous);
        Assert.Equal(new Shape(3, 2), t.Shape);
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f], t.ToArray());
        Assert.True(t.Contiguous().IsContiguous);
        Assert.Equal(4f, t[1, 1]);
    }

    [Fact]
    public void Slice_Permute_Expand_ReadTheRightElements()
    {
        var x = Iota(3, 4);
        Assert.Equal([5f, 6f, 9f, 10f], x.Slice(0, 1, 3).Slice(1, 1, 3).ToArray());
        var p = Iota(2, 3, 4).Permute(2, 0, 1);
        Assert.Equal(new Shape(4, 2, 3), p.Shape);
        Assert.Equal(13f, p[1, 1, 0]); // element [1,0,1] of the source = 12 + 0 + 1
        var e = Tensor.FromArray([1f, 2f], 2, 1).Expand(2, 3);
        Assert.Equal([1f, 1f, 1f, 2f, 2f, 2f], e.ToArray());
    }

    [Fact]
    public void Reshape_OfAView_CopiesFirst_AndInfersMinusOne()
    {
        var t = Iota(2, 3).T;          // (3,2), not contiguous
        var r = t.Reshape(-1);
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f], r.ToArray());
        Assert.Equal(new Shape(2, 3), Iota(6).Reshape(2, -1).Shape);
    }

    [Fact]
    public void MatMul_OnTransposedViews_UsesTheRightValues()
    {
        var a = Iota(3, 2);
        var b = Iota(3, 4);
        // aᵀ·b computed through a view must equal the product of packed copies.
        var viaView = a.T.MatMul(b).ToArray();
        var viaCopy = a.T.Contiguous().MatMul(b).ToArray();
        Assert.Equal(viaCopy, viaView);
        // column 0 of a is (0, 2, 4), column 0 of b is (0, 4, 8): 0 + 8 + 32
        Assert.Equal(40f, viaView[0]);
    }

    [Fact]
    public void Reductions_AlongAxes()
    {
        var x = Iota(2, 3);
        Assert.Equal(15f, x.Sum().Item());
        Assert.Equal([3f, 5f, 7f], x.Sum(0).ToArray());
        Assert.Equal([1f, 4f], x.Mean(1).ToArray());
        Assert.Equal([2f, 5f], x.Max(1).ToArray());
        Assert.Equal([2, 2], x.ArgMax(1));
        Assert.Equal(new Shape(2, 1), x.Sum(1, keepDim: true).Shape);
    }

    [Fact]
    public void Concat_JoinsAlongAnAxis()
    {
        var c = Tensor.Concat([Iota(2, 2), Iota(2, 1)], 1);
        Assert.Equal([0f, 1f, 0f, 2f, 3f, 1f], c.ToArray());
        Assert.Throws<ArgumentException>(() => Tensor.Concat([Iota(2, 2), Iota(3, 1)], 1));
    }

    [Fact]
    public void Softmax_RowsSumToOne_AndCrossEntropyMatchesLogSoftmax()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 1000f, 0f, -1000f], 2, 3);
        var p = x.Softmax().ToArray();
        Assert.Equal(1f, p[0] + p[1] + p[2], 5);
        Assert.Equal(1f, p[3], 5);
        var ls = x.LogSoftmax().ToArray();
        float ce = Tensor.CrossEntropy(x, [2, 1]).Item();
        Assert.Equal(-(ls[2] + ls[4]) / 2, ce, 3);
    }

    [Fact]
    public void Rng_IsDeterministic_AndStateRoundTrips()
    {
        var a = new Rng(42);
        var b = new Rng(42);
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextUInt(), b.NextUInt());
        var state = a.State;
        float next = a.Normal();
        a.State = state;
        Assert.Equal(next, a.Normal());
        Assert.NotEqual(new Rng(1).NextUInt(), new Rng(2).NextUInt());
    }

    [Fact]
    public void Rng_Distributions_HaveTheRightMoments()
    {
        var r = new Rng(7);
        const int n = 200_000;
        double sum = 0, sq = 0, usum = 0;
        var counts = new int[5];
        for (int i = 0; i < n; i++)
        {
            double z = r.Normal();
            sum += z; sq += z * z;
            usum += r.NextFloat();
            counts[r.NextInt(5)]++;
        }
        Assert.InRange(sum / n, -0.01, 0.01);
        Assert.InRange(sq / n, 0.98, 1.02);
        Assert.InRange(usum / n, 0.495, 0.505);
        foreach (int c in counts) Assert.InRange(c, n / 5 * 0.97, n / 5 * 1.03);
    }

    [Fact]
    public void ScalarOps_And_Operators()
    {
        var x = Tensor.FromArray([1f, 2f, 4f], 3);
        Assert.Equal([3f, 4f, 6f], (x + 2f).ToArray());
        Assert.Equal([1f, 0f, -2f], (2f - x).ToArray());
        Assert.Equal([2f, 1f, 0.5f], (2f / x).ToArray());
        Assert.Equal([0.5f, 1f, 2f], (x / 2f).ToArray());
        Assert.Equal([-1f, -2f, -4f], (-x).ToArray());
    }
}
