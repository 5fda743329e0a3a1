// `fusion bench tables [--customers N] [--dir D]` — the customers study's fusion at scale: read
// customers.csv, purchases.csv, activity.csv and images.csv, aggregate purchases and activity per
// customer, left-join everything on customer_id (CustomerTables.Fuse, the study's own code) and
// write the fused CSV. bench/peers/tables.py does the same in pandas on the same files, and
// bench/peers/compare.py runs both in one session, each in a fresh process, and prints the ratios
// of time and peak memory.
//
// The CSVs are generated once per (N, seed) by CustomerWorld (≈ 10 purchases and 10 visits per
// customer: 1 000 000 customers → about 10 000 000 rows each) into D (default: a folder under the
// temp dir), marked complete by a small stamp file, and reused by later runs. `--generate-only`
// stops after that (compare.py uses it so neither side's timing includes generation).

using System.Diagnostics;
using FusionScratch.Kernels;
using FusionScratch.Models.Synthetic;
using FusionScratch.Models.Tabular;
using FusionScratch.Models.Tabular.Csv;
using FusionScratch.Runner.Experiments.Customers;

namespace FusionScratch.Runner.Bench;

/// <summary>One timed run of the tables workload (one JSON line).</summary>
public sealed record TablesResult(string Workload, string Sizes, int Threads, double Seconds, double ReadSeconds,
    double FuseSeconds, double WriteSeconds, long FusedRows, double PeakRssMb, string Impl = "fusionscratch");

public static class TablesWorkload
{
    public const ulong Seed = 1;

    public static string DefaultDir(int customers) => Path.Combine(Path.GetTempPath(), $"fusionscratch-tables-{customers}");

    /// <summary>Generates the four CSVs into <paramref name="dir"/> unless a complete set is there; returns a status line.</summary>
    public static string EnsureData(int customers, string dir)
    {
        string stamp = Path.Combine(dir, "generated.txt");
        string expected = $"customers={customers} seed={Seed}";
        if (File.Exists(stamp) && File.ReadAllText(stamp).Trim() == expected)
            return $"using the tables in {dir}";
        var clock = Stopwatch.StartNew();
        var world = CustomerWorld.Generate(new CustomerWorldOptions { Customers = customers, Seed = Seed });
        int[] image = world.CustomerId.Select(id => (id * 7919) % 10_000).ToArray();   // a reference into the 10 000 MNIST images
        var tables = CustomerTables.From(world, image);
        double generated = clock.Elapsed.TotalSeconds;
        Directory.CreateDirectory(dir);
        CsvWriter.Write(tables.Customers, Path.Combine(dir, "customers.csv"));
        CsvWriter.Write(tables.Purchases, Path.Combine(dir, "purchases.csv"));
        CsvWriter.Write(tables.Activity, Path.Combine(dir, "activity.csv"));
        CsvWriter.Write(tables.Images, Path.Combine(dir, "images.csv"));
        File.WriteAllText(stamp, expected);
        return $"generated {customers:N0} customers, {world.PurchaseId.Length:N0} purchases, {world.ActivityId.Length:N0} activity rows " +
               $"in {generated:0.0} s, wrote CSVs in {clock.Elapsed.TotalSeconds - generated:0.0} s to {dir}";
    }

    /// <summary>Reads, fuses and writes once, timing each stage.</summary>
    public static TablesResult Run(string dir, int threads)
    {
        var clock = Stopwatch.StartNew();
        // The four files are independent: read them on the engine's pool, one file per chunk.
        string[] names = ["customers.csv", "purchases.csv", "activity.csv", "images.csv"];
        var read4 = new Table[names.Length];
        Parallelism.For(names.Length, 1, (start, end) =>
        {
            for (int f = start; f < end; f++) read4[f] = CsvReader.Read(Path.Combine(dir, names[f]));
        });
        var tables = new CustomerTables(read4[0], read4[1], read4[2], read4[3]);
        double read = clock.Elapsed.TotalSeconds;
        Table fused = CustomerTables.Fuse(tables);
        double fuse = clock.Elapsed.TotalSeconds - read;
        string output = Path.Combine(dir, "fused.fusionscratch.csv");
        CsvWriter.Write(fused, output);
        double total = clock.Elapsed.TotalSeconds;
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        return new TablesResult("tables", $"{tables.Customers.RowCount}/{tables.Purchases.RowCount}/{tables.Activity.RowCount}", threads,
            total, read, fuse, total - read - fuse, fused.RowCount, peak / 1048576.0);
    }
}
