// DigitViews — several feature views of one handwritten digit, in the spirit of the UCI
// "Multiple Features" (mfeat) set, computed from the 28×28 MNIST pixels (uint8, 0 = paper):
//   pixels    the 784 intensities in [0, 1]
//   hog       gradient-orientation histograms (HOG-like): central-difference gradients, 4×4 cells
//             of 7×7 pixels, 9 unsigned orientation bins over [0, π) weighted by magnitude and
//             split linearly between the two nearest bins; square-rooted (Hellinger) and
//             L2-normalised as a whole — 144 values
//   profiles  row and column ink profiles (sums, as fractions of the total ink) and the number of
//             stroke crossings (paper → ink transitions at half intensity) per row and column — 112
//   zones     mean intensity of each 4×4 zone on a 7×7 grid (a coarse, shift-tolerant picture) — 49
//   fourier   magnitudes |F(u,v)| of the 2-D DFT for 0 ≤ u, v < 6, divided by |F(0,0)|: invariant
//             to translation (up to the border), a global shape signature — 35 (the DC term dropped)
// Each view gets its own kernel function(s) in the MKL study.

namespace FusionScratch.Models.Mkl;

public static class DigitViews
{
    public static readonly string[] Names = ["pixels", "hog", "profiles", "zones", "fourier"];

    public const int Side = 28;
    private const int HogCell = 7, HogBins = 9, FourierSize = 6;

    /// <summary>The feature dimension of a view.</summary>
    public static int Dim(string view) => view switch
    {
        "pixels" => Side * Side,
        "hog" => (Side / HogCell) * (Side / HogCell) * HogBins,
        "profiles" => 4 * Side,
        "zones" => (Side / 4) * (Side / 4),
        "fourier" => FourierSize * FourierSize - 1,
        _ => throw new ArgumentException($"unknown digit view '{view}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>The view of <paramref name="count"/> images stored back to back (28×28 bytes each).</summary>
    public static PointSet Compute(string view, ReadOnlySpan<byte> images, int count)
    {
        int d = Dim(view), size = Side * Side;
        if (images.Length < (long)count * size) throw new ArgumentException($"digit views: {images.Length} bytes for {count} images");
        var data = new float[count * d];
        for (int i = 0; i < count; i++)
        {
            var img = images.Slice(i * size, size);
            var dst = data.AsSpan(i * d, d);
            switch (view)
            {
                case "pixels": for (int p = 0; p < size; p++) dst[p] = img[p] / 255f; break;
                case "hog": Hog(img, dst); break;
                case "profiles": Profiles(img, dst); break;
                case "zones": Zones(img, dst); break;
                default: Fourier(img, dst); break;
            }
        }
        return new PointSet(data, count, d);
    }

    /// <summary>HOG-like histograms of one image into dst (144 values).</summary>
    public static void Hog(ReadOnlySpan<byte> img, Span<float> dst)
    {
        dst.Clear();
        int cells = Side / HogCell;
        for (int r = 0; r < Side; r++)
            for (int c = 0; c < Side; c++)
            {
                double gx = At(img, r, c + 1) - At(img, r, c - 1);
                double gy = At(img, r + 1, c) - At(img, r - 1, c);
                double mag = Math.Sqrt(gx * gx + gy * gy);
                if (mag == 0) continue;
                double angle = Math.Atan2(gy, gx);
                if (angle < 0) angle += Math.PI;                 // unsigned orientation in [0, π)
                double pos = angle / Math.PI * HogBins - 0.5;    // bin centres at (b + ½)·π/9
                int b0 = (int)Math.Floor(pos);
                double frac = pos - b0;
                int cell = (r / HogCell) * cells + c / HogCell;
                dst[cell * HogBins + (b0 + HogBins) % HogBins] += (float)(mag * (1 - frac));
                dst[cell * HogBins + (b0 + 1) % HogBins] += (float)(mag * frac);
            }
        double norm = 0;
        for (int k = 0; k < dst.Length; k++) { dst[k] = MathF.Sqrt(dst[k]); norm += dst[k] * (double)dst[k]; }
        if (norm > 0) for (int k = 0; k < dst.Length; k++) dst[k] = (float)(dst[k] / Math.Sqrt(norm));
    }

    /// <summary>Row sums, column sums (fractions of the ink), row crossings, column crossings (112 values).</summary>
    public static void Profiles(ReadOnlySpan<byte> img, Span<float> dst)
    {
        double total = 0;
        foreach (byte v in img) total += v;
        for (int r = 0; r < Side; r++)
        {
            double rowSum = 0, colSum = 0;
            int rowCross = 0, colCross = 0;
            for (int c = 0; c < Side; c++)
            {
                rowSum += img[r * Side + c];
                colSum += img[c * Side + r];
                if (img[r * Side + c] >= 128 && (c == 0 || img[r * Side + c - 1] < 128)) rowCross++;
                if (img[c * Side + r] >= 128 && (c == 0 || img[(c - 1) * Side + r] < 128)) colCross++;
            }
            dst[r] = total > 0 ? (float)(rowSum / total) : 0;
            dst[Side + r] = total > 0 ? (float)(colSum / total) : 0;
            dst[2 * Side + r] = rowCross;
            dst[3 * Side + r] = colCross;
        }
    }

    /// <summary>Mean intensity in [0, 1] of each 4×4 zone (49 values).</summary>
    public static void Zones(ReadOnlySpan<byte> img, Span<float> dst)
    {
        int z = Side / 4;
        for (int zr = 0; zr < z; zr++)
            for (int zc = 0; zc < z; zc++)
            {
                int s = 0;
                for (int r = 0; r < 4; r++)
                    for (int c = 0; c < 4; c++) s += img[(zr * 4 + r) * Side + zc * 4 + c];
                dst[zr * z + zc] = s / (16f * 255f);
            }
    }

    private static readonly (double[] Cos, double[] Sin) Twiddles = MakeTwiddles();

    private static (double[], double[]) MakeTwiddles()
    {
        var cos = new double[FourierSize * Side];
        var sin = new double[FourierSize * Side];
        for (int u = 0; u < FourierSize; u++)
            for (int x = 0; x < Side; x++)
            {
                cos[u * Side + x] = Math.Cos(2 * Math.PI * u * x / Side);
                sin[u * Side + x] = -Math.Sin(2 * Math.PI * u * x / Side);
            }
        return (cos, sin);
    }

    /// <summary>|F(u,v)|/|F(0,0)| for 0 ≤ u, v &lt; 6 except (0,0) (35 values), by a direct separable DFT.</summary>
    public static void Fourier(ReadOnlySpan<byte> img, Span<float> dst)
    {
        var (cos, sin) = Twiddles;
        // Rows first: R[r, v] = Σ_c img[r,c] e^{−2πi v c / 28}, then columns.
        Span<double> re = stackalloc double[Side * FourierSize];
        Span<double> im = stackalloc double[Side * FourierSize];
        for (int r = 0; r < Side; r++)
            for (int v = 0; v < FourierSize; v++)
            {
                double a = 0, b = 0;
                for (int c = 0; c < Side; c++) { a += img[r * Side + c] * cos[v * Side + c]; b += img[r * Side + c] * sin[v * Side + c]; }
                re[r * FourierSize + v] = a;
                im[r * FourierSize + v] = b;
            }
        double dc = 0;
        int k = 0;
        for (int u = 0; u < FourierSize; u++)
            for (int v = 0; v < FourierSize; v++)
            {
                double a = 0, b = 0;
                for (int r = 0; r < Side; r++)
                {
                    double cr = cos[u * Side + r], sr = sin[u * Side + r];
                    double x = re[r * FourierSize + v], y = im[r * FourierSize + v];
                    a += x * cr - y * sr;
                    b += x * sr + y * cr;
                }
                double mag = Math.Sqrt(a * a + b * b);
                if (u == 0 && v == 0) { dc = mag; continue; }
                dst[k++] = (float)mag;
            }
        if (dc > 0) for (int q = 0; q < dst.Length; q++) dst[q] = (float)(dst[q] / dc);
    }

    /// <summary>
    /// Standardises every feature to zero mean and unit variance with the statistics of
    /// <paramref name="fit"/> (the training points), applied to each set given (in place);
    /// features constant on the training points are left centred.
    /// </summary>
    public static void Standardize(PointSet fit, params PointSet[] sets)
    {
        int d = fit.Dim;
        var mean = new double[d];
        var sq = new double[d];
        for (int i = 0; i < fit.Count; i++)
            for (int k = 0; k < d; k++) { double v = fit.Data[i * d + k]; mean[k] += v; sq[k] += v * v; }
        for (int k = 0; k < d; k++)
        {
            mean[k] /= fit.Count;
            sq[k] = Math.Sqrt(Math.Max(sq[k] / fit.Count - mean[k] * mean[k], 0));
        }
        foreach (var s in sets)
            for (int i = 0; i < s.Count; i++)
                for (int k = 0; k < d; k++)
                {
                    double v = s.Data[i * d + k] - mean[k];
                    s.Data[i * d + k] = (float)(sq[k] > 1e-12 ? v / sq[k] : v);
                }
    }

    private static double At(ReadOnlySpan<byte> img, int r, int c) =>
        r < 0 || c < 0 || r >= Side || c >= Side ? 0 : img[r * Side + c];
}
