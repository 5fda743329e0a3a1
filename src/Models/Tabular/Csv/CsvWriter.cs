// CsvWriter — a Table to RFC 4180 CSV, quoting only the fields that need it.
//
// A text field is quoted when it holds the separator, a quote, CR or LF, or when it is the empty
// string (so that "" reads back as an empty string and an empty unquoted field as missing); quotes
// inside are doubled. Numbers are written in the shortest form that parses back to the same
// double ("R"), so a write → read round trip is exact. Missing values are empty fields.
// Category strings are encoded (and quoted if needed) once per category, not once per row.
// Files are written atomically: to a temporary file beside the target, then renamed over it, so
// a crash leaves either the old file or the new one, never half of one.

using System.Globalization;
using System.Numerics;
using System.Text;

using FusionScratch.Models.IO;

namespace FusionScratch.Models.Tabular.Csv;

/// <summary>Writes Tables as CSV.</summary>
public static class CsvWriter
{
    /// <summary>Writes <paramref name="table"/> to <paramref name="path"/> atomically (temp file + rename); creates the folder if needed.</summary>
    public static void Write(Table table, string path, char separator = ',')
    {
        AtomicFile.Write(path, stream => Write(table, stream, separator));
    }

    /// <summary>Writes <paramref name="table"/> to <paramref name="stream"/> (header line, then one line per row, LF line ends).</summary>
    public static void Write(Table table, Stream stream, char separator = ',')
    {
        if (separator is '"' or '\r' or '\n' || separator > 127) throw new TabularException($"separator '{separator}' must be an ASCII character other than a quote or a line end");
        var sink = new Utf8Sink(stream);
        byte sep = (byte)separator;
        var writers = table.Columns.Select(c => FieldWriter.For(c, separator)).ToArray();
        for (int j = 0; j < writers.Length; j++)
        {
            if (j > 0) sink.Byte(sep);
            sink.Text(table.Columns[j].Name, separator);
        }
        sink.Byte((byte)'\n');
        for (int row = 0; row < table.RowCount; row++)
        {
            for (int j = 0; j < writers.Length; j++)
            {
                if (j > 0) sink.Byte(sep);
                writers[j].Write(row, sink);
            }
            sink.Byte((byte)'\n');
        }
        sink.Flush();
    }

    /// <summary>The CSV text of <paramref name="table"/>.</summary>
    public static string WriteToString(Table table, char separator = ',')
    {
        var stream = new MemoryStream();
        Write(table, stream, separator);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Writes one column's field for a row; made once per column, with any per-column preparation.</summary>
    private abstract class FieldWriter
    {
        public abstract void Write(int row, Utf8Sink sink);

        public static FieldWriter For(Column c, char separator) => c switch
        {
            DoubleColumn d => new DoubleWriter(d),
            Int64Column l => new IntegerWriter<long>(l),
            Int32Column i => new IntegerWriter<int>(i),
            StringColumn s => new StringWriter(s, separator),
            CategoricalColumn k => new CategoryWriter(k, separator),
            _ => throw new TabularException($"column '{c.Name}' is {c.Type}; CSV holds one value per field (expand vector columns first)"),
        };
    }

    private sealed class DoubleWriter(DoubleColumn c) : FieldWriter
    {
        public override void Write(int row, Utf8Sink sink)
        {
            double v = c.Values[row];
            if (double.IsNaN(v)) return;
            Span<byte> dst = sink.Reserve(32);
            v.TryFormat(dst, out int n, "R", CultureInfo.InvariantCulture);
            sink.Advance(n);
        }
    }

    private sealed class IntegerWriter<T>(IntegerColumn<T> c) : FieldWriter where T : unmanaged, IBinaryInteger<T>
    {
        public override void Write(int row, Utf8Sink sink)
        {
            if (!c.IsValid(row)) return;
            Span<byte> dst = sink.Reserve(24);
            c.Values[row].TryFormat(dst, out int n, default, CultureInfo.InvariantCulture);
            sink.Advance(n);
        }
    }

    private sealed class StringWriter(StringColumn c, char separator) : FieldWriter
    {
        public override void Write(int row, Utf8Sink sink)
        {
            string? v = c.Values[row];
            if (v is not null) sink.Text(v, separator);
        }
    }

    private sealed class CategoryWriter : FieldWriter
    {
        private readonly CategoricalColumn _c;
        private readonly byte[][] _encoded;

        public CategoryWriter(CategoricalColumn c, char separator)
        {
            _c = c;
            _encoded = c.Categories.Select(s => Encoding.UTF8.GetBytes(NeedsQuotes(s, separator) ? Quote(s) : s)).ToArray();
        }

        public override void Write(int row, Utf8Sink sink)
        {
            int code = _c.Values[row];
            if (code >= 0) sink.Bytes(_encoded[code]);
        }
    }

    internal static bool NeedsQuotes(string s, char separator) =>
        s.Length == 0 || s.AsSpan().IndexOfAny([separator, '"', '\r', '\n']) >= 0;

    internal static string Quote(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";

    /// <summary>A byte buffer in front of the stream, written out in 64 KiB blocks.</summary>
    private sealed class Utf8Sink(Stream stream)
    {
        private byte[] _buf = new byte[1 << 16];
        private int _n;

        public Span<byte> Reserve(int bytes)
        {
            if (_n + bytes > _buf.Length)
            {
                Flush();
                if (bytes > _buf.Length) _buf = new byte[bytes];
            }
            return _buf.AsSpan(_n);
        }

        public void Advance(int bytes) => _n += bytes;

        public void Byte(byte b)
        {
            if (_n == _buf.Length) Flush();
            _buf[_n++] = b;
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(Reserve(bytes.Length));
            _n += bytes.Length;
        }

        public void Text(string s, char separator)
        {
            if (NeedsQuotes(s, separator)) s = Quote(s);
            Span<byte> dst = Reserve(Encoding.UTF8.GetMaxByteCount(s.Length));
            _n += Encoding.UTF8.GetBytes(s, dst);
        }

        public void Flush()
        {
            stream.Write(_buf, 0, _n);
            _n = 0;
        }
    }
}
