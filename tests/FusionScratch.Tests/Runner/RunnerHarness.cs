using FusionScratch.Runner;

namespace FusionScratch.Tests.Runner;

/// <summary>Runs `fusion` in-process with captured output. Tests using it share the "Console" collection (no parallel runs).</summary>
internal static class RunnerHarness
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (Program.Main(args), o.ToString(), e.ToString()); }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
            FusionScratch.Kernels.Parallelism.Threads = Environment.ProcessorCount;
        }
    }
}

[CollectionDefinition("Console", DisableParallelization = true)]
public class ConsoleCollection;
