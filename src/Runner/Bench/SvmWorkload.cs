// `fusion bench svm [--n 5000] [--test 5000] [--dir D]` — our SMO on a precomputed Gram matrix,
// the problem scikit-learn's SVC(kernel="precomputed") solves with libsvm (bench/peers/svm.py).
//
// The problem, fixed and seeded: n MNIST digits for training and up to `test` others for testing
// (a stratified split, seed 7), the pixel view (784 values in [0, 1]), an RBF kernel with the
// median-heuristic γ of the training digits, C = 10, ε = 1e-3 (libsvm's default), one-vs-one.
// EnsureData writes it once per (n, test) into D as GramFile files, so the peer reads exactly our
// float32 matrices:
//     train.gram    n × n        float32   K(train, train)
//     train.labels  n            int32     digits 0–9
//     test.gram     m × n        float32   K(test, train)
//     test.labels   m            int32
//     problem.json  n, m (and the --test asked for), C, tol, γ, view, seed — the stamp that says the folder is complete
// (format: src/Models/Mkl/GramFile.cs). Run then loads the files (reading every value once, see
// RequireFinite's call) and times the fit only: one
// MulticlassSvm.Train (one-vs-one, as libsvm) on the loaded Gram, after an untimed warm-up fit on
// the first 300 training digits so the JIT has compiled the solver (a C++ libsvm needs none);
// then predicts the test digits. One timed fit per process: the peers script runs several
// processes, interleaved with scikit-learn's, and keeps the best of each.

using System.Diagnostics;
using System.Text.Json;
using FusionScratch.Models.Data;
using FusionScratch.Models.Mkl;

namespace FusionScratch.Runner.Bench;

/// <summary>One timed SVM fit (one JSON line). Support vectors: training points with α &gt; 0 in any machine (libsvm's count).</summary>
public sealed record SvmBenchResult(string Workload, string Sizes, int Threads, double Seconds, double CpuSeconds, double PredictSeconds, double Accuracy,
    int SupportVectors, long Iterations, int Machines, bool Converged, double C, double Gamma, string Impl = "fusionscratch");

/// <summary>The problem's parameters, as problem.json stores them.</summary>
public sealed record SvmProblem(int Train, int Test, int TestCap, double C, double Tol, double Gamma, string View, ulong Seed);

public static class SvmWorkload
{
    public const ulong Seed = 7;
    public const double C = 10, Tol = 1e-3;
    public const string View = "pixels";
    private const int Classes = 10, WarmUpPoints = 300;
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static string DefaultDir(int n) => Path.Combine(Path.GetTempPath(), $"fusionscratch-svm-{n}");

    public static SvmProblem ReadProblem(string dir) =>
        JsonSerializer.Deserialize<SvmProblem>(File.ReadAllText(Path.Combine(dir, "problem.json")), Json)
        ?? throw new InvalidDataException($"{dir}/problem.json is empty");

    /// <summary>Computes and writes the Gram and label files into <paramref name="dir"/> unless a complete set for (n, test) is there.</summary>
    public static string EnsureData(int n, int test, string dir, DataOptions data)
    {
        string stamp = Path.Combine(dir, "problem.json");
        if (File.Exists(stamp))
        {
            var p = ReadProblem(dir);
            if (p.Train == n && p.Seed == Seed && p.C == C && p.Tol == Tol && p.View == View && p.TestCap == test)
                return $"using the Gram files in {dir}";
        }
        var clock = Stopwatch.StartNew();
        var mnist = Datasets.Load("mnist", data);
        if (n < Classes || n >= mnist.Count) throw new ArgumentException($"svm bench: --n must be in [{Classes}, {mnist.Count}), got {n}");
        double fraction = Math.Min(1.0, (n + 20.0) / mnist.Count);
        var split = Splits.Stratified(mnist.Labels, fraction, 0, 1 - fraction, Seed);
        split = Splits.Cap(mnist.Labels, split, n, null, test);
        var train = DigitViews.Compute(View, mnist.Subset(split.Train).Pixels, split.Train.Length);
        var tst = DigitViews.Compute(View, mnist.Subset(split.Test).Pixels, split.Test.Length);
        double gamma = KernelFunction.MedianGamma(train, Seed);
        var rbf = KernelFunction.Rbf(gamma);
        var kTrain = rbf.Compute(train);
        var kTest = rbf.Compute(tst, train);
        Directory.CreateDirectory(dir);
        File.Delete(stamp);
        GramFile.WriteGram(Path.Combine(dir, "train.gram"), kTrain);
        GramFile.WriteLabels(Path.Combine(dir, "train.labels"), mnist.LabelsOf(split.Train));
        GramFile.WriteGram(Path.Combine(dir, "test.gram"), kTest);
        GramFile.WriteLabels(Path.Combine(dir, "test.labels"), mnist.LabelsOf(split.Test));
        var problem = new SvmProblem(split.Train.Length, split.Test.Length, test, C, Tol, gamma, View, Seed);
        File.WriteAllText(stamp, JsonSerializer.Serialize(problem, Json));
        return $"wrote the {View} RBF Grams (γ = {gamma:G4}) of {problem.Train:N0} training and {problem.Test:N0} test digits " +
               $"to {dir} in {clock.Elapsed.TotalSeconds:0.0} s";
    }

    /// <summary>Loads the problem, fits once (timed) after an untimed warm-up fit, predicts the test digits.</summary>
    public static SvmBenchResult Run(string dir, int threads)
    {
        var p = ReadProblem(dir);
        var kTrain = GramFile.ReadGram(Path.Combine(dir, "train.gram"));
        var yTrain = GramFile.ReadLabels(Path.Combine(dir, "train.labels"));
        var kTest = GramFile.ReadGram(Path.Combine(dir, "test.gram"));
        var yTest = GramFile.ReadLabels(Path.Combine(dir, "test.labels"));
        var options = new SmoOptions(p.C, p.Tol);
        // Before the timer, read every value once (and check that it is finite). On this VM the first
        // user-space read of each page that the kernel filled by read() costs about 10 µs — 0.25 s for
        // the 100 MB training Gram, more than the whole fit. The peer pays the same before its timer,
        // when NumPy converts the loaded float32 Gram to float64; now neither fit pays it.
        RequireFinite(kTrain, "train.gram");
        RequireFinite(kTest, "test.gram");

        int w = Math.Min(WarmUpPoints, yTrain.Length);
        int[] first = Enumerable.Range(0, w).ToArray();
        MulticlassSvm.Train(kTrain.Sub(first, first), yTrain.AsSpan(0, w), Classes, MulticlassScheme.OneVsOne, options);

        // Wall time is the figure; the process's CPU time (all threads, the runtime's included) is a
        // second view that a machine busy with other work disturbs less.
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var svm = MulticlassSvm.Train(kTrain, yTrain, Classes, MulticlassScheme.OneVsOne, options);
        double fit = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double fitCpu = (process.TotalProcessorTime - cpu).TotalSeconds;
        clock.Restart();
        var predicted = svm.Predict(kTest);
        double predict = clock.Elapsed.TotalSeconds;

        int correct = 0;
        for (int i = 0; i < yTest.Length; i++) if (predicted[i] == yTest[i]) correct++;
        var isSv = new bool[yTrain.Length];
        foreach (var m in svm.Machines)
            for (int s = 0; s < m.Index.Length; s++)
                if (m.Solution.Alpha[s] > 0) isSv[m.Index[s]] = true;
        return new SvmBenchResult("svm", $"{yTrain.Length} train, {yTest.Length} test, {View} rbf", threads, fit, fitCpu, predict,
            (double)correct / yTest.Length, isSv.Count(b => b), svm.Iterations, svm.Machines.Count, svm.Converged, p.C, p.Gamma);
    }

    private static void RequireFinite(Gram g, string name)
    {
        double sum = 0;
        foreach (float v in g.Data) sum += v;
        if (!double.IsFinite(sum)) throw new InvalidDataException($"{name}: the Gram has non-finite values");
    }
}
