// results.json — the machine-readable outcome of one `fusion run <experiment>`.
//
//   {
//     "experiment": "customers", "title": "...", "seed": 1, "threads": 2, "device": "cpu",
//     "quick": false, "command": "fusion run customers --seed 1", "started_utc": "...",
//     "seconds": 42.1, "resumed": false,
//     "data": { "summary": "...", "real": [...], "generated": [...], "split": "...", "sizes": {...} },
//     "runs": [ { "model": "mlp", "modality": "fused", "variant": "default",
//                 "test_accuracy": 0.91, "macro_f1": 0.90, "metrics": {...}, "train_seconds": 3.2 } ],
//     "notes": [ ... ]
//   }
//
// Everything except the timings (seconds, train_seconds, started_utc, and metrics whose name ends
// in "_seconds") is a function of the seed and thread count: two runs with the same ones give equal
// values, which the tests check.

using System.Text.Json;
using System.Text.Json.Serialization;

namespace FusionScratch.Runner.Reports;

/// <summary>What data a run used: which parts are real, which generated (and how), the split and sizes.</summary>
public sealed record DataDescription
{
    public string Summary { get; init; } = "";
    public List<string> Real { get; init; } = [];
    public List<string> Generated { get; init; } = [];
    public string Split { get; init; } = "";
    public Dictionary<string, long> Sizes { get; init; } = [];
}

/// <summary>One trained model evaluated on the test split.</summary>
public sealed record RunRecord
{
    public required string Model { get; init; }
    public required string Modality { get; init; }
    public string Variant { get; init; } = "default";
    public double TestAccuracy { get; init; }
    public double MacroF1 { get; init; }
    public Dictionary<string, double> Metrics { get; init; } = [];
    public double TrainSeconds { get; init; }
}

/// <summary>The whole results.json document.</summary>
public sealed record ResultsDocument
{
    public required string Experiment { get; init; }
    public string Title { get; init; } = "";
    public ulong Seed { get; init; }
    public int Threads { get; init; }
    public string Device { get; init; } = "cpu";
    public bool Quick { get; init; }
    public string Command { get; init; } = "";
    public string StartedUtc { get; init; } = "";
    public double Seconds { get; init; }
    public bool Resumed { get; init; }
    public DataDescription Data { get; init; } = new();
    public List<RunRecord> Runs { get; init; } = [];
    public List<string> Notes { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a results.json; a malformed file gives InvalidDataException naming it.</summary>
    public static ResultsDocument Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ResultsDocument>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException($"{path}: empty results file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid results.json ({e.Message.Split('.')[0]})");
        }
    }
}
