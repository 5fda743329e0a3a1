// Multiclass SVMs from binary SMO machines on one precomputed training Gram.
//   one-vs-rest  c machines, machine c separates class c (+1) from all others (−1);
//                predict the class with the largest decision value
//   one-vs-one   c(c−1)/2 machines, one per pair on the points of those two classes only
//                (much smaller problems: SMO cost grows faster than linearly in n); predict by
//                votes, ties to the lower class index (libsvm's rule)
// For MKL the machines are what J(d) sums over: J(d) = Σ_machines (Σα − ½αᵀY K(d) Y α), and
// ∂J/∂d_m = −½ Σ_machines αᵀ Y K_m Y α (see SimpleMkl.cs). Machines are trained in parallel.

using FusionScratch.Kernels;

namespace FusionScratch.Models.Mkl;

public enum MulticlassScheme { OneVsRest, OneVsOne }

/// <summary>One binary machine: its training points (indices into the training set), labels ±1 and solution.</summary>
public sealed record BinaryMachine(int Positive, int Negative, int[] Index, sbyte[] Y, SmoResult Solution)
{
    /// <summary>Σ_s α_s y_s G[row, Index_s] − ρ for one row of a (test × train) Gram.</summary>
    public double Decision(ReadOnlySpan<float> crossRow)
    {
        double f = -Solution.Rho;
        var a = Solution.Alpha;
        for (int s = 0; s < Index.Length; s++)
            if (a[s] != 0) f += a[s] * Y[s] * crossRow[Index[s]];
        return f;
    }

    /// <summary>αᵀ Y K Y α over this machine's points, for a square training Gram K (support vectors only).</summary>
    public double QuadraticForm(Gram k)
    {
        var a = Solution.Alpha;
        var sv = Enumerable.Range(0, Index.Length).Where(s => a[s] != 0).ToArray();
        double total = 0;
        foreach (int s in sv)
        {
            var row = k.Row(Index[s]);
            double inner = 0;
            foreach (int t in sv) inner += a[t] * Y[t] * row[Index[t]];
            total += a[s] * Y[s] * inner;
        }
        return total;
    }
}

/// <summary>A trained multiclass SVM.</summary>
public sealed class MulticlassSvm
{
    private MulticlassSvm(int classes, MulticlassScheme scheme, BinaryMachine[] machines) =>
        (Classes, Scheme, Machines) = (classes, scheme, machines);

    public int Classes { get; }
    public MulticlassScheme Scheme { get; }
    public IReadOnlyList<BinaryMachine> Machines { get; }

    /// <summary>J = Σ_machines of the maximised dual Σα − ½αᵀQα.</summary>
    public double J => Machines.Sum(m => m.Solution.J);

    public long Iterations => Machines.Sum(m => m.Solution.Iterations);
    public bool Converged => Machines.All(m => m.Solution.Converged);
    public int SupportVectors => Machines.Sum(m => m.Solution.Alpha.Count(a => a > 0));

    /// <summary>
    /// Trains on the square training Gram <paramref name="k"/>; <paramref name="warmStart"/> (a
    /// machine set of the same scheme on the same labels) starts every SMO from its α.
    /// </summary>
    public static MulticlassSvm Train(Gram k, ReadOnlySpan<int> labels, int classes, MulticlassScheme scheme, SmoOptions options, MulticlassSvm? warmStart = null)
    {
        if (!k.IsSquare || k.Rows != labels.Length) throw new ArgumentException($"svm: Gram is {k.Rows}×{k.Cols} for {labels.Length} labels");
        if (warmStart is not null && (warmStart.Scheme != scheme || warmStart.Classes != classes))
            throw new ArgumentException("svm: the warm start is of another scheme or class count");
        var y = labels.ToArray();
        var problems = new List<(int Pos, int Neg, int[] Index, sbyte[] Y)>();
        if (scheme == MulticlassScheme.OneVsRest)
        {
            int[] all = Enumerable.Range(0, y.Length).ToArray();
            for (int c = 0; c < classes; c++)
                problems.Add((c, -1, all, y.Select(l => l == c ? (sbyte)1 : (sbyte)-1).ToArray()));
        }
        else
        {
            for (int a = 0; a < classes; a++)
                for (int b = a + 1; b < classes; b++)
                {
                    int[] idx = Enumerable.Range(0, y.Length).Where(t => y[t] == a || y[t] == b).ToArray();
                    problems.Add((a, b, idx, idx.Select(t => y[t] == a ? (sbyte)1 : (sbyte)-1).ToArray()));
                }
        }
        var machines = new BinaryMachine[problems.Count];
        // Each SMO is single-threaded, so the cores share out the machines.
        EachInParallel(problems.Count, p =>
        {
            var (pos, neg, idx, yy) = problems[p];
            var warm = warmStart?.Machines[p].Solution.Alpha;
            // A machine on a subset reads its rows of k on demand (GramRows) instead of a copied sub-Gram.
            var solution = idx.Length == k.Rows ? Smo.Solve(k, yy, options, warm) : Smo.Solve(k, idx, yy, options, warm);
            machines[p] = new BinaryMachine(pos, neg, idx, yy, solution);
        });
        return new MulticlassSvm(classes, scheme, machines);
    }

    /// <summary>s_m = Σ_machines αᵀ Y K_m Y α for every base Gram (so ∂J/∂d_m = −½ s_m).</summary>
    public double[] QuadraticForms(IReadOnlyList<Gram> grams)
    {
        var s = new double[grams.Count];
        EachInParallel(grams.Count, m => s[m] = Machines.Sum(b => b.QuadraticForm(grams[m])));
        return s;
    }

    /// <summary>
    /// work(0 … count−1) on the engine's threads, items handed out one at a time first come, first
    /// served (machines differ in cost, so contiguous chunks would leave a core idle).
    /// </summary>
    internal static void EachInParallel(int count, Action<int> work)
    {
        int next = -1;
        Parallelism.For(Math.Min(count, Parallelism.Threads), 1, (_, _) =>
        {
            int item;
            while ((item = Interlocked.Increment(ref next)) < count) work(item);
        });
    }

    /// <summary>Predicted classes for the rows of a (test × train) Gram.</summary>
    public int[] Predict(Gram cross)
    {
        var predicted = new int[cross.Rows];
        Parallelism.For(cross.Rows, 16, (start, end) =>
        {
            var votes = new double[Classes];
            for (int r = start; r < end; r++)
            {
                Array.Clear(votes);
                var row = cross.Row(r);
                foreach (var m in Machines)
                {
                    double f = m.Decision(row);
                    if (Scheme == MulticlassScheme.OneVsRest) votes[m.Positive] = f;
                    else votes[f > 0 ? m.Positive : m.Negative] += 1;
                }
                int best = 0;
                for (int c = 1; c < Classes; c++) if (votes[c] > votes[best]) best = c;
                predicted[r] = best;
            }
        });
        return predicted;
    }
}
