using FusionScratch.Models.Tabular;

namespace FusionScratch.Tests.Tabular;

public class TableTests
{
    private static Table Sample() => new(
        new Int64Column("id", [1, 2, 3]),
        new DoubleColumn("amount", [1.5, double.NaN, 3]),
        new StringColumn("name", ["a", null, "c"]),
        new CategoricalColumn("product", [0, 1, -1], ["x", "y"]));

    [Fact]
    public void Column_ByNameAndType_ReturnsTypedColumn()
    {
        Table t = Sample();
        Assert.Equal(3, t.RowCount);
        Assert.Equal([1.5, double.NaN, 3], t.Column<DoubleColumn>("amount").Values.ToArray());
        Assert.True(t["name"].IsMissing(1));
        Assert.Equal(1, t["product"].MissingCount());
    }

    [Fact]
    public void Column_Unknown_NamesTheColumnsThereAre()
    {
        var e = Assert.Throws<TabularException>(() => Sample()["nope"]);
        Assert.Contains("unknown column 'nope'", e.Message);
        Assert.Contains("id, amount, name, product", e.Message);
    }

    [Fact]
    public void Column_TypeMismatch_SaysBothTypes()
    {
        var e = Assert.Throws<TabularException>(() => Sample().Column<Int64Column>("amount"));
        Assert.Contains("'amount' is Double", e.Message);
        Assert.Contains("not Int64Column", e.Message);
    }

    [Fact]
    public void Table_LengthMismatchOrDuplicateName_Throws()
    {
        var e = Assert.Throws<TabularException>(() => new Table(new Int64Column("a", [1, 2]), new DoubleColumn("b", [1])));
        Assert.Contains("'b' has 1 rows, but 'a' has 2", e.Message);
        Assert.Throws<TabularException>(() => new Table(new Int64Column("a", [1]), new DoubleColumn("a", [1])));
    }

    [Fact]
    public void Take_WithMinusOne_GivesMissingRow()
    {
        Table t = Sample().Take([2, -1, 0]);
        Assert.Equal([3L, 0, 1], t.Column<Int64Column>("id").Values.ToArray());
        Assert.True(t["id"].IsMissing(1));
        Assert.False(t["id"].IsMissing(0));
        Assert.True(double.IsNaN(t.Column<DoubleColumn>("amount")[1]));
        Assert.Null(t.Column<StringColumn>("name")[1]);
        Assert.Equal([-1, -1, 0], t.Column<CategoricalColumn>("product").Values.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Sample().Take([3]));
    }

    [Fact]
    public void WithSelectWithout_ShapeTheTable()
    {
        Table t = Sample().With(new DoubleColumn("amount", [0, 0, 0]), new Int32Column("extra", [7, 8, 9]));
        Assert.Equal(["id", "amount", "name", "product", "extra"], t.ColumnNames);
        Assert.Equal(0, t.Column<DoubleColumn>("amount")[1]);
        Assert.Equal(["extra", "id"], t.Select("extra", "id").ColumnNames);
        Assert.Equal(["id", "product", "extra"], t.Without("amount", "name").ColumnNames);
    }

    [Fact]
    public void Preview_ShowsHeaderTypesAndMissing()
    {
        string p = Sample().Head(2).Preview();
        Assert.Contains("2 rows × 4 columns", p);
        Assert.Matches(@"\nid +\| amount +\| name +\| product", p);
        Assert.Contains("int64", p);
        Assert.Contains("NA", p);
    }
}
