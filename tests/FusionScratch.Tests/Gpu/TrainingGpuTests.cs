// Whole models on the device: Module.To(device) moves parameters and buffers in place, the
// optimizers update on the device, and one training step (forward, cross-entropy, backward,
// optimizer step) on the GPU gives the same loss, gradients, weights and batch-norm running
// statistics as the CPU path. Also the tensor ops that the models use, GPU against CPU with
// their gradients (broadcasting, scalars, unary ops, slice/concat, sum over an axis, LMF), and
// the mixed-device errors.
//
// The reference CNN (ReferenceCnn.Build: 28×28 inputs, 32 and 64 channels, a 9216→128 linear
// layer) takes minutes on ILGPU's CPU simulator, so the simulator row trains the same stack of
// layers at a reduced size (10×10 inputs, 4 and 6 channels, 54→16→10); the CUDA row trains the
// real ReferenceCnn on a batch of 8.

using FusionScratch.Kernels.Gpu;
using FusionScratch.Models.Backbone;
using FusionScratch.Models.Fusion;
using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Tensors;
using FusionScratch.Tests.Support;

namespace FusionScratch.Tests.Gpu;

[Collection(nameof(GpuTests))]
public class TrainingGpuTests
{
    // The reference CNN's layers at simulator size: conv 3×3 1→4, ReLU, conv 3×3 4→6, ReLU, max pool 2,
    // flatten, linear 54→16, ReLU, linear 16→10.
    private static Sequential SmallReferenceCnn(Rng rng) => new(
        new Conv2d(1, 4, 3, rng), new ReLU(),
        new Conv2d(4, 6, 3, rng), new ReLU(),
        new MaxPool2d(2),
        new Flatten(),
        new Linear(54, 16, rng), new ReLU(),
        new Linear(16, 10, rng));

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void TrainingStep_ReferenceCnn_GpuMatchesCpu(GpuKind kind)
    {
        bool full = kind == GpuKind.Cuda;
        int side = full ? 28 : 10, batch = full ? 8 : 3;
        Func<Rng, Sequential> build = full ? ReferenceCnn.Build : SmallReferenceCnn;
        CheckTrainingStep(kind, build, [batch, 1, side, side], batch,
            ps => new Sgd(ps, lr: 0.05f, momentum: 0.9f, weightDecay: 1e-4f), steps: 2);
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void TrainingStep_MBConvNet_GpuMatchesCpu(GpuKind kind)
    {
        // Stem conv + batch norm + SiLU, an MBConv with expansion, squeeze-excite and the residual,
        // a strided MBConv, global average pooling and a linear head: every op of EfficientNet-lite.
        static Sequential Build(Rng rng) => new(
            new Conv2d(3, 4, 3, rng, padding: 1, bias: false), new BatchNorm2d(4), new SiLU(),
            new MBConv(4, 4, 2, 3, 1, 0.25f, rng),
            new MBConv(4, 6, 2, 3, 2, 0.25f, rng),
            new GlobalAvgPool2d(),
            new Linear(6, 5, rng));
        // AdamW's eps is large here: Adam divides by √v, so a gradient that is ~0 up to rounding (a
        // batch-norm shift feeding a residual) would turn rounding noise into full-size steps.
        CheckTrainingStep(kind, Build, [2, 3, 5, 5], 2, ps => new AdamW(ps, lr: 1e-2f, eps: 1e-3f), steps: 2);
    }

    private static void CheckTrainingStep(GpuKind kind, Func<Rng, Sequential> build, int[] inputShape, int batch,
        Func<IEnumerable<Tensor>, Optimizer> optimizer, int steps)
    {
        var device = Device.OnGpu(kind);
        var cpu = build(new Rng(3));
        var gpu = build(new Rng(3));
        gpu.To(device);
        Assert.All(gpu.StateTensors(), t => Assert.Equal(device, t.Value.Device));
        Assert.Equal(device, gpu.Device);
        var optCpu = optimizer(cpu.Parameters());
        var optGpu = optimizer(gpu.Parameters());
        var rng = new Rng(5);
        for (int step = 0; step < steps; step++)
        {
            var x = Tensor.Randn(new Shape(inputShape), rng);
            var labels = Enumerable.Range(0, batch).Select(i => (i * 7 + step) % 10 % OutputsOf(cpu, x)).ToArray();
            var lossCpu = RunStep(cpu, optCpu, x, labels);
            var lossGpu = RunStep(gpu, optGpu, x.To(device), labels);
            Check.Close([lossCpu.Item()], [lossGpu.Item()], 1e-4f, 1e-4f, $"{kind} loss, step {step}");
            foreach (var ((name, pc), (_, pg)) in cpu.NamedParameters().Zip(gpu.NamedParameters()))
            {
                Assert.Equal(device, pg.Grad!.Device);
                Check.Close(pc.Grad!.ToArray(), pg.Grad.ToArray(), 1e-4f, 1e-3f, $"{kind} d{name}, step {step}");
            }
        }
        foreach (var ((name, tc), (_, tg)) in cpu.StateTensors().Zip(gpu.StateTensors()))
            Check.Close(tc.ToArray(), tg.ToArray(), 1e-4f, 1e-3f, $"{kind} {name} after {steps} steps");
        // The optimizer state reads back from the device (checkpoints) and equals the CPU's.
        foreach (var (bc, bg) in optCpu.StateBuffers.Zip(optGpu.StateBuffers))
            Check.Close(bc, bg, 1e-4f, 1e-3f, $"{kind} optimizer state");
    }

    private static int OutputsOf(Sequential model, Tensor x)
    {
        using var _ = Tensor.NoGrad();
        bool training = model.Training;
        model.Eval();
        int classes = model.Forward(x).Shape[1];
        model.Train(training);
        return classes;
    }

    private static Tensor RunStep(Sequential model, Optimizer opt, Tensor x, int[] labels)
    {
        opt.ZeroGrad();
        var loss = Losses.CrossEntropy(model.Forward(x), labels);
        Assert.Equal(x.Device, loss.Device);
        loss.Backward();
        opt.Step();
        return loss;
    }

    [Fact]
    public void Module_To_MovesParametersAndBuffers_AndBack()
    {
        var model = new Sequential(new Conv2d(2, 3, 3, new Rng(1)), new BatchNorm2d(3));
        var before = model.StateTensors().Select(t => t.Value.ToArray()).ToArray();
        var weight = model.Parameters().First();
        var gpu = Device.OnGpu(GpuKind.CpuSimulator);
        model.To(gpu);
        Assert.Same(weight, model.Parameters().First()); // moved in place: layers keep their references
        Assert.All(model.StateTensors(), t => Assert.Equal(gpu, t.Value.Device));
        Assert.True(model.Parameters().All(p => p.RequiresGrad));
        model.To(Device.Cpu);
        Assert.Equal(before, model.StateTensors().Select(t => t.Value.ToArray()).ToArray());
    }

    [Fact]
    public void MixedDevices_AreAClearError()
    {
        var gpu = Device.OnGpu(GpuKind.CpuSimulator);
        var conv = new Conv2d(1, 2, 3, new Rng(1)).To(gpu);
        var x = Tensor.Randn(new Shape(1, 1, 5, 5), new Rng(2));
        var e = Assert.Throws<InvalidOperationException>(() => ((Conv2d)conv).Forward(x));
        Assert.Contains("different devices", e.Message);
        Assert.Contains("cpu", e.Message);
        Assert.Contains("gpu:cpu-sim", e.Message);
        var a = Tensor.Ones(3).To(gpu);
        Assert.Contains("different devices", Assert.Throws<InvalidOperationException>(() => a * Tensor.Ones(3)).Message);
    }

    // ---- tensor ops, GPU against CPU, forward and gradients --------------------------------

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void ElementwiseOps_WithBroadcasting_GpuMatchesCpu(GpuKind kind)
    {
        // a (2,3,5) against b (3,1): every binary op broadcasts both ways, then scalar and unary ops.
        static Tensor F(Tensor a, Tensor b) =>
            ((((a + b) * b - a / (b.Square() + 1f)).Sigmoid().Silu() * 2f + (1f - a.Tanh().Exp() * 0.1f).Log().Neg()
              + (3f / (a.Sqrt() + 1f)).Relu()).Sum(1) - b.T.Mean());
        CompareOnDevice(kind, F, [2, 3, 5], [3, 1], positiveA: true);
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void ShapeOps_SliceConcatPermute_GpuMatchCpu(GpuKind kind)
    {
        static Tensor F(Tensor a, Tensor b) =>
            Tensor.Concat([a.Slice(2, 1, 4), b.Reshape(2, 3, 2).Permute(0, 2, 1).Contiguous().Permute(0, 2, 1)], 2).Square();
        CompareOnDevice(kind, F, [2, 3, 5], [6, 2], positiveA: false);
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void SoftmaxLogSoftmaxMax_GpuMatchCpu(GpuKind kind)
    {
        // Softmax and log-softmax over the last axis (one input a transposed view, packed on the
        // device), max over the last and over a middle axis, all with their gradients.
        static Tensor F(Tensor a, Tensor b) =>
            (a.Softmax() * b).Sum(-1)
            + (a.Transpose(0, 1).LogSoftmax().Transpose(0, 1) * b).Max(-1)
            + a.Max(1).Square().Sum(1, keepDim: true)
            + b.Max(0, keepDim: true).Sum(-1);
        CompareOnDevice(kind, F, [2, 3, 5], [2, 3, 5], positiveA: false);
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void TensorFusionOuterProduct_GpuMatchesCpu(GpuKind kind)
    {
        // TFN's [z_0,1] ⊗ [z_1,1] ⊗ [z_2,1] per row: concat with a constant column made on the
        // input's device, broadcast products, reshapes; with gradients for every modality.
        var rng = new Rng(10);
        Tensor[] inputs = [Tensor.Randn(new Shape(2, 2), rng), Tensor.Randn(new Shape(2, 1), rng), Tensor.Randn(new Shape(2, 3), rng)];
        CompareOnDevice(kind, t => TensorFusion.OuterProduct(t).Square().Sum(), inputs);
    }

    [Theory, OnDevice(GpuKind.CpuSimulator), OnDevice(GpuKind.Cuda)]
    public void LowRankFusionOp_GpuMatchesCpu(GpuKind kind)
    {
        var rng = new Rng(9);
        Tensor[] Make() => [Tensor.Randn(new Shape(5, 3), rng), Tensor.Randn(new Shape(5, 4), rng),
            Tensor.Randn(new Shape(4, 2, 6), rng), Tensor.Randn(new Shape(5, 2, 6), rng), Tensor.Randn(new Shape(2), rng), Tensor.Randn(new Shape(6), rng)];
        var cpu = Make();
        static Tensor F(Tensor[] t) => Tensor.LowRankFusion([t[0], t[1]], [t[2], t[3]], t[4], t[5]).Square().Sum();
        CompareOnDevice(kind, F, cpu);
    }

    private static void CompareOnDevice(GpuKind kind, Func<Tensor, Tensor, Tensor> f, int[] shapeA, int[] shapeB, bool positiveA)
    {
        var rng = new Rng(4);
        var a = positiveA ? Tensor.Rand(new Shape(shapeA), rng, 0.1f, 2f) : Tensor.Randn(new Shape(shapeA), rng);
        var b = Tensor.Randn(new Shape(shapeB), rng);
        CompareOnDevice(kind, t => f(t[0], t[1]).Sum(), [a, b]);
    }

    private static void CompareOnDevice(GpuKind kind, Func<Tensor[], Tensor> f, Tensor[] inputs)
    {
        var device = Device.OnGpu(kind);
        foreach (var t in inputs) t.RequiresGrad = true;
        var gpuInputs = inputs.Select(t => t.Detach().To(device).RequireGrad()).ToArray();
        var yc = f(inputs);
        var yg = f(gpuInputs);
        Assert.Equal(device, yg.Device);
        Check.Close(yc.ToArray(), yg.ToArray(), 1e-4f, 1e-4f, $"{kind} forward");
        yc.Backward();
        yg.Backward();
        for (int i = 0; i < inputs.Length; i++)
            Check.Close(inputs[i].Grad!.ToArray(), gpuInputs[i].Grad!.ToArray(), 1e-4f, 1e-3f, $"{kind} gradient of input {i}");
    }
}
