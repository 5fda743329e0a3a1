// FusionScratch benchmark suite (BenchmarkDotNet).
//   dotnet run -c Release --project bench -- --filter '*'
// One class per op family; the naive variant is the baseline so the Ratio column reads as speed-up.
using BenchmarkDotNet.Running;

namespace FusionScratch.Bench;

public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
