// fusion — the FusionScratch command line.
//
//   fusion info                 machine, SIMD widths, threads
//   fusion kernel <op>          run an op's variants (matmul, conv2d, relu, reduce, …), check each against the naive one, print GFLOP/s or GB/s
//   fusion bench gemm [--json]  time a workload; bench/peers/compare.py sets it beside NumPy/PyTorch
//   fusion run <experiment>     a study (customers, products, mkl, lmf, all): results.json, report.md, plots
//
// Parsing, help and error messages come from System.CommandLine; every verb is one class under
// Commands/. Options shared by all verbs (--threads) are declared once here and recurse into
// every sub-command.

using System.CommandLine;
using FusionScratch.Runner.Commands;

using FusionScratch.Tensors;

namespace FusionScratch.Runner;

public static class Program
{
    public static int Main(string[] args)
    {
        int exit = BuildRoot().Parse(args).Invoke();
        if (KernelProfile.Enabled) Console.Error.Write(KernelProfile.Report()); // FUSION_PROFILE=1
        return exit;
    }

    /// <summary>--threads: how many threads kernels may use (default: every core).</summary>
    public static readonly Option<int> Threads = new("--threads")
    {
        Description = "Threads for the kernels (default: all cores)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
        Recursive = true,
        Validators =
        {
            // Runs before conversion errors are reported, so only judge values that parse.
            r => { if (r.Tokens.Count == 1 && int.TryParse(r.Tokens[0].Value, out int n) && n < 1) r.AddError($"--threads must be at least 1, got {n}"); },
        },
    };

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("FusionScratch: a from-scratch C# engine for multimodal data fusion");
        root.Options.Add(Threads);
        root.Subcommands.Add(InfoCommand.Build());
        root.Subcommands.Add(KernelCommand.Build());
        root.Subcommands.Add(BenchCommand.Build());
        root.Subcommands.Add(DataCommand.Build());
        root.Subcommands.Add(RunCommand.Build());
        return root;
    }
}
