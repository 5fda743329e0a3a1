// Text preprocessing: cleaning, word counts, bag-of-words with a fitted vocabulary, and hashed
// token features. All of them see text through TextClean.Tokens, so the vocabulary, the counts
// and the hashes agree on what a word is: lowercase letters and digits, split on whitespace,
// with every other character removed ("Men's T-Shirt!" → "mens", "tshirt").
// A CategoricalColumn is processed once per category, not once per row.

using System.Text;

namespace FusionScratch.Models.Tabular.Transformers;

/// <summary>The text rules every text feature shares.</summary>
public static class TextClean
{
    /// <summary>Lowercase, drop characters that are not letters, digits or whitespace, collapse whitespace to one space, trim.</summary>
    public static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool pendingSpace = false;
        foreach (char ch in text)
        {
            if (char.IsWhiteSpace(ch)) { pendingSpace = sb.Length > 0; continue; }
            if (!char.IsLetterOrDigit(ch)) continue;
            if (pendingSpace) { sb.Append(' '); pendingSpace = false; }
            sb.Append(char.ToLowerInvariant(ch));
        }
        return sb.ToString();
    }

    /// <summary>The words of the cleaned text.</summary>
    public static string[] Tokens(string text) => Clean(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>f of each row's text (<paramref name="missing"/> where the value is missing); evaluated once per category for a CategoricalColumn.</summary>
    internal static T[] PerRow<T>(Column column, Func<string, T> f, T missing, string user)
    {
        var result = new T[column.Length];
        switch (column)
        {
            case CategoricalColumn c:
                T[] perCategory = c.CategoryArray.Select(f).ToArray();
                ReadOnlySpan<int> codes = c.Values;
                for (int i = 0; i < result.Length; i++) result[i] = codes[i] < 0 ? missing : perCategory[codes[i]];
                return result;
            case StringColumn s:
                ReadOnlySpan<string?> values = s.Values;
                for (int i = 0; i < result.Length; i++) result[i] = values[i] is { } v ? f(v) : missing;
                return result;
            default:
                throw new TabularException($"{user}: column '{column.Name}' is {column.Type}, expected text (String or Category)");
        }
    }
}

/// <summary>Replaces text columns by their cleaned text (<see cref="TextClean.Clean"/>); stateless. Categories that clean to the same text merge.</summary>
public sealed class TextCleaner(params string[] columns) : ColumnTransformer(columns)
{
    protected override void FitColumn(int index, Column train) => TransformColumn(index, train.Take([]));

    protected override Column TransformColumn(int index, Column column)
    {
        string?[] cleaned = TextClean.PerRow<string?>(column, TextClean.Clean, null, Describe(column));
        return column is CategoricalColumn ? CategoricalColumn.Encode(column.Name, cleaned) : new StringColumn(column.Name, cleaned);
    }
}

/// <summary>Adds "&lt;column&gt;_words": the number of words of each text (0 when missing); stateless.</summary>
public sealed class WordCount(params string[] columns) : ColumnTransformer(columns)
{
    protected override void FitColumn(int index, Column train) => TransformColumn(index, train.Take([]));

    protected override Column TransformColumn(int index, Column column) =>
        new Int32Column(column.Name + "_words", TextClean.PerRow(column, s => TextClean.Tokens(s).Length, 0, Describe(column)));
}

/// <summary>
/// Adds "&lt;column&gt;_bow": word counts over a vocabulary of the <see cref="TopK"/> most frequent
/// training words (total count; ties to the smaller word, ordinal). Words outside the vocabulary
/// are ignored; a missing text gives all zeros.
/// </summary>
public sealed class BagOfWords(string column, int topK) : ColumnTransformer([column])
{
    private string[] _vocabulary = [];
    private Dictionary<string, int> _index = [];

    public int TopK { get; } = topK > 0 ? topK : throw new TabularException($"BagOfWords on '{column}': topK must be positive, got {topK}");

    /// <summary>1 for a word present rather than its count.</summary>
    public bool Binary { get; init; }

    /// <summary>The fitted words, most frequent first; feature j counts word j.</summary>
    public IReadOnlyList<string> Vocabulary => _vocabulary;

    protected override void FitColumn(int index, Column train)
    {
        string[][] tokens = TextClean.PerRow(train, TextClean.Tokens, [], Describe(train));
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string[] row in tokens)
            foreach (string t in row)
                counts[t] = counts.GetValueOrDefault(t) + 1;
        _vocabulary = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(TopK).Select(kv => kv.Key).ToArray();
        _index = _vocabulary.Select((w, j) => (w, j)).ToDictionary(p => p.w, p => p.j, StringComparer.Ordinal);
    }

    protected override Column TransformColumn(int index, Column column)
    {
        int width = Math.Max(_vocabulary.Length, 1);
        string[][] tokens = TextClean.PerRow(column, TextClean.Tokens, [], Describe(column));
        var data = new float[tokens.Length * width];
        for (int i = 0; i < tokens.Length; i++)
            foreach (string t in tokens[i])
                if (_index.TryGetValue(t, out int j)) data[i * width + j] = Binary ? 1 : data[i * width + j] + 1;
        string[] names = _vocabulary.Length == 0 ? [$"{column.Name}:<empty vocabulary>"] : _vocabulary.Select(w => $"{column.Name}:{w}").ToArray();
        return new VectorColumn(column.Name + "_bow", data, names);
    }
}

/// <summary>
/// Adds "&lt;column&gt;_hash": word counts in <see cref="Dimensions"/> buckets, bucket = FNV-1a
/// (32-bit) of the word's UTF-8 bytes mod Dimensions. Stateless: no vocabulary, any word has a
/// bucket, and the hash is the same in every process (unlike string.GetHashCode).
/// </summary>
public sealed class HashedTextFeatures(string column, int dimensions) : ColumnTransformer([column])
{
    public int Dimensions { get; } = dimensions > 0 ? dimensions : throw new TabularException($"HashedTextFeatures on '{column}': dimensions must be positive, got {dimensions}");

    /// <summary>FNV-1a, 32-bit: h = 2166136261; for each byte h = (h ^ byte) · 16777619.</summary>
    public static uint Fnv1a(ReadOnlySpan<byte> bytes)
    {
        uint h = 2166136261;
        foreach (byte b in bytes) h = (h ^ b) * 16777619;
        return h;
    }

    /// <summary>The bucket of one (already cleaned) word.</summary>
    public int Bucket(string word) => (int)(Fnv1a(Encoding.UTF8.GetBytes(word)) % (uint)Dimensions);

    protected override void FitColumn(int index, Column train) => TransformColumn(index, train.Take([]));

    protected override Column TransformColumn(int index, Column column)
    {
        int[][] buckets = TextClean.PerRow(column, s => TextClean.Tokens(s).Select(Bucket).ToArray(), [], Describe(column));
        var data = new float[buckets.Length * Dimensions];
        for (int i = 0; i < buckets.Length; i++)
            foreach (int b in buckets[i]) data[i * Dimensions + b]++;
        string[] names = Enumerable.Range(0, Dimensions).Select(j => $"{column.Name}#{j}").ToArray();
        return new VectorColumn(column.Name + "_hash", data, names);
    }
}
