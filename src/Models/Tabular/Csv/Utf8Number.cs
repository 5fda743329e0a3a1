// Number parsing straight from the UTF-8 bytes of a CSV field, no string in between.
//
// Integers: a digit loop (≤ 18 digits cannot overflow a long); longer ones go to long.TryParse.
// Doubles: the common case "123.45" is parsed exactly by Clinger's fast path — when the decimal
// mantissa m has at most 15 digits (m < 2^53, exact as a double) and the power of ten |e| ≤ 22
// (10^e exact as a double), m·10^e or m/10^−e is one correctly rounded IEEE operation, so the
// result equals what double.Parse gives. Everything else (more digits, big exponents, "NaN",
// "Infinity") falls back to double.TryParse on the same bytes.
// Surrounding ASCII spaces are allowed, as pandas allows them in numeric columns.

using System.Globalization;

namespace FusionScratch.Models.Tabular.Csv;

internal static class Utf8Number
{
    private static readonly double[] PowersOf10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value)
    {
        s = s.Trim((byte)' ');
        value = 0;
        int i = 0;
        bool negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+')) { negative = s[0] == '-'; i = 1; }
        if (i == s.Length) return false;
        if (s.Length - i > 18) return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        long acc = 0;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9) return false;
            acc = acc * 10 + d;
        }
        value = negative ? -acc : acc;
        return true;
    }

    public static bool TryParseDouble(ReadOnlySpan<byte> s, out double value)
    {
        s = s.Trim((byte)' ');
        if (TryParseSimpleDecimal(s, out value)) return true;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Clinger's fast path; false means "not handled here" (not necessarily invalid).</summary>
    private static bool TryParseSimpleDecimal(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        int i = 0, n = s.Length;
        bool negative = false;
        if (i < n && (s[i] == '-' || s[i] == '+')) { negative = s[i] == '-'; i++; }
        ulong m = 0;
        int significant = 0, exponent = 0;
        bool anyDigit = false;
        for (; i < n && (uint)(s[i] - '0') <= 9; i++)
        {
            anyDigit = true;
            uint d = (uint)(s[i] - '0');
            if (m == 0 && d == 0) continue;                     // leading zeros carry no digits
            if (++significant > 15) return false;
            m = m * 10 + d;
        }
        if (i < n && s[i] == '.')
        {
            for (i++; i < n && (uint)(s[i] - '0') <= 9; i++)
            {
                anyDigit = true;
                uint d = (uint)(s[i] - '0');
                exponent--;
                if (m == 0 && d == 0) continue;
                if (++significant > 15) return false;
                m = m * 10 + d;
            }
        }
        if (!anyDigit) return false;
        if (i < n && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            bool negExp = false;
            if (i < n && (s[i] == '-' || s[i] == '+')) { negExp = s[i] == '-'; i++; }
            int e = 0, expDigits = 0;
            for (; i < n && (uint)(s[i] - '0') <= 9; i++)
            {
                if (++expDigits > 4) return false;
                e = e * 10 + (s[i] - '0');
            }
            if (expDigits == 0) return false;
            exponent += negExp ? -e : e;
        }
        if (i != n) return false;
        double v;
        if (m == 0) v = 0;
        else if (exponent >= 0 && exponent <= 22) v = m * PowersOf10[exponent];
        else if (exponent < 0 && exponent >= -22) v = m / PowersOf10[-exponent];
        else return false;
        value = negative ? -v : v;
        return true;
    }
}
