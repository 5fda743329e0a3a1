// Every differentiable op in the public Tensor API against central finite differences.
// The README states how many ops are covered here: keep OpNames in step with the tests below.

using FusionScratch.Tensors;
using FusionScratch.Tests.Support;
using static FusionScratch.Tests.Support.GradCheck;

namespace FusionScratch.Tests.Autograd;

public class OpGradientTests
{
    // ---- unary ----
    [Fact] public void Relu_Backward_MatchesFiniteDifference() => Check(x => x[0].Relu(), [AwayFromZero(1, 3, 5)]);
    [Fact] public void Silu_Backward_MatchesFiniteDifference() => Check(x => x[0].Silu(), [Leaf(2, -3, 3, 4, 5)]);
    [Fact] public void Sigmoid_Backward_MatchesFiniteDifference() => Check(x => x[0].Sigmoid(), [Leaf(3, -4, 4, 17)]);
    [Fact] public void Tanh_Backward_MatchesFiniteDifference() => Check(x => x[0].Tanh(), [Leaf(4, -2, 2, 2, 9)]);
    [Fact] public void Exp_Backward_MatchesFiniteDifference() => Check(x => x[0].Exp(), [Leaf(5, -2, 2, 3, 3)]);
    [Fact] public void Log_Backward_MatchesFiniteDifference() => Check(x => x[0].Log(), [Leaf(6, 0.5f, 3, 11)]);
    [Fact] public void Square_Backward_MatchesFiniteDifference() => Check(x => x[0].Square(), [Leaf(7, -2, 2, 5, 2)]);
    [Fact] public void Sqrt_Backward_MatchesFiniteDifference() => Check(x => x[0].Sqrt(), [Leaf(8, 0.5f, 4, 13)]);
    [Fact] public void Neg_Backward_MatchesFiniteDifference() => Check(x => -x[0], [Leaf(9, -1, 1, 6)]);

    // ---- binary with broadcasting ----
    [Fact] public void Add_Broadcast_Backward_MatchesFiniteDifference() => Check(x => x[0] + x[1], [Leaf(10, -1, 1, 2, 3, 4), Leaf(11, -1, 1, 3, 1)]);
    [Fact] public void Sub_Broadcast_Backward_MatchesFiniteDifference() => Check(x => x[0] - x[1], [Leaf(12, -1, 1, 5, 1, 3), Leaf(13, -1, 1, 1, 4, 1)]);
    [Fact] public void Mul_Broadcast_Backward_MatchesFiniteDifference() => Check(x => x[0] * x[1], [Leaf(14, -1, 1, 4, 3), Leaf(15, -1, 1, 3)]);
    [Fact] public void Div_Broadcast_Backward_MatchesFiniteDifference() => Check(x => x[0] / x[1], [Leaf(16, -1, 1, 3, 4), Leaf(17, 0.5f, 2, 3, 1)]);

    // ---- scalar ----
    [Fact] public void AddScalar_Backward_MatchesFiniteDifference() => Check(x => x[0] + 2.5f, [Leaf(18, -1, 1, 7)]);
    [Fact] public void MulScalar_Backward_MatchesFiniteDifference() => Check(x => x[0] * -1.5f, [Leaf(19, -1, 1, 7)]);
    [Fact] public void RSubScalar_Backward_MatchesFiniteDifference() => Check(x => 3f - x[0], [Leaf(20, -1, 1, 7)]);
    [Fact] public void RDivScalar_Backward_MatchesFiniteDifference() => Check(x => 2f / x[0], [Leaf(21, 0.5f, 2, 7)]);

    // ---- matmul, all four transpose combinations, and through a transposed view ----
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void MatMul_Backward_MatchesFiniteDifference(bool ta, bool tb)
    {
        int M = 3, N = 4, K = 5;
        var a = ta ? Leaf(22, -1, 1, K, M) : Leaf(22, -1, 1, M, K);
        var b = tb ? Leaf(23, -1, 1, N, K) : Leaf(23, -1, 1, K, N);
        Check(x => Tensor.MatMul(x[0], x[1], ta, tb), [a, b]);
    }

    [Fact] public void MatMul_TransposedView_Backward_MatchesFiniteDifference() =>
        Check(x => x[0].MatMul(x[1].T), [Leaf(24, -1, 1, 3, 6), Leaf(25, -1, 1, 2, 6)]);

    // ---- reductions ----
    [Fact] public void Sum_Backward_MatchesFiniteDifference() => Check(x => x[0].Sum(), [Leaf(26, -1, 1, 3, 4)]);
    [Fact] public void SumAxis_Backward_MatchesFiniteDifference() => Check(x => x[0].Sum(1), [Leaf(27, -1, 1, 2, 3, 4)]);
    [Fact] public void SumAxisKeepDim_Backward_MatchesFiniteDifference() => Check(x => x[0].Sum(0, keepDim: true), [Leaf(28, -1, 1, 3, 5)]);
    [Fact] public void Mean_Backward_MatchesFiniteDifference() => Check(x => x[0].Mean(), [Leaf(29, -1, 1, 4, 5)]);
    [Fact] public void MeanAxis_Backward_MatchesFiniteDifference() => Check(x => x[0].Mean(-1), [Leaf(30, -1, 1, 3, 7)]);

    [Fact]
    public void MaxAxis_Backward_MatchesFiniteDifference()
    {
        // Distinct values 0.1 apart: no ties within the finite-difference step.
        var rng = new Rng(31);
        var vals = Enumerable.Range(0, 24).Select(i => i * 0.1f - 1.2f).ToArray();
        rng.Shuffle(vals.AsSpan());
        var x = Tensor.FromArray(vals, 2, 3, 4).RequireGrad();
        Check(t => t[0].Max(1), [x], h: 5e-3);
    }

    // ---- softmax family ----
    [Fact] public void Softmax_Backward_MatchesFiniteDifference() => Check(x => x[0].Softmax(), [Leaf(32, -2, 2, 3, 5)]);
    [Fact] public void LogSoftmax_Backward_MatchesFiniteDifference() => Check(x => x[0].LogSoftmax(), [Leaf(33, -2, 2, 4, 6)]);

    [Fact]
    public void CrossEntropy_Backward_MatchesFiniteDifference()
    {
        int[] labels = [2, 0, 4, 1];
        Check(x => Tensor.CrossEntropy(x[0], labels), [Leaf(34, -2, 2, 4, 5)]);
    }

    // ---- shape ops ----
    [Fact] public void Reshape_Backward_MatchesFiniteDifference() => Check(x => x[0].Reshape(3, -1) * x[0].Reshape(3, -1), [Leaf(35, -1, 1, 2, 6)]);
    [Fact] public void Permute_Backward_MatchesFiniteDifference() => Check(x => x[0].Permute(2, 0, 1).Square(), [Leaf(36, -1, 1, 2, 3, 4)]);
    [Fact] public void Transpose_Backward_MatchesFiniteDifference() => Check(x => x[0].T * x[1], [Leaf(37, -1, 1, 3, 4), Leaf(38, -1, 1, 4, 3)]);
    [Fact] public void Slice_Backward_MatchesFiniteDifference() => Check(x => x[0].Slice(1, 1, 4).Square(), [Leaf(39, -1, 1, 3, 5, 2)]);
    [Fact] public void Expand_Backward_MatchesFiniteDifference() => Check(x => x[0].Expand(4, 3, 2) * x[1], [Leaf(40, -1, 1, 3, 1), Leaf(41, -1, 1, 4, 3, 2)]);
    [Fact] public void Contiguous_Backward_MatchesFiniteDifference() => Check(x => x[0].T.Contiguous().Square(), [Leaf(42, -1, 1, 3, 4)]);
    [Fact] public void Concat_Backward_MatchesFiniteDifference() =>
        Check(x => Tensor.Concat([x[0], x[1]], 1).Square(), [Leaf(43, -1, 1, 2, 3), Leaf(44, -1, 1, 2, 2)]);
    [Fact] public void Flatten_Backward_MatchesFiniteDifference() => Check(x => x[0].Flatten(1).Square(), [Leaf(45, -1, 1, 2, 3, 2)]);
    [Fact] public void Unsqueeze_Backward_MatchesFiniteDifference() => Check(x => x[0].Unsqueeze(0) * x[1], [Leaf(46, -1, 1, 3), Leaf(47, -1, 1, 2, 3)]);

    // ---- fusion ----
    [Fact]
    public void LowRankFusion_Backward_MatchesFiniteDifference() =>
        // Three modalities (B = 4, D = 3, 2, 2), rank 2, 3 outputs; every input, factor, weight and bias.
        Check(x => Tensor.LowRankFusion([x[0], x[1], x[2]], [x[3], x[4], x[5]], x[6], x[7]),
            [Leaf(48, -1, 1, 4, 3), Leaf(49, -1, 1, 4, 2), Leaf(50, -1, 1, 4, 2),
             Leaf(51, -0.7f, 0.7f, 4, 2, 3), Leaf(52, -0.7f, 0.7f, 3, 2, 3), Leaf(53, -0.7f, 0.7f, 3, 2, 3),
             Leaf(54, -1, 1, 2), Leaf(55, -1, 1, 3)]);

    /// <summary>The op names covered above and in ConvGradientTests (the README quotes this count).</summary>
    public static readonly string[] OpNames =
    [
        "relu", "silu", "sigmoid", "tanh", "exp", "log", "square", "sqrt", "neg",
        "add", "sub", "mul", "div", "add_scalar", "mul_scalar", "rsub_scalar", "rdiv_scalar",
        "matmul", "sum", "sum_axis", "mean", "mean_axis", "max_axis",
        "softmax", "log_softmax", "cross_entropy",
        "reshape", "permute", "transpose", "slice", "expand", "contiguous", "concat", "flatten", "unsqueeze",
        "low_rank_fusion",
        // tested in ConvGradientTests.cs
        "conv2d", "depthwise_conv2d", "max_pool2d", "avg_pool2d", "global_avg_pool2d", "batch_norm2d",
    ];

    [Fact]
    public void OpNames_CoverEveryRecordedOpInTheApi()
    {
        // Names used by Record(...) in src/Tensors/Ops; a new op without a gradient test fails here.
        var src = Path.Combine(RepoRoot(), "src", "Tensors", "Ops");
        var recorded = Directory.GetFiles(src, "*.cs")
            .SelectMany(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), "Record\\([^\"]*\"([a-z0-9_]+)\"").Select(m => m.Groups[1].Value))
            .Distinct().ToHashSet();
        var missing = recorded.Except(OpNames).ToArray();
        Assert.True(missing.Length == 0, "ops without a gradient test: " + string.Join(", ", missing));
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FusionScratch.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
