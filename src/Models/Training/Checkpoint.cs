// Checkpoint — everything a training run needs to continue exactly where it stopped:
// the model's parameters and buffers (by name), the optimizer's buffers and step count, the
// epoch, the state of the run's random generator, and named series (the loss/accuracy history,
// so curves and reports of a resumed run equal those of an uninterrupted one).
//
// File layout (little-endian, BinaryWriter):
//   "FSCKPT01"                                magic + version
//   int32 epoch
//   uint32×4 rng state, byte hasSpare, float spare
//   int32 optimizer steps, int32 buffer count, each: int32 length, float[length]
//   int32 tensor count, each: string name, int32 length, float[length]
//   int32 series count, each: string name, int32 length, double[length]
//   32 bytes SHA-256 of everything above
// Written to a temporary file and renamed over the old one, so a crash mid-write leaves the
// previous checkpoint whole; a truncated or altered file fails its checksum and is refused.

using System.Security.Cryptography;
using FusionScratch.Models.IO;
using FusionScratch.Models.Nn;
using FusionScratch.Models.Optim;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Training;

/// <summary>A saved training state; see the file header for the format.</summary>
public sealed class Checkpoint
{
    private static ReadOnlySpan<byte> Magic => "FSCKPT01"u8;

    public int Epoch { get; init; }
    public (uint, uint, uint, uint, float?) RngState { get; init; }
    public int OptimizerSteps { get; init; }
    public IReadOnlyList<float[]> OptimizerBuffers { get; init; } = [];
    public IReadOnlyDictionary<string, float[]> Tensors { get; init; } = new Dictionary<string, float[]>();
    public IReadOnlyDictionary<string, double[]> Series { get; init; } = new Dictionary<string, double[]>();

    /// <summary>Captures the model (parameters + buffers), optimizer, epoch, RNG and extra series.</summary>
    public static Checkpoint Capture(Module model, Optimizer optimizer, int epoch, Rng rng,
        IReadOnlyDictionary<string, double[]> series, IReadOnlyDictionary<string, float[]>? extraTensors = null)
    {
        var tensors = model.StateTensors().ToDictionary(t => t.Name, t => t.Value.ToArray());
        if (extraTensors is not null)
            foreach (var (name, values) in extraTensors) tensors[name] = (float[])values.Clone();
        return new Checkpoint
        {
            Epoch = epoch,
            RngState = rng.State,
            OptimizerSteps = optimizer.StepCount,
            OptimizerBuffers = optimizer.StateBuffers.Select(b => (float[])b.Clone()).ToArray(),
            Tensors = tensors,
            Series = series.ToDictionary(kv => kv.Key, kv => (double[])kv.Value.Clone()),
        };
    }

    /// <summary>Copies the saved state into <paramref name="model"/>, <paramref name="optimizer"/> and <paramref name="rng"/>.</summary>
    public void Restore(Module model, Optimizer optimizer, Rng rng)
    {
        foreach (var (name, tensor) in model.StateTensors())
        {
            if (!Tensors.TryGetValue(name, out var values))
                throw new InvalidDataException($"checkpoint has no tensor '{name}' (was it written by another model?)");
            if (values.Length != tensor.Numel)
                throw new InvalidDataException($"checkpoint tensor '{name}' has {values.Length} values, the model's has {tensor.Numel}");
            tensor.CopyFrom(values); // an upload when the model is on a GPU
        }
        var buffers = optimizer.StateBuffers;
        if (buffers.Count != OptimizerBuffers.Count)
            throw new InvalidDataException($"checkpoint has {OptimizerBuffers.Count} optimizer buffers, the optimizer has {buffers.Count}");
        for (int i = 0; i < buffers.Count; i++)
        {
            if (buffers[i].Length != OptimizerBuffers[i].Length)
                throw new InvalidDataException($"checkpoint optimizer buffer {i} has {OptimizerBuffers[i].Length} values, expected {buffers[i].Length}");
            OptimizerBuffers[i].CopyTo(buffers[i], 0);
        }
        optimizer.RestoreStepCount(OptimizerSteps);
        rng.State = RngState;
    }

    /// <summary>Writes the checkpoint atomically (temp file + rename).</summary>
    public void Save(string path)
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Epoch);
            var (s0, s1, s2, s3, spare) = RngState;
            w.Write(s0); w.Write(s1); w.Write(s2); w.Write(s3);
            w.Write(spare.HasValue);
            w.Write(spare ?? 0f);
            w.Write(OptimizerSteps);
            w.Write(OptimizerBuffers.Count);
            foreach (var b in OptimizerBuffers) WriteFloats(w, b);
            w.Write(Tensors.Count);
            foreach (var (name, values) in Tensors)
            {
                w.Write(name);
                WriteFloats(w, values);
            }
            w.Write(Series.Count);
            foreach (var (name, values) in Series)
            {
                w.Write(name);
                w.Write(values.Length);
                foreach (double v in values) w.Write(v);
            }
        }
        var hash = SHA256.HashData(body.GetBuffer().AsSpan(0, (int)body.Length));
        body.Write(hash);
        AtomicFile.WriteAllBytes(path, body.GetBuffer().AsSpan(0, (int)body.Length));
    }

    /// <summary>Reads a checkpoint; a truncated, altered or foreign file gives InvalidDataException.</summary>
    public static Checkpoint Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 32 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException($"{path} is not a FusionScratch checkpoint");
        int bodyLength = bytes.Length - 32;
        if (!SHA256.HashData(bytes.AsSpan(0, bodyLength)).AsSpan().SequenceEqual(bytes.AsSpan(bodyLength)))
            throw new InvalidDataException($"{path} is corrupted (checksum mismatch)");
        using var r = new BinaryReader(new MemoryStream(bytes, Magic.Length, bodyLength - Magic.Length));
        int epoch = r.ReadInt32();
        var state = (r.ReadUInt32(), r.ReadUInt32(), r.ReadUInt32(), r.ReadUInt32());
        bool hasSpare = r.ReadBoolean();
        float spare = r.ReadSingle();
        int steps = r.ReadInt32();
        var buffers = new float[r.ReadInt32()][];
        for (int i = 0; i < buffers.Length; i++) buffers[i] = ReadFloats(r);
        int tensorCount = r.ReadInt32();
        var tensors = new Dictionary<string, float[]>(tensorCount);
        for (int i = 0; i < tensorCount; i++) tensors[r.ReadString()] = ReadFloats(r);
        int seriesCount = r.ReadInt32();
        var series = new Dictionary<string, double[]>(seriesCount);
        for (int i = 0; i < seriesCount; i++)
        {
            string name = r.ReadString();
            var values = new double[r.ReadInt32()];
            for (int j = 0; j < values.Length; j++) values[j] = r.ReadDouble();
            series[name] = values;
        }
        return new Checkpoint
        {
            Epoch = epoch,
            RngState = (state.Item1, state.Item2, state.Item3, state.Item4, hasSpare ? spare : null),
            OptimizerSteps = steps,
            OptimizerBuffers = buffers,
            Tensors = tensors,
            Series = series,
        };
    }

    private static void WriteFloats(BinaryWriter w, float[] values)
    {
        w.Write(values.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] ReadFloats(BinaryReader r)
    {
        var values = new float[r.ReadInt32()];
        int read = r.Read(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        if (read != values.Length * sizeof(float)) throw new EndOfStreamException("checkpoint ends inside a tensor");
        return values;
    }
}
