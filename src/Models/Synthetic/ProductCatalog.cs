// ProductCatalog — turns every Fashion-MNIST image into a product with catalog attributes in the
// Kaggle "Fashion Product Images" styles.csv schema:
//   id, gender, masterCategory, subCategory, articleType, baseColour, season, year, usage,
//   productDisplayName
// by a seeded, documented process, so that metadata alone is informative but ambiguous exactly
// where the images are not.
//
// The generative process, per product (all draws from one Rng seeded by Options.Seed):
//   0. Thinning (class imbalance): an image of class c is kept with probability Keep[c]
//      (Trouser 0.5, Dress 0.85, Bag 0.6, Ankle boot 0.75, the rest 1). Product ids are a random
//      permutation of 10000 + row, and rows are shuffled, so table order says nothing about class.
//   1. Type attributes (masterCategory, subCategory, articleType) from the class: e.g. Sneaker →
//      Footwear / Shoes / {Sports Shoes, Casual Shoes}, Ankle boot → Footwear / Shoes /
//      {Boots, Casual Shoes}. These name the class almost always (the shared "Casual Shoes" aside).
//   2. Hidden listings: with probability HiddenRate (0.36) the listing is incomplete: the three
//      type attributes are missing and the display name carries no type word. Independently,
//      with probability ArticleNoise (0.04) a shown articleType is a catalog error drawn from a
//      random other class.
//   3. Style attributes from the class's profile: gender, season, usage, baseColour and the brand
//      in the display name. Classes come in pairs that share one profile:
//          summer-casual  T-shirt/top, Sandal      winter-outdoor  Coat, Ankle boot
//          office         Shirt, Bag               knitwear        Pullover, Trouser
//          party-sport    Dress, Sneaker
//      Each pair is two classes the images tell apart easily, while the classes the images
//      confuse (T-shirt/Shirt/Pullover/Coat; Sandal/Sneaker/Ankle boot) sit in different
//      profiles. So a hidden listing is ambiguous to metadata exactly within a pair, which an image
//      resolves, and the image's confusions are what the profile resolves: fusion gains.
//      year is uniform on 2011..2018 and carries no signal.
//   4. Mess: missing values (baseColour 6 %, season 4 %, usage 5 %, year 2 %, gender 1 %,
//      productDisplayName 2 %) and, in 8 % of string cells, inconsistent casing ("CASUAL",
//      "casual") and/or leading/trailing spaces.
//
// By construction a model on metadata alone gets ≈ (1 − HiddenRate)·0.96 + HiddenRate·(profile
// accuracy)/2 ≈ 0.75–0.85; the study checks the measured value against that band.

using FusionScratch.Models.Tabular;
using FusionScratch.Tensors;

namespace FusionScratch.Models.Synthetic;

/// <summary>How to generate a catalog.</summary>
public sealed record ProductCatalogOptions
{
    public ulong Seed { get; init; } = 1;
    /// <summary>Probability that a listing hides its type attributes (step 2).</summary>
    public double HiddenRate { get; init; } = 0.36;
    /// <summary>Probability that a shown articleType is wrong (step 2).</summary>
    public double ArticleNoise { get; init; } = 0.04;
    /// <summary>Probability that a string cell is messed up (step 4).</summary>
    public double MessRate { get; init; } = 0.08;
    /// <summary>Keep probability per Fashion-MNIST class (step 0); null: <see cref="ProductCatalog.DefaultKeep"/>.</summary>
    public double[]? Keep { get; init; }
}

/// <summary>A generated catalog: the styles table, and for each row its image index and class.</summary>
public sealed class ProductCatalog
{
    /// <summary>The styles.csv columns, in Kaggle order.</summary>
    public static readonly string[] Columns =
        ["id", "gender", "masterCategory", "subCategory", "articleType", "baseColour", "season", "year", "usage", "productDisplayName"];

    /// <summary>Fashion-MNIST class names, in label order.</summary>
    public static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static readonly double[] DefaultKeep = [1, 0.5, 1, 0.85, 1, 1, 1, 1, 0.6, 0.75];

    private sealed record TypeInfo(string Master, string Sub, (string Article, double P, string Word)[] Articles);

    private static readonly TypeInfo[] Types =
    [
        new("Apparel", "Topwear", [("Tshirts", 0.7, "Tshirt"), ("Tops", 0.3, "Top")]),
        new("Apparel", "Bottomwear", [("Trousers", 0.5, "Trousers"), ("Jeans", 0.35, "Jeans"), ("Track Pants", 0.15, "Track Pants")]),
        new("Apparel", "Topwear", [("Sweaters", 0.6, "Sweater"), ("Sweatshirts", 0.4, "Sweatshirt")]),
        new("Apparel", "Dress", [("Dresses", 1, "Dress")]),
        new("Apparel", "Topwear", [("Jackets", 0.75, "Jacket"), ("Rain Jacket", 0.25, "Rain Jacket")]),
        new("Footwear", "Sandal", [("Sandals", 0.7, "Sandals"), ("Flip Flops", 0.3, "Flip Flops")]),
        new("Apparel", "Topwear", [("Shirts", 1, "Shirt")]),
        new("Footwear", "Shoes", [("Sports Shoes", 0.5, "Sports Shoes"), ("Casual Shoes", 0.5, "Casual Shoes")]),
        new("Accessories", "Bags", [("Handbags", 0.6, "Handbag"), ("Backpacks", 0.4, "Backpack")]),
        new("Footwear", "Shoes", [("Boots", 0.6, "Boots"), ("Casual Shoes", 0.4, "Casual Shoes")]),
    ];

    private sealed record Profile(string Name, (string, double)[] Gender, (string, double)[] Season, (string, double)[] Usage,
        (string, double)[] Colour, (string, double)[] Brand, string[] StyleWords);

    private static readonly Profile[] Profiles =
    [
        new("summer-casual", [("Men", 0.45), ("Women", 0.4), ("Unisex", 0.15)], [("Summer", 0.7), ("Spring", 0.2), ("Fall", 0.1)],
            [("Casual", 0.75), ("Sports", 0.25)], [("White", 0.3), ("Blue", 0.25), ("Red", 0.2), ("Yellow", 0.15), ("Black", 0.1)],
            [("Roadster", 0.4), ("Puma", 0.3), ("Flying Machine", 0.3)], ["Summer", "Beach", "Everyday"]),
        new("winter-outdoor", [("Men", 0.55), ("Women", 0.4), ("Unisex", 0.05)], [("Winter", 0.75), ("Fall", 0.25)],
            [("Casual", 0.45), ("Travel", 0.35), ("Smart Casual", 0.2)], [("Black", 0.35), ("Brown", 0.3), ("Grey", 0.2), ("Olive", 0.15)],
            [("Woodland", 0.45), ("Wildcraft", 0.35), ("Roadster", 0.2)], ["Outdoor", "Rugged", "Warm"]),
        new("office", [("Men", 0.6), ("Women", 0.4)], [("Spring", 0.4), ("Fall", 0.4), ("Summer", 0.2)],
            [("Formal", 0.6), ("Smart Casual", 0.3), ("Casual", 0.1)], [("White", 0.3), ("Blue", 0.25), ("Black", 0.25), ("Beige", 0.2)],
            [("Van Heusen", 0.4), ("Arrow", 0.3), ("Baggit", 0.3)], ["Classic", "Office", "Slim"]),
        new("knitwear", [("Men", 0.5), ("Women", 0.45), ("Unisex", 0.05)], [("Fall", 0.55), ("Winter", 0.35), ("Spring", 0.1)],
            [("Casual", 0.7), ("Smart Casual", 0.2), ("Home", 0.1)], [("Grey", 0.3), ("Navy Blue", 0.3), ("Maroon", 0.2), ("Black", 0.2)],
            [("United Colors of Benetton", 0.4), ("Levis", 0.35), ("Roadster", 0.25)], ["Comfort", "Regular", "Knit"]),
        new("party-sport", [("Women", 0.75), ("Men", 0.2), ("Unisex", 0.05)], [("Summer", 0.4), ("Spring", 0.4), ("Fall", 0.2)],
            [("Party", 0.35), ("Sports", 0.35), ("Casual", 0.3)], [("Pink", 0.3), ("Purple", 0.25), ("White", 0.25), ("Multi", 0.2)],
            [("Nike", 0.4), ("Vero Moda", 0.3), ("Adidas", 0.3)], ["Trendy", "Active", "Glam"]),
    ];

    /// <summary>Profile of each Fashion-MNIST class (step 3): pairs of classes share one.</summary>
    public static readonly int[] ProfileOf = [0, 3, 3, 4, 1, 0, 2, 4, 2, 1];

    /// <summary>The profile names, indexed as <see cref="ProfileOf"/>.</summary>
    public static IReadOnlyList<string> ProfileNames => Profiles.Select(p => p.Name).ToArray();

    private ProductCatalog(Table styles, int[] imageIndex, int[] label, bool[] hidden)
        => (Styles, ImageIndex, Labels, Hidden) = (styles, imageIndex, label, hidden);

    /// <summary>The styles table (the <see cref="Columns"/>), one row per product.</summary>
    public Table Styles { get; }
    /// <summary>Row → index of the product's image in the source dataset.</summary>
    public int[] ImageIndex { get; }
    /// <summary>Row → class (the target).</summary>
    public int[] Labels { get; }
    /// <summary>Row → whether the listing hides its type attributes (step 2; not a column: ground truth for tests and the EDA).</summary>
    public bool[] Hidden { get; }

    public int Count => Labels.Length;

    /// <summary>Generates a product for (a thinned subset of) the images with labels <paramref name="labels"/>.</summary>
    public static ProductCatalog Generate(ReadOnlySpan<byte> labels, ProductCatalogOptions options)
    {
        var keep = options.Keep ?? DefaultKeep;
        if (keep.Length != ClassNames.Length) throw new ArgumentException($"product catalog: {keep.Length} keep probabilities for {ClassNames.Length} classes");
        var rng = new Rng(options.Seed);

        // 0. thinning, then shuffled rows and permuted ids
        var rows = new List<int>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= ClassNames.Length) throw new ArgumentException($"product catalog: label {labels[i]} of image {i} is not a Fashion-MNIST class");
            if (rng.NextFloat() < keep[labels[i]]) rows.Add(i);
        }
        int[] image = [.. rows];
        rng.Shuffle(image.AsSpan());
        int n = image.Length;
        var ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = 10000 + i;
        rng.Shuffle(ids.AsSpan());

        var cols = Columns.Skip(1).ToDictionary(c => c, _ => new string?[n]);
        var year = new int[n];
        var yearValid = new bool[n];
        var label = new int[n];
        var hidden = new bool[n];
        for (int r = 0; r < n; r++)
        {
            int c = label[r] = labels[image[r]];
            var type = Types[c];
            var profile = Profiles[ProfileOf[c]];
            // 1–2. type attributes, maybe hidden, maybe wrong
            var article = Pick(rng, type.Articles.Select(a => (a, a.P)).ToArray());
            hidden[r] = rng.NextFloat() < options.HiddenRate;
            string? typeWord = null;
            if (!hidden[r])
            {
                cols["masterCategory"][r] = type.Master;
                cols["subCategory"][r] = type.Sub;
                cols["articleType"][r] = article.Article;
                typeWord = article.Word;
                if (rng.NextFloat() < options.ArticleNoise)
                {
                    int other = (c + 1 + rng.NextInt(ClassNames.Length - 1)) % ClassNames.Length;
                    cols["articleType"][r] = Types[other].Articles[rng.NextInt(Types[other].Articles.Length)].Article;
                }
            }
            // 3. style attributes from the profile
            string gender = Pick(rng, profile.Gender);
            string colour = Pick(rng, profile.Colour);
            cols["gender"][r] = gender;
            cols["baseColour"][r] = colour;
            cols["season"][r] = Pick(rng, profile.Season);
            cols["usage"][r] = Pick(rng, profile.Usage);
            year[r] = 2011 + rng.NextInt(8);
            yearValid[r] = true;
            string brand = Pick(rng, profile.Brand);
            string style = profile.StyleWords[rng.NextInt(profile.StyleWords.Length)];
            cols["productDisplayName"][r] = typeWord is null ? $"{brand} {gender} {colour} {style}" : $"{brand} {gender} {colour} {style} {typeWord}";
            // 4. missing values
            if (rng.NextFloat() < 0.06) cols["baseColour"][r] = null;
            if (rng.NextFloat() < 0.04) cols["season"][r] = null;
            if (rng.NextFloat() < 0.05) cols["usage"][r] = null;
            if (rng.NextFloat() < 0.02) yearValid[r] = false;
            if (rng.NextFloat() < 0.01) cols["gender"][r] = null;
            if (rng.NextFloat() < 0.02) cols["productDisplayName"][r] = null;
            // 4. mess: casing and stray spaces
            foreach (var values in cols.Values)
                if (values[r] is { } v && rng.NextFloat() < options.MessRate) values[r] = Mess(v, rng);
        }

        var table = new Table(
        [
            new Int32Column("id", ids),
            .. Columns.Skip(1).Select(name => name == "year"
                ? (Column)new Int32Column("year", year, yearValid)
                : name == "productDisplayName" ? new StringColumn(name, cols[name]) : CategoricalColumn.Encode(name, cols[name])),
        ]);
        return new ProductCatalog(table, image, label, hidden);
    }

    private static T Pick<T>(Rng rng, (T Value, double P)[] choices)
    {
        double u = rng.NextFloat() * choices.Sum(c => c.P);
        foreach (var (value, p) in choices)
        {
            if (u < p) return value;
            u -= p;
        }
        return choices[^1].Value;
    }

    private static string Mess(string v, Rng rng) => rng.NextInt(4) switch
    {
        0 => v.ToUpperInvariant(),
        1 => v.ToLowerInvariant(),
        2 => v + "  ",
        _ => " " + v.ToLowerInvariant() + " ",
    };
}
