namespace FusionScratch.Runner;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.WriteLine($"FusionScratch on .NET {Environment.Version}");
        return 0;
    }
}
