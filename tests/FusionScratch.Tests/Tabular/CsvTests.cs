using System.Globalization;
using System.Text;
using FusionScratch.Models.Tabular;
using FusionScratch.Models.Tabular.Csv;

namespace FusionScratch.Tests.Tabular;

public class CsvTests
{
    [Fact]
    public void RoundTrip_QuotesCommasNewlines_AreExact()
    {
        var t = new Table(
            new Int64Column("id", [1, 2, 3, 4, 5], [true, true, false, true, true]),
            new StringColumn("text", ["plain", "a, b", "say \"hi\"", "two\nlines\r\nand CRLF", ""]),
            new DoubleColumn("x", [0.1, -2.5e-300, double.NaN, 1e22, 123456.789]),
            new CategoricalColumn("cat", [0, 1, 0, -1, 2], ["red", "blue, green", "\"q\""]));
        string csv = CsvWriter.WriteToString(t);
        Assert.StartsWith("id,text,x,cat\n1,plain,0.1,red\n2,\"a, b\",", csv);
        Assert.Contains(",\"say \"\"hi\"\"\",", csv);
        var schema = new Dictionary<string, ColumnType> { ["cat"] = ColumnType.Category, ["text"] = ColumnType.String };
        Table back = CsvReader.Parse(csv, new CsvOptions { Schema = schema });
        AssertTablesEqual(t, back);
        Assert.Equal("", back.Column<StringColumn>("text")[4]);                // quoted "" is the empty string
    }

    [Fact]
    public void Read_CrLfAndBomAndBlankLines_AreHandled()
    {
        Table t = CsvReader.Parse("\uFEFFa,b\r\n1,x\r\n\r\n2,\"y\r\nz\"\r\n");
        Assert.Equal(2, t.RowCount);
        Assert.Equal(["a", "b"], t.ColumnNames);
        Assert.Equal("y\r\nz", t["b"].Format(1));
    }

    [Fact]
    public void Read_InfersTypes_IntDoubleCategoryString()
    {
        var sb = new StringBuilder("i,d,c,s,e,late\n");
        for (int r = 0; r < 100; r++) sb.Append($"{r},{(r == 5 ? "" : r + ".5")},{(r % 2 == 0 ? "even" : "odd")},name{r},,{(r < 50 ? r.ToString() : "x" + r)}\n");
        Table t = CsvReader.Parse(sb.ToString());
        Assert.IsType<Int64Column>(t["i"]);
        Assert.IsType<DoubleColumn>(t["d"]);
        Assert.True(t["d"].IsMissing(5));
        Assert.Equal(["even", "odd"], t.Column<CategoricalColumn>("c").Categories);
        Assert.IsType<StringColumn>(t["s"]);
        Assert.IsType<DoubleColumn>(t["e"]);                                   // all missing
        Assert.Equal("49", t.Column<StringColumn>("late")[49]);               // numbers, then text: re-read as text
        Assert.Equal("x50", t.Column<StringColumn>("late")[50]);
    }

    [Fact]
    public void Read_IntThenDecimal_WidensToDouble()
    {
        Table t = CsvReader.Parse("a\n1\n\n2.5\n");                           // a blank line in a 1-column file is missing
        Assert.Equal([1, double.NaN, 2.5], t.Column<DoubleColumn>("a").Values.ToArray());
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,4,5\n", 3, "expected 2 fields, got 3")]
    [InlineData("a,b\n1,2\n3\n", 3, "expected 2 fields, got 1")]
    [InlineData("a,b\n1,\"x\ny\"\n3,\"unterminated\n4,5\n", 4, "unterminated quoted field")]
    [InlineData("a,b\n1,\"x\"y\n", 2, "after the closing quote")]
    [InlineData("a,b\n1,2\n\"multi\nline\",3\n4,5,6\n", 5, "expected 2 fields, got 3")]
    public void Read_Malformed_ReportsLineNumber(string csv, int line, string what)
    {
        var e = Assert.Throws<TabularException>(() => CsvReader.Parse(csv, sourceName: "bad.csv"));
        Assert.StartsWith($"bad.csv line {line}: ", e.Message);
        Assert.Contains(what, e.Message);
        Assert.Equal(line, e.Line);
    }

    [Fact]
    public void Read_BadNumberInTypedColumn_ReportsLineAndColumn()
    {
        var options = new CsvOptions { Schema = new Dictionary<string, ColumnType> { ["amount"] = ColumnType.Double } };
        var e = Assert.Throws<TabularException>(() => CsvReader.Parse("id,amount\n1,2.5\n2,abc\n", options, "purchases.csv"));
        Assert.Equal("purchases.csv line 3: column 'amount': 'abc' is not a valid Double", e.Message);
    }

    [Fact]
    public void Read_BadNumberInInferredColumn_OfUnseekableStream_AsksForSchema()
    {
        var e = Assert.Throws<TabularException>(() => CsvReader.Read(new ForwardOnlyStream("a\n1\nx\n"), "s.csv"));
        Assert.StartsWith("s.csv line 3: column 'a': 'x' is not a valid Int64", e.Message);
        Assert.Contains("schema", e.Message);
    }

    [Fact]
    public void Read_SchemaNamingAbsentColumn_Throws()
    {
        var options = new CsvOptions { Schema = new Dictionary<string, ColumnType> { ["nope"] = ColumnType.Double } };
        Assert.Contains("'nope'", Assert.Throws<TabularException>(() => CsvReader.Parse("a\n1\n", options)).Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Read_TinyBuffer_GivesSameTableAsLargeBuffer(int seed)
    {
        Table t = RandomTable(seed, 500);
        string csv = CsvWriter.WriteToString(t);
        var schema = new Dictionary<string, ColumnType> { ["s"] = ColumnType.String, ["c"] = ColumnType.Category };
        Table big = CsvReader.Parse(csv, new CsvOptions { Schema = schema });
        Table tiny = CsvReader.Parse(csv, new CsvOptions { Schema = schema, BufferSize = 64 });
        AssertTablesEqual(t, big);
        AssertTablesEqual(t, tiny);
    }

    [Fact]
    public void ReadChunks_ConcatenateToWholeRead_WithStableCategoryCodes()
    {
        Table t = RandomTable(7, 1000);
        string path = Path.Combine(Path.GetTempPath(), $"fusion-chunks-{Guid.NewGuid():N}.csv");
        try
        {
            CsvWriter.Write(t, path);
            var options = new CsvOptions { Schema = new Dictionary<string, ColumnType> { ["s"] = ColumnType.String, ["c"] = ColumnType.Category } };
            Table whole = CsvReader.Read(path, options);
            var chunks = CsvReader.ReadChunks(path, 300, options).ToList();
            Assert.Equal([300, 300, 300, 100], chunks.Select(c => c.RowCount));
            var firstCats = chunks[0].Column<CategoricalColumn>("c").Categories;
            foreach (Table chunk in chunks)
                Assert.Equal(firstCats, chunk.Column<CategoricalColumn>("c").Categories.Take(firstCats.Count));
            int offset = 0;
            foreach (Table chunk in chunks)
            {
                AssertTablesEqual(whole.Take(Enumerable.Range(offset, chunk.RowCount).ToArray()), chunk);
                offset += chunk.RowCount;
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Write_ToPath_IsAtomicAndLeavesNoTempFile()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"fusion-write-{Guid.NewGuid():N}");
        string path = Path.Combine(dir, "out.csv");
        try
        {
            CsvWriter.Write(new Table(new Int64Column("a", [1])), path);
            CsvWriter.Write(new Table(new Int64Column("a", [2])), path);
            Assert.Equal("a\n2\n", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(dir));
            Assert.Throws<TabularException>(() => CsvWriter.Write(new Table(new VectorColumn("v", [1f], ["f"])), path));
            Assert.Equal("a\n2\n", File.ReadAllText(path));                   // a failed write keeps the old file
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void NumberParsing_MatchesDoubleParse()
    {
        var rng = new Random(3);
        var texts = new string[20000];
        for (int i = 0; i < texts.Length; i++)
        {
            double v = i % 3 == 0 ? Math.Round(rng.NextDouble() * 1000, rng.Next(0, 8)) : (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-30, 30));
            texts[i] = i % 5 == 0 ? v.ToString("E10", CultureInfo.InvariantCulture) : v.ToString("R", CultureInfo.InvariantCulture);
        }
        var options = new CsvOptions { Schema = new Dictionary<string, ColumnType> { ["x"] = ColumnType.Double } };
        DoubleColumn x = CsvReader.Parse("x\n" + string.Join("\n", texts) + "\n", options).Column<DoubleColumn>("x");
        for (int i = 0; i < texts.Length; i++) Assert.Equal(double.Parse(texts[i], CultureInfo.InvariantCulture), x[i]);
    }

    internal static Table RandomTable(int seed, int rows)
    {
        var rng = new Random(seed);
        string[] words = ["a", "b,c", "d\"e", "f\ng", "", "plain text", "ünïcødé"];
        var id = new long[rows];
        var valid = new bool[rows];
        var x = new double[rows];
        var s = new string?[rows];
        var c = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            id[i] = rng.NextInt64(-1_000_000_000_000, 1_000_000_000_000);
            valid[i] = rng.Next(10) > 0;
            x[i] = rng.Next(10) == 0 ? double.NaN : Math.Round((rng.NextDouble() - 0.5) * 1e4, rng.Next(0, 6));
            s[i] = rng.Next(8) == 0 ? null : words[rng.Next(words.Length)] + (rng.Next(3) == 0 ? rng.Next(100).ToString() : "");
            c[i] = rng.Next(-1, words.Length);
        }
        return new Table(new Int64Column("id", id, valid), new DoubleColumn("x", x), new StringColumn("s", s), new CategoricalColumn("c", c, words));
    }

    /// <summary>Same names, types, missing pattern and values (categoricals compared by string).</summary>
    internal static void AssertTablesEqual(Table expected, Table actual)
    {
        Assert.Equal(expected.ColumnNames, actual.ColumnNames);
        Assert.Equal(expected.RowCount, actual.RowCount);
        foreach (Column e in expected.Columns)
        {
            Column a = actual[e.Name];
            Assert.Equal(e.Type, a.Type);
            for (int i = 0; i < e.Length; i++)
            {
                Assert.True(e.IsMissing(i) == a.IsMissing(i), $"column {e.Name} row {i}: missing {e.IsMissing(i)} vs {a.IsMissing(i)}");
                Assert.True(e.Format(i) == a.Format(i), $"column {e.Name} row {i}: '{e.Format(i)}' vs '{a.Format(i)}'");
            }
        }
    }

    /// <summary>A stream that cannot seek (a pipe), to check the no-re-read path.</summary>
    private sealed class ForwardOnlyStream(string text) : MemoryStream(Encoding.UTF8.GetBytes(text))
    {
        public override bool CanSeek => false;
    }
}

public class CsvEdgeTests
{
    [Fact]
    public void Read_HeaderOnly_GivesEmptyTable()
    {
        Table t = CsvReader.Parse("a,b\n");
        Assert.Equal(["a", "b"], t.ColumnNames);
        Assert.Equal(0, t.RowCount);
        Assert.Contains("empty", Assert.Throws<TabularException>(() => CsvReader.Parse("")).Message);
    }

    [Fact]
    public void Read_NoTrailingNewline_LoneCr_AndQuotedLastField()
    {
        Table t = CsvReader.Parse("a,b\r1,x\r2,\"y,z\"");
        Assert.Equal([1L, 2], t.Column<Int64Column>("a").Values.ToArray());
        Assert.Equal("y,z", t["b"].Format(1));
    }

    [Fact]
    public void Read_OnRaggedRow_SkipsAndReportsEachBadLine()
    {
        var bad = new List<long>();
        var options = new CsvOptions { OnRaggedRow = e => bad.Add(e.Line!.Value) };
        Table t = CsvReader.Parse("id,name\n1,a\n2,b,extra\n3,\"c\nd\"\n4\n5,e\n", options);
        Assert.Equal([1L, 3, 5], t.Column<Int64Column>("id").Values.ToArray());
        Assert.Equal([3L, 6], bad);
    }

    [Fact]
    public void Read_DuplicateHeader_IsAnError()
    {
        Assert.StartsWith("<text> line 1: duplicate column name 'a'", Assert.Throws<TabularException>(() => CsvReader.Parse("a,a\n1,2\n")).Message);
    }

    [Fact]
    public void ReadChunks_InferredNumberMeetsTextInFirstChunk_RereadsAsText()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fusion-widen-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(path, "id,code\n" + string.Join("\n", Enumerable.Range(0, 10).Select(i => $"{i},{(i == 3 ? "A7" : i.ToString())}")) + "\n");
            var chunks = CsvReader.ReadChunks(path, 4).ToList();
            Assert.Equal([4, 4, 2], chunks.Select(c => c.RowCount));
            Assert.All(chunks, c => Assert.True(c["code"].Type is ColumnType.String or ColumnType.Category));
            Assert.Equal("A7", chunks[0]["code"].Format(3));
            Assert.Equal("9", chunks[2]["code"].Format(1));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReadChunks_TypeFixedByFirstChunk_LaterTextIsReportedWithLine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fusion-late-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(path, "x\n1\n2\n3\nabc\n");
            var e = Assert.Throws<TabularException>(() => CsvReader.ReadChunks(path, 2).ToList());
            Assert.StartsWith($"{Path.GetFileName(path)} line 5: column 'x': 'abc' is not a valid Int64", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
