// Benchmarks for the tabular toolkit (src/Models/Tabular), on a seeded purchases table shaped as
// in the customers study — purchase_id, customer_id, product (50 categories), amount — scaled
// down 10× from the study's 1M customers × 10M purchases: 100k customers, 1M purchases.
//
// Each category has a naive baseline written the obvious .NET way (a row per line through
// string.Split, LINQ's GroupBy and Join over per-row tuples), so Ratio reads as the speed-up of
// the columnar version. Throughput is million rows per second of the table the step consumes
// (purchases, for the parse, the group-by and the one-to-many join).
//
//   dotnet run -c Release --project bench -- --filter '*TabularBench*' --job short

using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using FusionScratch.Bench.Support;
using FusionScratch.Models.Tabular;
using FusionScratch.Models.Tabular.Csv;

namespace FusionScratch.Bench;

[Config(typeof(BenchConfig))]
public class TabularBench : IWork
{
    public const int Customers = 100_000;
    public const int Purchases = 1_000_000;

    private byte[] _csv = [];
    private Table _purchases = null!, _customers = null!, _perCustomer = null!;
    private (long Id, long Customer, string Product, double Amount)[] _rows = [];

    public string Unit => "M rows/s";

    public double Work(BenchmarkCase benchmarkCase) =>
        (benchmarkCase.Descriptor.WorkloadMethod.Name.Contains("OneToOne") ? Customers : Purchases) / 1e6;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        string[] products = Enumerable.Range(0, 50).Select(i => $"product {i:D2}").ToArray();
        var id = new long[Purchases];
        var customer = new long[Purchases];
        var product = new int[Purchases];
        var amount = new double[Purchases];
        for (int i = 0; i < Purchases; i++)
        {
            id[i] = i + 1;
            customer[i] = rng.Next(1, Customers + 1);
            product[i] = rng.Next(products.Length);
            amount[i] = Math.Round(1 + rng.NextDouble() * 499, 2);
        }
        _purchases = new Table(new Int64Column("purchase_id", id), new Int64Column("customer_id", customer),
            new CategoricalColumn("product", product, products), new DoubleColumn("amount", amount));
        _customers = new Table(new Int64Column("customer_id", Enumerable.Range(1, Customers).Select(i => (long)i).ToArray()));
        _perCustomer = GroupByColumnar();
        var stream = new MemoryStream();
        CsvWriter.Write(_purchases, stream);
        _csv = stream.ToArray();
        _rows = Enumerable.Range(0, Purchases).Select(i => (id[i], customer[i], products[product[i]], amount[i])).ToArray();
    }

    // ---- CSV: 1M rows, about 33 MB ----------------------------------------------------------

    [Benchmark(Baseline = true, Description = "CSV read: lines + string.Split")]
    [BenchmarkCategory("CsvRead")]
    public double CsvReadNaive()
    {
        using var reader = new StreamReader(new MemoryStream(_csv));
        reader.ReadLine();
        double total = 0;
        var rows = new List<(long, long, string, double)>();
        while (reader.ReadLine() is { } line)
        {
            string[] f = line.Split(',');
            var row = (long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture), f[2], double.Parse(f[3], CultureInfo.InvariantCulture));
            rows.Add(row);
            total += row.Item4;
        }
        return total;
    }

    [Benchmark(Description = "CSV read: CsvReader, inferred types")]
    [BenchmarkCategory("CsvRead")]
    public Table CsvRead() => CsvReader.Read(new MemoryStream(_csv), "purchases.csv");

    [Benchmark(Baseline = true, Description = "CSV write: StringBuilder per row")]
    [BenchmarkCategory("CsvWrite")]
    public long CsvWriteNaive()
    {
        using var writer = new StreamWriter(Stream.Null, new UTF8Encoding(false), 1 << 16);
        writer.Write("purchase_id,customer_id,product,amount\n");
        foreach (var (id, customer, product, amount) in _rows)
            writer.Write($"{id},{customer},{product},{amount.ToString("R", CultureInfo.InvariantCulture)}\n");
        return _rows.Length;
    }

    [Benchmark(Description = "CSV write: CsvWriter")]
    [BenchmarkCategory("CsvWrite")]
    public long CsvWrite()
    {
        CsvWriter.Write(_purchases, Stream.Null);
        return _purchases.RowCount;
    }

    // ---- group-by: 1M purchases into 100k customers -----------------------------------------

    [Benchmark(Baseline = true, Description = "group-by: LINQ GroupBy")]
    [BenchmarkCategory("GroupBy")]
    public int GroupByLinq() => _rows.GroupBy(r => r.Customer)
        .Select(g => (g.Key, g.Count(), g.Sum(r => r.Amount), g.Average(r => r.Amount),
            g.GroupBy(r => r.Product).OrderByDescending(p => p.Count()).ThenBy(p => p.Key, StringComparer.Ordinal).First().Key))
        .Count();

    [Benchmark(Description = "group-by: Grouping.Aggregate")]
    [BenchmarkCategory("GroupBy")]
    public Table GroupByColumnar() => _purchases.GroupBy("customer_id").Aggregate(
        Aggregation.Rows("purchases"), Aggregation.Sum("amount"), Aggregation.Mean("amount"), Aggregation.Mode("product"));

    // ---- joins on the integer customer id ---------------------------------------------------

    [Benchmark(Baseline = true, Description = "join 100k ⋈ 1M: LINQ Join")]
    [BenchmarkCategory("JoinOneToMany")]
    public int JoinOneToManyLinq() => Enumerable.Range(1, Customers).Select(i => (long)i)
        .Join(_rows, c => c, r => r.Customer, (c, r) => (c, r.Id, r.Product, r.Amount)).Count();

    [Benchmark(Description = "join 100k ⋈ 1M: Join.Inner")]
    [BenchmarkCategory("JoinOneToMany")]
    public Table JoinOneToMany() => Join.Inner(_customers, _purchases, "customer_id");

    [Benchmark(Baseline = true, Description = "left join 100k ⋈ 100k: LINQ GroupJoin")]
    [BenchmarkCategory("JoinOneToOne")]
    public int JoinOneToOneLinq()
    {
        var groups = Enumerable.Range(0, _perCustomer.RowCount)
            .Select(i => (Id: _perCustomer.Column<Int64Column>("customer_id")[i], Sum: _perCustomer.Column<DoubleColumn>("amount_sum")[i])).ToArray();
        return Enumerable.Range(1, Customers).Select(i => (long)i)
            .GroupJoin(groups, c => c, g => g.Id, (c, gs) => (c, gs.Select(g => g.Sum).DefaultIfEmpty(double.NaN).First())).Count();
    }

    [Benchmark(Description = "left join 100k ⋈ 100k: Join.Left")]
    [BenchmarkCategory("JoinOneToOne")]
    public Table JoinOneToOne() => Join.Left(_customers, _perCustomer, "customer_id");
}
