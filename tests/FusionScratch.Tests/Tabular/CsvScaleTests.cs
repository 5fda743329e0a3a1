// A scale probe, not a unit test: it runs only when FUSION_TABULAR_ROWS is set, e.g.
//   FUSION_TABULAR_ROWS=10000000 dotnet test FusionScratch.sln -c Release \
//     --filter FullyQualifiedName~CsvScaleTests --logger "console;verbosity=detailed"
// It streams a purchases-like CSV of that many rows (purchase_id, customer_id, product, amount)
// to a temp file, reads it back whole, groups it by customer, joins, writes it out again with
// CsvWriter and reads it in chunks, printing for each step the time, rows/s, MB/s, the live
// managed memory it left behind and the peak resident memory it added (Linux: the peak is reset
// through /proc/self/clear_refs before each step and read from VmHWM after it).

using System.Diagnostics;
using FusionScratch.Models.Tabular;
using FusionScratch.Models.Tabular.Csv;
using FusionScratch.Tests.Support;
using Xunit.Abstractions;

namespace FusionScratch.Tests.Tabular;

[Collection(nameof(SerialTests))]
public class CsvScaleTests(ITestOutputHelper output)
{
    [Fact]
    public void Purchases_ReadGroupJoin_AtScale()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("FUSION_TABULAR_ROWS"), out int rows)) return;
        int customers = Math.Max(rows / 10, 1);
        string path = Path.Combine(Path.GetTempPath(), $"fusion-purchases-{rows}.csv");
        try
        {
            WritePurchases(path, rows, customers, seed: 1);
            long bytes = new FileInfo(path).Length;
            Table purchases = null!;
            Measure("read whole file", rows, () => { purchases = CsvReader.Read(path); return bytes; });
            output.WriteLine("  types: " + string.Join(", ", purchases.Columns.Select(c => $"{c.Name} {c.Type}")));
            Assert.Equal(rows, purchases.RowCount);
            Table perCustomer = null!;
            Measure("group by customer_id", rows, () =>
            {
                perCustomer = purchases.GroupBy("customer_id").Aggregate(
                    Aggregation.Rows("purchases"), Aggregation.Sum("amount"), Aggregation.Mean("amount"), Aggregation.Mode("product"));
                return 0;
            });
            var ids = new Table(new Int64Column("customer_id", Enumerable.Range(1, customers).Select(i => (long)i).ToArray()));
            Measure("left join customers ⋈ groups", customers, () => { Join.Left(ids, perCustomer, "customer_id"); return 0; });
            Measure("one-to-many join groups ⋈ purchases", rows, () => { Join.Inner(perCustomer.Select("customer_id", "purchases"), purchases, "customer_id"); return 0; });
            perCustomer = null!;
            Measure("write with CsvWriter", rows, () => { CsvWriter.Write(purchases, path + ".out"); return new FileInfo(path + ".out").Length; });
            purchases = null!;
            Measure("read in chunks of 1M rows", rows, () =>
            {
                long n = 0;
                foreach (Table chunk in CsvReader.ReadChunks(path, 1_000_000)) n += chunk.RowCount;
                Assert.Equal(rows, n);
                return bytes;
            });
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + ".out");
        }
    }

    /// <summary>Seeded purchases, streamed as text (no table in memory, so the read starts from a small heap).</summary>
    private static void WritePurchases(string path, int rows, int customers, int seed)
    {
        var rng = new Random(seed);
        using var w = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false), 1 << 20);
        w.Write("purchase_id,customer_id,product,amount\n");
        for (int i = 0; i < rows; i++)
        {
            int customer = rng.Next(1, customers + 1), product = rng.Next(50);
            double amount = Math.Round(1 + rng.NextDouble() * 499, 2);
            w.Write($"{i + 1},{customer},product {product:D2},{amount.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n");
        }
    }

    private void Measure(string what, int rows, Func<long> step)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = ResidentBytes("VmRSS"), live = GC.GetTotalMemory(forceFullCollection: true);
        ResetPeak();
        var sw = Stopwatch.StartNew();
        long bytes = step();
        double s = sw.Elapsed.TotalSeconds;
        long peak = ResidentBytes("VmHWM"), liveAfter = GC.GetTotalMemory(forceFullCollection: true);
        string mbps = bytes > 0 ? $", {bytes / 1e6 / s:F0} MB/s of {bytes / 1e6:F0} MB" : "";
        output.WriteLine($"{what}: {s:F2} s, {rows / s / 1e6:F2} M rows/s{mbps}; live +{(liveAfter - live) / 1e6:F0} MB; peak RSS +{(peak - before) / 1e6:F0} MB (from {before / 1e6:F0} MB)");
    }

    private static void ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static long ResidentBytes(string field)
    {
        if (!File.Exists("/proc/self/status")) return 0;
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":"));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
