// GramRows — what SMO reads of a Gram: rows of K[index, index] (one machine's points), gathered
// from the whole training Gram the first time each row is asked for and kept for the rest of the
// solve. SMO touches only the rows of the pairs it picks — a few hundred of a 1 000-point one-vs-
// one machine, each many times — so this costs a fraction of copying the sub-Gram out whole, and
// never holds more than that copy would. With no index the Gram is read in place.
//
// Gathered rows live in blocks of 64 rows rented from the shared ArrayPool and returned by
// Dispose: the next machine on the thread reuses them, so a one-vs-one fit allocates almost
// nothing (a fresh float[] per row made the garbage collector copy tens of MB of live rows).

using System.Buffers;
using System.Runtime.CompilerServices;

namespace FusionScratch.Models.Mkl;

internal sealed class GramRows : IDisposable
{
    private const int BlockRows = 64;
    private readonly Gram k;
    private readonly int[]? index;
    private readonly int[] slot = [];                // slot[i]: where row i was gathered to, −1 before
    private readonly List<float[]> blocks = [];

    /// <param name="k">a square Gram</param>
    /// <param name="index">the points of the machine (indices into k), or null for all of k</param>
    public GramRows(Gram k, int[]? index)
    {
        if (!k.IsSquare) throw new ArgumentException($"gram rows: Gram is {k.Rows}×{k.Cols}, not square");
        (this.k, this.index) = (k, index);
        if (index is null) return;
        foreach (int p in index)
            if ((uint)p >= (uint)k.Rows) throw new ArgumentOutOfRangeException(nameof(index), p, $"gram rows: a point outside the {k.Rows}-point Gram");
        slot = new int[index.Length];
        Array.Fill(slot, -1);
    }

    /// <summary>Rows that had to be gathered so far.</summary>
    public int Gathered { get; private set; }

    /// <summary>Row i of K[index, index].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<float> Row(int i)
    {
        if (index is null) return k.Row(i);
        int n = index.Length, s = slot[i];
        if (s >= 0) return blocks[s / BlockRows].AsSpan(s % BlockRows * n, n);
        s = slot[i] = Gathered++;
        if (s % BlockRows == 0) blocks.Add(ArrayPool<float>.Shared.Rent(BlockRows * n));
        var dst = blocks[s / BlockRows].AsSpan(s % BlockRows * n, n);
        var src = k.Row(index[i]);
        for (int t = 0; t < n; t++) dst[t] = src[index[t]];
        return dst;
    }

    /// <summary>The diagonal of K[index, index].</summary>
    public double[] Diagonal()
    {
        if (index is null) return k.Diagonal();
        var d = new double[index.Length];
        for (int t = 0; t < d.Length; t++) d[t] = k[index[t], index[t]];
        return d;
    }

    /// <summary>Returns the row blocks to the pool; the spans handed out are invalid after this.</summary>
    public void Dispose()
    {
        foreach (var b in blocks) ArrayPool<float>.Shared.Return(b);
        blocks.Clear();
        Array.Fill(slot, -1);
        Gathered = 0;
    }
}
