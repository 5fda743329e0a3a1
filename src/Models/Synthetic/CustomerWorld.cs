// CustomerWorld — the seeded synthetic world of the customers study.
//
// Three tables and an image per customer, linked by a documented hidden cause:
//
//   customers  (customer_id, name, age, email)                      one row per customer
//   purchases  (purchase_id, customer_id, product, amount)          ~AvgPurchases per customer
//   activity   (activity_id, customer_id, page, duration_seconds)   ~AvgActivity per customer
//   image      a real MNIST digit: the satisfaction score the customer wrote on a scanned form
//
// Hidden variables, drawn per customer and never written to the tables:
//   satisfaction s ∈ {0..9}, uniform          → the digit on the form (an MNIST image of s)
//   engagement   e ~ N(0, 1)                  → how much they buy and browse
// How the observed data depends on them:
//   purchases   count ~ Poisson(AvgPurchases · exp(0.5·e − 0.125)); product uniform over the
//               catalog; amount = list price · LogNormal(0, 0.25), in cents
//   activity    count ~ Poisson(AvgActivity · exp(0.5·e − 0.125)); page drawn from weights in which
//               "support" and "cancel" grow as satisfaction falls (a weak echo of s in the tables);
//               duration ~ Exponential(mean 45 s, 90 s on support/cancel pages)
//   age         uniform 18..79;  email missing for 8 %, upper-cased for 3 %
//   churn       Bernoulli(σ(ℓ)),  ℓ = −0.2 + 1.6·(4.5 − s)/2.87 − 1.5·e + 0.25·(age − 48.5)/17.6
// So the digit (satisfaction) and the purchase/activity aggregates (engagement) each explain part
// of churn, and only a model that sees both — the fused table plus the image — can explain most
// of it: fusion is shown to matter, not only performed. The constants were chosen so the two
// sources carry comparable signal; the report prints them.
//
// Rows of purchases and activity are shuffled (as an event log would interleave customers), so a
// join cannot rely on sorted keys. Everything follows from the seed; nothing reads the clock.

using FusionScratch.Tensors;

namespace FusionScratch.Models.Synthetic;

/// <summary>Sizes and rates of a generated world.</summary>
public sealed record CustomerWorldOptions
{
    public int Customers { get; init; } = 10_000;
    public double AvgPurchases { get; init; } = 10;
    public double AvgActivity { get; init; } = 10;
    public ulong Seed { get; init; } = 1;
}

/// <summary>The generated tables, column by column (struct of arrays), plus the hidden variables.</summary>
public sealed class CustomerWorld
{
    public static readonly string[] Products =
    [
        "notebook", "pen set", "backpack", "headphones", "phone case", "charger", "desk lamp", "mug",
        "water bottle", "t-shirt", "sneakers", "sunglasses", "umbrella", "wallet", "watch", "keyboard",
        "mouse", "monitor stand", "plant pot", "board game",
    ];

    /// <summary>List price of each product, in dollars.</summary>
    public static readonly double[] ListPrices =
        [4.5, 12, 45, 79, 15, 19, 34, 9, 14, 18, 65, 25, 16, 29, 120, 55, 22, 38, 11, 30];

    public static readonly string[] Pages = ["home", "search", "product", "cart", "checkout", "account", "help", "support", "cancel"];

    private static readonly string[] FirstNames =
    [
        "Ada", "Alan", "Amara", "Ana", "Arjun", "Bea", "Carlos", "Chen", "Dara", "Elena", "Emeka", "Farah",
        "Grace", "Hana", "Ivan", "Jonas", "Kai", "Lena", "Luca", "Maya", "Mei", "Nadia", "Omar", "Priya",
        "Rosa", "Sami", "Sofia", "Tariq", "Uma", "Viktor", "Wen", "Yara", "Zoe", "Noah", "Iris", "Felix",
    ];

    private static readonly string[] LastNames =
    [
        "Abara", "Berg", "Costa", "Diaz", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kim",
        "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Quinn", "Rossi", "Silva", "Tanaka", "Umar", "Varga",
        "Wang", "Xu", "Yilmaz", "Zhang", "Nguyen", "Kowalski", "Singh", "Martin",
    ];

    private static readonly string[] Domains = ["example.com", "example.org", "example.net", "mail.example"];

    public required CustomerWorldOptions Options { get; init; }

    // customers
    public required int[] CustomerId { get; init; }
    public required string[] Name { get; init; }
    public required int[] Age { get; init; }
    public required string?[] Email { get; init; }
    public required byte[] Churn { get; init; }
    // hidden
    public required byte[] Satisfaction { get; init; }
    public required float[] Engagement { get; init; }
    // purchases
    public required long[] PurchaseId { get; init; }
    public required int[] PurchaseCustomer { get; init; }
    public required short[] PurchaseProduct { get; init; }
    public required double[] PurchaseAmount { get; init; }
    // activity
    public required long[] ActivityId { get; init; }
    public required int[] ActivityCustomer { get; init; }
    public required byte[] ActivityPage { get; init; }
    public required double[] ActivityDuration { get; init; }

    /// <summary>The churn logit's constants, for reports.</summary>
    public const string ChurnFormula = "logit = −0.2 + 1.6·(4.5 − satisfaction)/2.87 − 1.5·engagement + 0.25·(age − 48.5)/17.6";

    /// <summary>Generates the world; see the file header for the process.</summary>
    public static CustomerWorld Generate(CustomerWorldOptions options)
    {
        int n = options.Customers;
        if (n < 1) throw new ArgumentException($"customers: need at least one customer, got {n}");
        if (!(options.AvgPurchases >= 0) || !(options.AvgActivity >= 0))
            throw new ArgumentException("customers: average purchase and activity counts must be ≥ 0");
        var rng = new Rng(options.Seed);

        var id = new int[n];
        var name = new string[n];
        var age = new int[n];
        var email = new string?[n];
        var churn = new byte[n];
        var satisfaction = new byte[n];
        var engagement = new float[n];
        var purchaseCount = new int[n];
        var activityCount = new int[n];
        for (int i = 0; i < n; i++)
        {
            id[i] = i + 1;
            string first = FirstNames[rng.NextInt(FirstNames.Length)], last = LastNames[rng.NextInt(LastNames.Length)];
            name[i] = $"{first} {last}";
            age[i] = 18 + rng.NextInt(62);
            float u = rng.NextFloat();
            email[i] = u < 0.08f ? null : $"{first}.{last}{i + 1}@{Domains[rng.NextInt(Domains.Length)]}";
            if (u > 0.97f) email[i] = email[i]!.ToUpperInvariant();
            satisfaction[i] = (byte)rng.NextInt(10);
            engagement[i] = rng.Normal();
            double scale = Math.Exp(0.5 * engagement[i] - 0.125);
            purchaseCount[i] = Poisson(rng, options.AvgPurchases * scale);
            activityCount[i] = Poisson(rng, options.AvgActivity * scale);
            double logit = -0.2 + 1.6 * (4.5 - satisfaction[i]) / 2.87 - 1.5 * engagement[i] + 0.25 * (age[i] - 48.5) / 17.6;
            churn[i] = rng.NextFloat() < 1 / (1 + Math.Exp(-logit)) ? (byte)1 : (byte)0;
        }

        long purchases = purchaseCount.Sum(c => (long)c), activities = activityCount.Sum(c => (long)c);
        if (purchases > Array.MaxLength || activities > Array.MaxLength)
            throw new ArgumentException($"customers: {purchases:N0} purchases or {activities:N0} activity rows exceed one array");
        var pCustomer = new int[purchases];
        var pProduct = new short[purchases];
        var pAmount = new double[purchases];
        var aCustomer = new int[activities];
        var aPage = new byte[activities];
        var aDuration = new double[activities];
        Span<float> pageWeights = stackalloc float[Pages.Length];
        long p = 0, a = 0;
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < purchaseCount[i]; k++, p++)
            {
                pCustomer[p] = id[i];
                int product = rng.NextInt(Products.Length);
                pProduct[p] = (short)product;
                pAmount[p] = Math.Round(ListPrices[product] * Math.Exp(0.25 * rng.Normal()), 2);
            }
            // Page weights: browsing pages fixed; support and cancel grow as satisfaction falls.
            float unhappy = (9 - satisfaction[i]) / 9f;
            pageWeights[0] = 3; pageWeights[1] = 2; pageWeights[2] = 3; pageWeights[3] = 1; pageWeights[4] = 0.6f;
            pageWeights[5] = 0.8f; pageWeights[6] = 0.4f;
            pageWeights[7] = 0.2f + 0.8f * unhappy;
            pageWeights[8] = 0.05f + 0.35f * unhappy * unhappy;
            float total = 0;
            foreach (float w in pageWeights) total += w;
            for (int k = 0; k < activityCount[i]; k++, a++)
            {
                aCustomer[a] = id[i];
                float r = rng.NextFloat() * total;
                int page = 0;
                while (page < Pages.Length - 1 && r >= pageWeights[page]) r -= pageWeights[page++];
                aPage[a] = (byte)page;
                double mean = page >= 7 ? 90 : 45;
                aDuration[a] = Math.Round(-mean * Math.Log(1 - rng.NextFloat() * 0.999999), 1);
            }
        }

        // An event log interleaves customers: shuffle the rows, then number them in log order.
        ShuffleRows(rng, pCustomer, pProduct, pAmount);
        ShuffleRows(rng, aCustomer, aPage, aDuration);
        var pId = new long[purchases];
        var aId = new long[activities];
        for (long r = 0; r < purchases; r++) pId[r] = 1_000_000_000L + r;
        for (long r = 0; r < activities; r++) aId[r] = 5_000_000_000L + r;

        return new CustomerWorld
        {
            Options = options,
            CustomerId = id, Name = name, Age = age, Email = email, Churn = churn,
            Satisfaction = satisfaction, Engagement = engagement,
            PurchaseId = pId, PurchaseCustomer = pCustomer, PurchaseProduct = pProduct, PurchaseAmount = pAmount,
            ActivityId = aId, ActivityCustomer = aCustomer, ActivityPage = aPage, ActivityDuration = aDuration,
        };
    }

    /// <summary>
    /// Gives each customer a real image of their satisfaction digit: for digit d, the customers
    /// with satisfaction d take, in order, the images labelled d in <paramref name="imageLabels"/>
    /// listed by a seeded shuffle (restarting the list if a digit has more customers than images).
    /// </summary>
    public int[] AssignImages(ReadOnlySpan<byte> imageLabels, ulong seed)
    {
        var byDigit = new List<int>[10];
        for (int d = 0; d < 10; d++) byDigit[d] = [];
        for (int i = 0; i < imageLabels.Length; i++)
            if (imageLabels[i] < 10) byDigit[imageLabels[i]].Add(i);
        var rng = new Rng(seed);
        for (int d = 0; d < 10; d++)
        {
            if (byDigit[d].Count == 0) throw new ArgumentException($"customers: the image set has no digit {d}");
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(byDigit[d]);
            rng.Shuffle(span);
        }
        var next = new int[10];
        var image = new int[CustomerId.Length];
        for (int i = 0; i < image.Length; i++)
        {
            var pool = byDigit[Satisfaction[i]];
            image[i] = pool[next[Satisfaction[i]]++ % pool.Count];
        }
        return image;
    }

    /// <summary>Knuth's method for small means, a rounded normal approximation above 30.</summary>
    private static int Poisson(Rng rng, double mean)
    {
        if (mean <= 0) return 0;
        if (mean > 30) return Math.Max(0, (int)Math.Round(mean + Math.Sqrt(mean) * rng.Normal()));
        double limit = Math.Exp(-mean), product = rng.NextFloat();
        int k = 0;
        while (product > limit)
        {
            k++;
            product *= rng.NextFloat();
        }
        return k;
    }

    private static void ShuffleRows<TA, TB, TC>(Rng rng, TA[] a, TB[] b, TC[] c)
    {
        for (long i = a.LongLength - 1; i > 0; i--)
        {
            int j = rng.NextInt((int)Math.Min(i + 1, int.MaxValue));
            (a[i], a[j]) = (a[j], a[i]);
            (b[i], b[j]) = (b[j], b[i]);
            (c[i], c[j]) = (c[j], c[i]);
        }
    }
}
