// `fusion bench <workload> [--threads T] [--json] [--seconds S]` — quick probes that time one
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
        var workload = new Argument<string>("workload") { Description = $"What to time: {string.Join(", ", Workloads.Names)}, or all" };
        workload.AcceptOnlyFromAmong([.. Workloads.Names, "all"]);
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line" };
        var seconds = new Option<double>("--seconds") { Description = "Time budget per problem size", DefaultValueFactory = _ => 1.0 };
        var cmd = new Command("bench", "Time a workload (GEMM, …) and print GFLOP/s or items/s") { workload, json, seconds };
        cmd.SetAction(parse =>
        {
            Parallelism.Threads = parse.GetValue(Program.Threads);
            string w = parse.GetValue(workload)!;
            double budget = parse.GetValue(seconds);
            if (budget <= 0) { Console.Error.WriteLine($"fusion bench: --seconds must be positive, got {budget}"); return 2; }
            foreach (string name in w == "all" ? Workloads.Names : [w])
                foreach (var r in Workloads.Run(name, budget))
                    Console.WriteLine(parse.GetValue(json)
                        ? JsonSerializer.Serialize(r, Json)
                        : $"{r.Workload,-6} {r.Sizes,-16} threads {r.Threads}  best {r.Seconds * 1e3,9:F3} ms  median {r.MedianSeconds * 1e3,9:F3} ms" +
                          (r.Gflops is double g ? $"  {g,7:F1} GFLOP/s" : "") + (r.ItemsPerSecond is double ips ? $"  {ips,8:F0} items/s" : "") + $"  alloc {r.AllocatedBytes} B/call");
            return 0;
        });
        return cmd;
    }
}
