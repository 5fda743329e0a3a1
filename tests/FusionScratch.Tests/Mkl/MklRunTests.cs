// `fusion run mkl --quick` end to end: every file, every method in results.json, SimpleMKL's
// stopping point and its targets on the small version.

using FusionScratch.Runner.Reports;
using FusionScratch.Tests.Customers;
using FusionScratch.Tests.Runner;

namespace FusionScratch.Tests.Mkl;

public sealed class MklRunTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fusion-mkl-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public void QuickRun_WritesTheStudy_AndSimpleMklMeetsItsTargets()
    {
        var (code, _, err) = RunnerHarness.Run("run", "mkl", "--quick", "--seed", "1", "--data-dir", CustomersRunTests.DataDir, "--out", _out);
        Assert.True(code == 0, err);
        var results = ResultsDocument.Load(Path.Combine(_out, "results.json"));
        var svms = results.Runs.Where(r => r.Model == "svm-ovo").ToList();
        Assert.Equal(8, svms.Count(r => r.Modality == "single kernel"));
        Assert.Equal(["uniform average", "CKA", "EasyMKL", "SimpleMKL"], svms.Where(r => r.Modality == "kernel combination").Select(r => r.Variant));
        Assert.Equal(3, results.Runs.Count(r => r.Model == "kernel-ridge"));

        var simple = svms.Single(r => r.Variant == "SimpleMKL");
        Assert.True(simple.Metrics["relative_duality_gap"] <= 0.01, $"gap {simple.Metrics["relative_duality_gap"]}");
        double weightSum = simple.Metrics.Where(kv => kv.Key.StartsWith("weight_")).Sum(kv => kv.Value);
        Assert.Equal(1.0, weightSum, 1e-9);
        double bestSingle = svms.Where(r => r.Modality == "single kernel").Max(r => r.TestAccuracy);
        double uniform = svms.Single(r => r.Variant == "uniform average").TestAccuracy;
        Assert.True(simple.TestAccuracy >= bestSingle && simple.TestAccuracy >= uniform,
            $"SimpleMKL {simple.TestAccuracy} vs best single {bestSingle}, uniform {uniform}");

        foreach (var file in new[] { "report.md", "simplemkl_objective.png", "simplemkl_gap.png", "simplemkl_weights.png", "pca_pixels.png", "kpca_best_single.png", "kpca_simplemkl.png" })
            Assert.True(File.Exists(Path.Combine(_out, file)), file);
        string report = File.ReadAllText(Path.Combine(_out, "report.md"));
        Assert.Contains("KKT check", report);
        Assert.Contains("Nyström", report);
    }
}
