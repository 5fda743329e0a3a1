// `fusion bench <workload> [--threads T] [--json] [--seconds S] [--device cpu|gpu]` — quick probes that time one
// workload and print one line per problem size (JSON with --json). The peers script
// bench/peers/compare.py runs these beside NumPy and PyTorch in the same session.

using System.CommandLine;
using System.Text.Json;
using FusionScratch.Kernels;
using FusionScratch.Runner.Bench;

namespace FusionScratch.Runner.Commands;

public static class BenchCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Build()
    {
        var workload = new Argument<string>("workload")
        {
            Description = $"What to time: {string.Join(", ", Workloads.Names)}, or all; `tables` (the customers fusion at scale) runs only when named",
        };
        workload.AcceptOnlyFromAmong([.. Workloads.Names, "all", "tables"]);
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line" };
        var seconds = new Option<double>("--seconds") { Description = "Time budget per problem size", DefaultValueFactory = _ => 1.0 };
        var customers = new Option<int>("--customers")
        {
            Description = "tables: customers to generate (≈ 10 purchases and 10 visits each)",
            DefaultValueFactory = _ => 1_000_000,
        };
        var dir = new Option<string?>("--dir") { Description = "tables: folder of the generated CSVs (default: under the temp folder)" };
        var generateOnly = new Option<bool>("--generate-only") { Description = "tables: make sure the CSVs exist, time nothing" };
        var device = new Option<string>("--device")
        {
            Description = "gemm: cpu (packed SIMD GEMM) or gpu (ILGPU kernels on CUDA, else on the CPU simulator with a warning)",
            DefaultValueFactory = _ => "cpu",
        };
        device.AcceptOnlyFromAmong("cpu", "gpu");
        var cmd = new Command("bench", "Time a workload (GEMM, …) and print GFLOP/s or items/s") { workload, json, seconds, customers, dir, generateOnly, device };
        cmd.SetAction(parse =>
        {
            Parallelism.Threads = parse.GetValue(Program.Threads);
            string w = parse.GetValue(workload)!;
            if (w == "tables")
                return Tables(parse.GetValue(customers), parse.GetValue(dir), parse.GetValue(generateOnly), parse.GetValue(json));
            double budget = parse.GetValue(seconds);
            if (budget <= 0) { Console.Error.WriteLine($"fusion bench: --seconds must be positive, got {budget}"); return 2; }
            bool gpu = parse.GetValue(device) == "gpu";
            if (gpu && w != "gemm")
            {
                Console.Error.WriteLine($"fusion bench: --device gpu is implemented for gemm only so far, not '{w}'");
                return 2;
            }
            if (gpu && FusionScratch.Kernels.Gpu.Accelerators.FallbackWarning is string warning)
                Console.Error.WriteLine(warning);
            foreach (string name in w == "all" ? Workloads.Names : [w])
                foreach (var r in gpu ? Workloads.GpuGemm(budget) : Workloads.Run(name, budget))
                    Console.WriteLine(parse.GetValue(json)
                        ? JsonSerializer.Serialize(r, Json)
                        : $"{r.Workload,-6} {r.Sizes,-16} threads {r.Threads}  best {r.Seconds * 1e3,9:F3} ms  median {r.MedianSeconds * 1e3,9:F3} ms" +
                          (r.Gflops is double g ? $"  {g,7:F1} GFLOP/s" : "") + (r.ItemsPerSecond is double ips ? $"  {ips,8:F0} items/s" : "") + $"  alloc {r.AllocatedBytes} B/call" +
                          (r.Impl != "fusionscratch" ? $"  {r.Impl}" : ""));
            return 0;
        });
        return cmd;
    }

    private static int Tables(int customers, string? dir, bool generateOnly, bool json)
    {
        if (customers < 1)
        {
            Console.Error.WriteLine($"fusion bench tables: --customers must be positive, got {customers}");
            return 2;
        }
        dir ??= TablesWorkload.DefaultDir(customers);
        try
        {
            Console.Error.WriteLine($"[tables] {TablesWorkload.EnsureData(customers, dir)}");
            if (generateOnly) return 0;
            var r = TablesWorkload.Run(dir, Parallelism.Threads);
            Console.WriteLine(json
                ? JsonSerializer.Serialize(r, Json)
                : $"tables {r.Sizes}  threads {r.Threads}  {r.Seconds:0.00} s (read {r.ReadSeconds:0.00}, fuse {r.FuseSeconds:0.00}, write {r.WriteSeconds:0.00})  " +
                  $"{r.FusedRows:N0} fused rows  peak {r.PeakRssMb:0} MB");
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FusionScratch.Models.Tabular.TabularException)
        {
            Console.Error.WriteLine($"fusion bench tables: {e.Message}");
            return 1;
        }
    }
}
