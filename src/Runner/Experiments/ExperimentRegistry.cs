// Every study `fusion run` knows, in one place. A study that exists is an IExperiment instance;
// one still on the roadmap is listed with the issue that brings it, so `fusion run` shows the
// whole plan and `fusion run all` runs what exists.

namespace FusionScratch.Runner.Experiments;

public static class ExperimentRegistry
{
    private static readonly List<IExperiment> Implemented =
    [
        new Customers.CustomersExperiment(),
        new Products.ProductsExperiment(),
        new Mkl.MklExperiment(),
        new Lmf.LmfExperiment(),
    ];

    /// <summary>Studies on the roadmap that have no implementation yet: name → what brings it.</summary>
    private static readonly List<(string Name, string Title, string Pending)> Planned =
    [
    ];

    /// <summary>Implemented studies in run order.</summary>
    public static IReadOnlyList<IExperiment> All => Implemented;

    /// <summary>Every name `fusion run` accepts: the studies (implemented or planned) and "all".</summary>
    public static IReadOnlyList<string> Names =>
        [.. Implemented.Select(e => e.Name).Concat(Planned.Select(p => p.Name)).Distinct(), "all"];

    public static IExperiment? Find(string name) => Implemented.FirstOrDefault(e => e.Name == name);

    /// <summary>What brings a planned study, or null if it is implemented or unknown.</summary>
    public static string? PendingReason(string name) =>
        Find(name) is null ? Planned.Where(p => p.Name == name).Select(p => p.Pending).FirstOrDefault() : null;

    /// <summary>One line per study: name, title, and whether it runs yet.</summary>
    public static IEnumerable<(string Name, string Title, string? Pending)> Listing()
    {
        foreach (var e in Implemented) yield return (e.Name, e.Title, null);
        foreach (var p in Planned)
            if (Find(p.Name) is null) yield return (p.Name, p.Title, p.Pending);
    }

    /// <summary>Lists a study as planned (tests use it now that every roadmap study exists).</summary>
    internal static void RegisterPlanned(string name, string title, string pending)
    {
        Planned.RemoveAll(p => p.Name == name);
        Planned.Add((name, title, pending));
    }

    /// <summary>Adds (or replaces, by name) a study; tests register small studies of their own.</summary>
    internal static void Register(IExperiment experiment)
    {
        Implemented.RemoveAll(e => e.Name == experiment.Name);
        Implemented.Add(experiment);
    }
}
