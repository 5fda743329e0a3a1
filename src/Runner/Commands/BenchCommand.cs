// `fusion bench <workload> [--threads T] [--json] [--seconds S] [--device cpu|gpu]` — quick probes that time one
// workload and print one line per problem size (JSON with --json). The peers script
// bench/peers/compare.py runs these beside NumPy and PyTorch in the same session.

using System.CommandLine;
using System.Text.Json;
using FusionScratch.Kernels;
using FusionScratch.Models.Data;
using FusionScratch.Runner.Bench;

namespace FusionScratch.Runner.Commands;

public static class BenchCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Build()
    {
        var workload = new Argument<string>("workload")
        {
            Description = $"What to time: {string.Join(", ", Workloads.Names)}, or all; `tables` (the customers fusion at scale) and `svm` (our SMO on a precomputed Gram) run only when named",
        };
        workload.AcceptOnlyFromAmong([.. Workloads.Names, "all", "tables", "svm"]);
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line" };
        var seconds = new Option<double>("--seconds") { Description = "Time budget per problem size", DefaultValueFactory = _ => 1.0 };
        var customers = new Option<int>("--customers")
        {
            Description = "tables: customers to generate (≈ 10 purchases and 10 visits each)",
            DefaultValueFactory = _ => 1_000_000,
        };
        var n = new Option<int>("--n") { Description = "svm: training digits (the Gram is n × n)", DefaultValueFactory = _ => 5000 };
        var test = new Option<int>("--test") { Description = "svm: test digits (at most the digits left after training)", DefaultValueFactory = _ => 5000 };
        var dir = new Option<string?>("--dir") { Description = "tables, svm: folder of the generated CSVs / Gram files (default: under the temp folder)" };
        var generateOnly = new Option<bool>("--generate-only") { Description = "tables, svm: make sure the input files exist, time nothing" };
        var dataDir = new Option<string?>("--data-dir") { Description = "svm: dataset cache folder (default $FUSIONSCRATCH_DATA or ~/.cache/fusionscratch)" };
        var device = new Option<string>("--device")
        {
            Description = "gemm: cpu (packed SIMD GEMM) or gpu (ILGPU kernels on CUDA, else on the CPU simulator with a warning)",
            DefaultValueFactory = _ => "cpu",
        };
        device.AcceptOnlyFromAmong("cpu", "gpu");
        var cmd = new Command("bench", "Time a workload (GEMM, …) and print GFLOP/s or items/s")
            { workload, json, seconds, customers, n, test, dir, generateOnly, dataDir, device };
        cmd.SetAction(parse =>
        {
            Parallelism.Threads = parse.GetValue(Program.Threads);
            string w = parse.GetValue(workload)!;
            if (w == "tables")
                return Tables(parse.GetValue(customers), parse.GetValue(dir), parse.GetValue(generateOnly), parse.GetValue(json));
            if (w == "svm")
                return Svm(parse.GetValue(n), parse.GetValue(test), parse.GetValue(dir), parse.GetValue(dataDir), parse.GetValue(generateOnly), parse.GetValue(json));
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

    private static int Svm(int n, int test, string? dir, string? dataDir, bool generateOnly, bool json)
    {
        if (n < 10 || test < 1)
        {
            Console.Error.WriteLine($"fusion bench svm: --n must be ≥ 10 and --test ≥ 1, got {n} and {test}");
            return 2;
        }
        dir ??= SvmWorkload.DefaultDir(n);
        try
        {
            Console.Error.WriteLine($"[svm] {SvmWorkload.EnsureData(n, test, dir, new DataOptions(dataDir, Log: m => Console.Error.WriteLine($"[svm] {m}")))}");
            if (generateOnly) return 0;
            var r = SvmWorkload.Run(dir, Parallelism.Threads);
            Console.WriteLine(json
                ? JsonSerializer.Serialize(r, Json)
                : $"svm {r.Sizes}  threads {r.Threads}  fit {r.Seconds:0.000} s  predict {r.PredictSeconds:0.000} s  accuracy {r.Accuracy:0.0000}  " +
                  $"{r.SupportVectors} support vectors  {r.Iterations:N0} iterations over {r.Machines} machines" + (r.Converged ? "" : "  (NOT CONVERGED)"));
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
        {
            Console.Error.WriteLine($"fusion bench svm: {e.Message}");
            return 1;
        }
    }
}
