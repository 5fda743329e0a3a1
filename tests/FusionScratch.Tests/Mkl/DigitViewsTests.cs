// The multi-view digit features: dimensions, and what each view promises on synthetic images.

using FusionScratch.Models.Mkl;

namespace FusionScratch.Tests.Mkl;

public class DigitViewsTests
{
    private static byte[] Square(int top, int left, int size)
    {
        var img = new byte[28 * 28];
        for (int r = top; r < top + size; r++) for (int c = left; c < left + size; c++) img[r * 28 + c] = 255;
        return img;
    }

    [Fact]
    public void EveryView_HasItsDimension_AndIsFinite()
    {
        var images = Square(5, 6, 10).Concat(new byte[784]).ToArray();
        foreach (var view in DigitViews.Names)
        {
            var p = DigitViews.Compute(view, images, 2);
            Assert.Equal(DigitViews.Dim(view), p.Dim);
            Assert.All(p.Data, v => Assert.True(float.IsFinite(v), view));
        }
        Assert.Throws<ArgumentException>(() => DigitViews.Dim("zernike"));
    }

    [Fact]
    public void Fourier_IsInvariantToShifts_InsideTheFrame()
    {
        var a = DigitViews.Compute("fourier", Square(3, 4, 9), 1).Data;
        var b = DigitViews.Compute("fourier", Square(12, 10, 9), 1).Data;
        for (int k = 0; k < a.Length; k++) Assert.Equal(a[k], b[k], 1e-4f);
    }

    [Fact]
    public void Profiles_Zones_Hog_DescribeASquare()
    {
        var img = Square(4, 8, 8);
        var prof = DigitViews.Compute("profiles", img, 1).Data;
        Assert.Equal(1f, prof[..28].Sum(), 1e-5f);                   // row fractions of the ink
        Assert.Equal(0.125f, prof[4], 1e-6f);                          // 8 ink rows, equal shares
        Assert.Equal(1f, prof[2 * 28 + 5]);                            // one crossing per inked row
        Assert.Equal(0f, prof[2 * 28 + 20]);
        var zones = DigitViews.Compute("zones", img, 1).Data;
        Assert.Equal(1f, zones[1 * 7 + 2], 1e-6f);                     // zone rows 4–7, columns 8–11: full ink
        Assert.Equal(0f, zones[0]);
        var hog = DigitViews.Compute("hog", img, 1).Data;
        Assert.Equal(1.0, hog.Sum(v => (double)v * v), 1e-5);          // L2-normalised
        // A square has only horizontal and vertical edges: bins near 0 and π/2 carry the mass.
        var blank = DigitViews.Compute("hog", new byte[784], 1).Data;
        Assert.All(blank, v => Assert.Equal(0f, v));
    }
}
