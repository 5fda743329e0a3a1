// The customers study's tables and its fusion step, on the tabular toolkit:
//
//   purchases ─ group by customer_id ─► purchases, spend_total, spend_mean, spend_max, top_product ─┐
//   activity  ─ group by customer_id ─► visits, time_on_site, visit_mean_seconds, top_page,        │
//                                       support_visits, cancel_visits ───────────────────────────┤
//   customers ─────────────────────────── left join on customer_id ◄─────────────────────────────┘
//             ─ left join image references (customer_id → image_index) ─► one row per customer
//
// A customer with no purchases (or visits) keeps their row: counts and sums become 0 (none is
// the true value), means and modes stay missing (there is no value) and are imputed later from
// training statistics. The bench `fusion bench tables` runs the same Fuse on millions of rows.

using FusionScratch.Models.Synthetic;
using FusionScratch.Models.Tabular;
using FusionScratch.Models.Tabular.Csv;

namespace FusionScratch.Runner.Experiments.Customers;

public sealed record CustomerTables(Table Customers, Table Purchases, Table Activity, Table Images)
{
    /// <summary>The generated world as the four tables a company would hold (the hidden variables left out; churn is the label).</summary>
    public static CustomerTables From(CustomerWorld world, int[] imageOf)
    {
        var customers = new Table(
            new Int32Column("customer_id", world.CustomerId),
            new StringColumn("name", world.Name),
            new Int32Column("age", world.Age),
            new StringColumn("email", world.Email),
            new Int32Column("churn", world.Churn.Select(c => (int)c).ToArray()));
        var purchases = new Table(
            new Int64Column("purchase_id", world.PurchaseId),
            new Int32Column("customer_id", world.PurchaseCustomer),
            new CategoricalColumn("product", world.PurchaseProduct.Select(p => (int)p).ToArray(), CustomerWorld.Products),
            new DoubleColumn("amount", world.PurchaseAmount));
        var activity = new Table(
            new Int64Column("activity_id", world.ActivityId),
            new Int32Column("customer_id", world.ActivityCustomer),
            new CategoricalColumn("page", world.ActivityPage.Select(p => (int)p).ToArray(), CustomerWorld.Pages),
            new DoubleColumn("duration_seconds", world.ActivityDuration));
        var images = new Table(
            new Int32Column("customer_id", world.CustomerId),
            new Int32Column("image_index", imageOf));
        return new CustomerTables(customers, purchases, activity, images);
    }

    /// <summary>Aggregates purchases and activity per customer and joins them and the image references to the customers.</summary>
    public static Table Fuse(CustomerTables t)
    {
        var spend = t.Purchases.GroupBy("customer_id").Aggregate(
            Aggregation.Rows("purchases"),
            Aggregation.Sum("amount", "spend_total"),
            Aggregation.Mean("amount", "spend_mean"),
            Aggregation.Max("amount", "spend_max"),
            Aggregation.Mode("product", "top_product"));

        var byCustomer = t.Activity.GroupBy("customer_id");
        var page = t.Activity["page"];
        var visits = byCustomer.Aggregate(
            Aggregation.Rows("visits"),
            Aggregation.Sum("duration_seconds", "time_on_site"),
            Aggregation.Mean("duration_seconds", "visit_mean_seconds"),
            Aggregation.Mode("page", "top_page"))
            .With(CountWhere(byCustomer, page, "support", "support_visits"), CountWhere(byCustomer, page, "cancel", "cancel_visits"));

        var fused = Join.Left(Join.Left(t.Customers, spend, "customer_id"), visits, "customer_id");
        fused = ZeroWhereMissing(fused, "purchases", "spend_total", "visits", "time_on_site", "support_visits", "cancel_visits");
        // Sums and means of cents and tenths of seconds, rounded back to what they measure (a
        // double sum of 0.01-steps is 166.15999999999997, not 166.16).
        fused = Rounded(fused, ("spend_total", 2), ("spend_mean", 2), ("time_on_site", 1), ("visit_mean_seconds", 1));
        return Join.Left(fused, t.Images, "customer_id");
    }

    /// <summary>The numeric model features derived from the fused table (CustomersExperiment.TabularFeatures).</summary>
    public static Table Features(Table fused)
    {
        int n = fused.RowCount;
        double[] Numbers(string name) => Numeric.ToDoubles(fused[name], "customers features");
        var email = fused["email"];
        var hasEmail = new double[n];
        for (int i = 0; i < n; i++) hasEmail[i] = email.IsMissing(i) ? 0 : 1;
        return new Table(
            new DoubleColumn("age", Numbers("age")),
            new DoubleColumn("has_email", hasEmail),
            new DoubleColumn("purchases", Numbers("purchases")),
            new DoubleColumn("log_spend_total", Numbers("spend_total").Select(LogOnePlus).ToArray()),
            new DoubleColumn("spend_mean", Numbers("spend_mean")),
            new DoubleColumn("spend_max", Numbers("spend_max")),
            new DoubleColumn("visits", Numbers("visits")),
            new DoubleColumn("log_time_on_site", Numbers("time_on_site").Select(LogOnePlus).ToArray()),
            new DoubleColumn("visit_mean_seconds", Numbers("visit_mean_seconds")),
            new DoubleColumn("support_visits", Numbers("support_visits")),
            new DoubleColumn("cancel_visits", Numbers("cancel_visits")));
    }

    private static double LogOnePlus(double x) => Math.Log(1 + x);

    /// <summary>
    /// Per group, how many rows have <paramref name="value"/> in <paramref name="column"/>: one pass
    /// over the group ids, no indicator column (at 10M rows that column alone would be 80 MB).
    /// </summary>
    private static DoubleColumn CountWhere(Grouping groups, Column column, string value, string name)
    {
        var counts = new double[groups.GroupCount];
        ReadOnlySpan<int> groupOf = groups.GroupOf;
        if (column is CategoricalColumn categorical)
        {
            // Codes are the column's own: a CSV reader numbers categories in order of appearance.
            int code = categorical.Categories.ToList().IndexOf(value);
            ReadOnlySpan<int> codes = categorical.Values;
            if (code >= 0)
                for (int i = 0; i < codes.Length; i++)
                    if (codes[i] == code && groupOf[i] >= 0) counts[groupOf[i]]++;
        }
        else
            for (int i = 0; i < column.Length; i++)
                if (groupOf[i] >= 0 && column.Format(i) == value) counts[groupOf[i]]++;
        return new DoubleColumn(name, counts);
    }

    private static Table Rounded(Table table, params (string Name, int Digits)[] columns) =>
        new(table.Columns.Select(c =>
        {
            int k = Array.FindIndex(columns, x => x.Name == c.Name);
            if (k < 0) return c;
            double[] values = Numeric.ToDoubles(c, "customers fusion");
            for (int i = 0; i < values.Length; i++) values[i] = Math.Round(values[i], columns[k].Digits);
            return new DoubleColumn(c.Name, values);
        }));

    /// <summary>Counts and sums of a customer with no rows are 0, not missing.</summary>
    private static Table ZeroWhereMissing(Table table, params string[] names) =>
        new(table.Columns.Select(c => names.Contains(c.Name) ? ZeroFilled(c) : c));

    private static Column ZeroFilled(Column c)
    {
        double[] values = Numeric.ToDoubles(c, "customers fusion");
        for (int i = 0; i < values.Length; i++) if (double.IsNaN(values[i])) values[i] = 0;
        return new DoubleColumn(c.Name, values);
    }
}
