using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Tensors;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Models;

public class ModuleTests
{
    [Fact]
    public void Sequential_NamesParametersByPosition_AndZeroGradZeroesThemInPlace()
    {
        var rng = new Rng(1);
        var m = new Sequential(new Linear(3, 4, rng), new ReLU(), new Linear(4, 2, rng, bias: false));
        var names = m.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(["0.weight", "0.bias", "2.weight"], names);
        Assert.Equal(3 * 4 + 4 + 4 * 2, m.ParameterCount());
        Losses.Mse(m.Forward(Tensor.Ones(5, 3)), Tensor.Zeros(5, 2)).Backward();
        Assert.All(m.Parameters(), p => Assert.NotNull(p.Grad));
        var buffers = m.Parameters().Select(p => p.Grad!).ToArray();
        m.ZeroGrad();
        Assert.All(m.Parameters(), p => Assert.All(p.Grad!.ToArray(), v => Assert.Equal(0f, v)));
        Assert.Equal(buffers, m.Parameters().Select(p => p.Grad!).ToArray()); // same buffers, no reallocation
    }

    [Fact]
    public void Linear_RejectsWrongInputShape_WithBothShapes()
    {
        var l = new Linear(3, 2, new Rng(1));
        var ex = Assert.Throws<ArgumentException>(() => l.Forward(Tensor.Zeros(4, 5)));
        Assert.Contains("(4, 5)", ex.Message);
        Assert.Contains("3", ex.Message);
    }

    [Fact]
    public void Linear_Backward_MatchesFiniteDifference()
    {
        var l = new Linear(4, 3, new Rng(2));
        var x = GradCheck.Leaf(3, -1, 1, 5, 4);
        GradCheck.Check(inp => l.Forward(inp[0]), [x, l.Weight, l.Bias!]);
    }

    [Fact]
    public void Mse_Backward_MatchesFiniteDifference()
    {
        GradCheck.Check(x => Losses.Mse(x[0], x[1]), [GradCheck.Leaf(4, -1, 1, 3, 2), GradCheck.Leaf(5, -1, 1, 3, 2)]);
    }

    [Fact]
    public void TrainEval_PropagatesToChildren()
    {
        var inner = new Linear(2, 2, new Rng(1));
        var m = new Sequential(inner);
        m.Eval();
        Assert.False(inner.Training);
        m.Train();
        Assert.True(inner.Training);
    }

    [Fact]
    public void Optimizers_RejectBadHyperParameters()
    {
        var p = new[] { Tensor.Zeros(2).RequireGrad() };
        Assert.Throws<ArgumentException>(() => new Sgd(p, lr: 0f));
        Assert.Throws<ArgumentException>(() => new Sgd(p, lr: 0.1f, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Adam(p, beta1: 1f));
        Assert.Throws<ArgumentException>(() => new Sgd([], lr: 0.1f));
    }

    [Fact]
    public void Sgd_FirstSteps_MatchHandComputedValues()
    {
        // p = 1, g = 2 each step, lr 0.1, momentum 0.9, weight decay 0.5:
        // d = 2 + 0.5·p; v1 = d1 = 2.5, p1 = 0.75; d2 = 2.375, v2 = 0.9·2.5 + 2.375 = 4.625, p2 = 0.2875
        var p = Tensor.FromArray([1f], 1).RequireGrad();
        var opt = new Sgd([p], lr: 0.1f, momentum: 0.9f, weightDecay: 0.5f);
        p.Grad = Tensor.FromArray([2f], 1); opt.Step();
        Assert.Equal(0.75f, p.Item(), 5);
        p.Grad = Tensor.FromArray([2f], 1); opt.Step();
        Assert.Equal(0.2875f, p.Item(), 5);
    }

    [Fact]
    public void Adam_FirstStep_MovesEachParameterByLr()
    {
        // With bias correction the first Adam step is lr·g/(|g| + eps) ≈ lr·sign(g).
        var p = Tensor.FromArray([1f, -1f, 0.5f], 3).RequireGrad();
        var opt = new Adam([p], lr: 0.01f);
        p.Grad = Tensor.FromArray([3f, -0.2f, 1e-3f], 3);
        opt.Step();
        Check.Close([0.99f, -0.99f, 0.49f], p.ToArray(), abs: 1e-5f, rel: 0, what: "adam step 1");
    }
}
