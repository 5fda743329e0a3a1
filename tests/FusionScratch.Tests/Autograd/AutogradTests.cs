using FusionScratch.Tensors;

namespace FusionScratch.Tests.Autograd;

public class AutogradTests
{
    [Fact]
    public void TensorUsedTwice_AccumulatesBothContributions()
    {
        var x = Tensor.FromArray([1f, -2f, 3f], 3).RequireGrad();
        (x * x + x).Sum().Backward(); // d/dx (x² + x) = 2x + 1
        Assert.Equal([3f, -3f, 7f], x.Grad!.ToArray());
    }

    [Fact]
    public void SameTensorAddedToItself_GetsGradientTwo()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        (x + x).Sum().Backward();
        Assert.Equal([2f, 2f], x.Grad!.ToArray());
    }

    [Fact]
    public void LeafGradients_AccumulateAcrossBackwardCalls_UntilCleared()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        (x * 3f).Sum().Backward();
        (x * 3f).Sum().Backward();
        Assert.Equal([6f, 6f], x.Grad!.ToArray());
        x.Grad = null;
        (x * 3f).Sum().Backward();
        Assert.Equal([3f, 3f], x.Grad!.ToArray());
    }

    [Fact]
    public void SharedGradient_IsNotAliasedBetweenLeaves()
    {
        // Add hands the same gradient tensor to both inputs; accumulating into one leaf must not
        // change the other.
        var a = Tensor.FromArray([1f], 1).RequireGrad();
        var b = Tensor.FromArray([2f], 1).RequireGrad();
        (a + b).Sum().Backward();
        (a * 5f).Sum().Backward();
        Assert.Equal(6f, a.Grad!.Item());
        Assert.Equal(1f, b.Grad!.Item());
    }

    [Fact]
    public void ChainOf100000Ops_BackwardDoesNotOverflowTheStack()
    {
        var x = Tensor.FromArray([1f], 1).RequireGrad();
        Tensor y = x;
        for (int i = 0; i < 100_000; i++) y = y + 1f;
        y.Sum().Backward();
        Assert.Equal(1f, x.Grad!.Item());
        Assert.Equal(100_001f, y.Item());
    }

    [Fact]
    public void NoGradScope_RecordsNothing_AndRestoresAfterwards()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        Tensor y;
        using (Tensor.NoGrad())
        {
            Assert.False(Tensor.IsGradEnabled);
            y = (x * 2f).Exp();
        }
        Assert.True(Tensor.IsGradEnabled);
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Fact]
    public void Detach_StopsGradientFlow_ButSharesValues()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        var d = (x * 3f).Detach();
        Assert.False(d.RequiresGrad);
        Assert.Equal([3f, 6f], d.ToArray());
        (x * d).Sum().Backward(); // d is a constant: grad = d
        Assert.Equal([3f, 6f], x.Grad!.ToArray());
    }

    [Fact]
    public void Backward_OfNonScalarWithoutGradient_Throws()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        var ex = Assert.Throws<InvalidOperationException>(() => (x * 2f).Backward());
        Assert.Contains("(2)", ex.Message);
    }

    [Fact]
    public void Backward_WithExplicitGradient_WeightsTheOutputs()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        (x * 2f).Backward(Tensor.FromArray([10f, 100f], 2));
        Assert.Equal([20f, 200f], x.Grad!.ToArray());
    }

    [Fact]
    public void InputsThatDoNotRequireGrad_GetNoGradient()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        var c = Tensor.FromArray([5f, 6f], 2);
        (x * c).Sum().Backward();
        Assert.Null(c.Grad);
        Assert.Equal([5f, 6f], x.Grad!.ToArray());
    }

    [Fact]
    public void DiamondGraph_SumsGradientsOverBothPaths()
    {
        // Two paths from x: z = 2a + a² with a = exp(x): dz/dx = (2 + 2a)·a
        var x = Tensor.FromArray([0.5f], 1).RequireGrad();
        var a = x.Exp();
        ((a * 2f) + (a * a)).Sum().Backward();
        float av = MathF.Exp(0.5f);
        Assert.Equal((2 + 2 * av) * av, x.Grad!.Item(), 4);
    }
}
