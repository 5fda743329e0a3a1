// GramFile: a Gram and a label vector written and read back bit for bit; malformed files refused.

using FusionScratch.Models.Mkl;

namespace FusionScratch.Tests.Mkl;

public class GramFileTests
{
    [Fact]
    public void GramAndLabels_RoundTrip_BitForBit()
    {
        string dir = Directory.CreateTempSubdirectory("gramfile").FullName;
        try
        {
            var rng = new Random(5);
            var g = new Gram(3, 5);
            for (int i = 0; i < g.Data.Length; i++) g.Data[i] = (float)(rng.NextDouble() * 2 - 1);
            g.Data[7] = float.Epsilon;   // a subnormal survives too
            int[] labels = [3, 0, 9, -1, int.MaxValue];
            GramFile.WriteGram(Path.Combine(dir, "k.gram"), g);
            GramFile.WriteLabels(Path.Combine(dir, "y.labels"), labels);

            var back = GramFile.ReadGram(Path.Combine(dir, "k.gram"));
            Assert.Equal((3, 5), (back.Rows, back.Cols));
            Assert.Equal(g.Data, back.Data);
            Assert.Equal(labels, GramFile.ReadLabels(Path.Combine(dir, "y.labels")));

            // The documented layout: "FSGM", type, rows, cols, then the values (what NumPy reads at offset 16).
            var bytes = File.ReadAllBytes(Path.Combine(dir, "k.gram"));
            Assert.Equal(GramFile.HeaderBytes + 4 * 15, bytes.Length);
            Assert.Equal("FSGM"u8.ToArray(), bytes[..4]);
            Assert.Equal([1, 3, 5], [BitConverter.ToInt32(bytes, 4), BitConverter.ToInt32(bytes, 8), BitConverter.ToInt32(bytes, 12)]);
            Assert.Equal(g.Data[6], BitConverter.ToSingle(bytes, GramFile.HeaderBytes + 4 * 6));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void MalformedFiles_AreRefused()
    {
        string dir = Directory.CreateTempSubdirectory("gramfile").FullName;
        try
        {
            string gram = Path.Combine(dir, "k.gram"), labels = Path.Combine(dir, "y.labels");
            GramFile.WriteGram(gram, new Gram(2, 2, [1, 2, 3, 4]));
            GramFile.WriteLabels(labels, [1, 2]);
            Assert.Throws<InvalidDataException>(() => GramFile.ReadLabels(gram));     // wrong element type
            Assert.Throws<InvalidDataException>(() => GramFile.ReadGram(labels));
            var bytes = File.ReadAllBytes(gram);
            File.WriteAllBytes(gram, bytes[..^4]);                                    // truncated
            Assert.Throws<InvalidDataException>(() => GramFile.ReadGram(gram));
            bytes[0] = (byte)'X';
            File.WriteAllBytes(gram, bytes);                                          // bad magic
            Assert.Throws<InvalidDataException>(() => GramFile.ReadGram(gram));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
