// CsvReader — RFC 4180 CSV into typed columns, straight from bytes.
//
// How it reads: one reusable byte buffer (1 MiB) is filled from the stream; each record's fields
// are located in place (start, length, quoted/escaped flags) with vectorized IndexOfAny scans,
// and only a complete record is handed to the column builders, which parse numbers from the
// UTF-8 bytes and dictionary-encode text. No per-row objects, no strings for numbers or repeated
// categories. A record cut by the end of the buffer is re-scanned after the buffer is refilled
// (its bytes moved to the front; the buffer doubles when one record is larger than it).
//
// Two ways to consume a file, both streaming over the buffer:
//   CsvReader.Read(path)                       the whole file into one Table; memory ≈ the final
//                                              columns (the row count is estimated from the file
//                                              length after 4096 rows, so arrays rarely regrow)
//   CsvReader.ReadChunks(path, 1_000_000)      Tables of at most N rows with one schema and
//                                              stable category codes across chunks
//
// RFC 4180: fields separated by commas, records by CRLF (LF and lone CR accepted too); a field
// may be quoted, and then may hold commas, line breaks and doubled quotes (""). Extensions: a
// header line is expected (HasHeader), an unquoted empty field is missing, a quoted "" is the
// empty string in text columns, blank lines are skipped (except in one-column files, where a
// blank line is a missing value), a UTF-8 byte-order mark is skipped.
//
// Errors carry the source name and the 1-based line where the record starts, e.g.
//   "purchases.csv line 1234: expected 4 fields, got 5".

using System.Buffers;
using System.Text;

namespace FusionScratch.Models.Tabular.Csv;

/// <summary>Reads CSV into typed <see cref="Table"/>s, whole or in chunks.</summary>
public sealed class CsvReader : IDisposable
{
    private const byte Quote = (byte)'"';
    private const byte Quoted = 1, Escaped = 2;
    private const int RowsBeforeEstimate = 4096;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly string _source;
    private readonly byte _sep;
    private readonly SearchValues<byte> _stops;
    private readonly string[] _names;
    private readonly ColumnBuilder[] _builders;
    private readonly Action<TabularException>? _onRaggedRow;

    private byte[] _buf;
    private int _pos, _len;
    private bool _eof;
    private long _line = 1;                               // line on which the next record starts
    private int[] _start = new int[16], _length = new int[16];
    private byte[] _flags = new byte[16];
    private byte[] _unescaped = new byte[256];
    private bool _firstChunkDone;

    /// <summary>Opens a reader on <paramref name="stream"/> and reads the header; <paramref name="sourceName"/> prefixes error messages.</summary>
    public CsvReader(Stream stream, string sourceName, CsvOptions? options = null)
        : this(stream, sourceName, options ?? new CsvOptions(), textColumns: null, ownsStream: false) { }

    private CsvReader(Stream stream, string sourceName, CsvOptions options, IReadOnlySet<string>? textColumns, bool ownsStream)
    {
        if (options.Separator is '"' or '\r' or '\n' || options.Separator > 127)
            throw new TabularException($"separator '{options.Separator}' must be an ASCII character other than a quote or a line end");
        _stream = stream;
        _ownsStream = ownsStream;
        _source = sourceName;
        _sep = (byte)options.Separator;
        _stops = SearchValues.Create([_sep, (byte)'\r', (byte)'\n']);
        _buf = new byte[Math.Max(options.BufferSize, 64)];
        _names = ReadHeader(options.HasHeader);
        _builders = MakeBuilders(options, textColumns);
        _onRaggedRow = options.OnRaggedRow;
        Array.Resize(ref _start, _names.Length);
        Array.Resize(ref _length, _names.Length);
        Array.Resize(ref _flags, _names.Length);
    }

    public IReadOnlyList<string> ColumnNames => _names;

    public string SourceName => _source;

    /// <summary>The 1-based line on which the next record starts.</summary>
    public long Line => _line;

    // ---- the usual entry points -------------------------------------------------------------

    /// <summary>The whole file as one Table (types from <paramref name="options"/>.Schema, else inferred).</summary>
    public static Table Read(string path, CsvOptions? options = null)
    {
        using CsvReader reader = OpenWithInference(path, options, out Table first, int.MaxValue);
        return first;
    }

    /// <summary>The whole stream as one Table; a seekable stream is re-read if an inferred number column meets text.</summary>
    public static Table Read(Stream stream, string sourceName, CsvOptions? options = null)
    {
        long origin = stream.CanSeek ? stream.Position : 0;
        var text = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            using var reader = new CsvReader(stream, sourceName, options ?? new CsvOptions(), text, ownsStream: false);
            try
            {
                return reader.ReadChunkCore(int.MaxValue)!;
            }
            catch (WidenToTextException w) when (stream.CanSeek && text.Add(w.Column))
            {
                stream.Position = origin;
            }
            catch (WidenToTextException w)
            {
                throw reader.NotANumber(w);
            }
        }
    }

    /// <summary>Parses CSV text (tests, small inline tables).</summary>
    public static Table Parse(string csv, CsvOptions? options = null, string sourceName = "<text>") =>
        Read(new MemoryStream(Encoding.UTF8.GetBytes(csv)), sourceName, options);

    /// <summary>
    /// Streams the file as Tables of at most <paramref name="chunkRows"/> rows: one schema for all
    /// (inferred from the first chunk), category codes stable from chunk to chunk.
    /// </summary>
    public static IEnumerable<Table> ReadChunks(string path, int chunkRows, CsvOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        using CsvReader reader = OpenWithInference(path, options, out Table first, chunkRows);
        yield return first;
        while (reader.ReadChunk(chunkRows) is { } chunk) yield return chunk;
    }

    /// <summary>Reads the first chunk, re-opening the file with a column as text each time inference meets text in a number column.</summary>
    private static CsvReader OpenWithInference(string path, CsvOptions? options, out Table first, int chunkRows)
    {
        var text = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            CsvReader? reader = null;
            try
            {
                reader = new CsvReader(stream, Path.GetFileName(path), options ?? new CsvOptions(), text, ownsStream: true);
                first = reader.ReadChunkCore(chunkRows)!;
                return reader;
            }
            catch (WidenToTextException w) when (text.Add(w.Column))
            {
                reader!.Dispose();
            }
            catch
            {
                if (reader is null) stream.Dispose();
                else reader.Dispose();
                throw;
            }
        }
    }

    // ---- chunks -----------------------------------------------------------------------------

    /// <summary>The next at most <paramref name="maxRows"/> rows; null at the end (the first call always returns a Table, maybe empty).</summary>
    public Table? ReadChunk(int maxRows)
    {
        try
        {
            return ReadChunkCore(maxRows);
        }
        catch (WidenToTextException w)
        {
            throw NotANumber(w);
        }
    }

    /// <summary>All the remaining rows as one Table.</summary>
    public Table ReadToEnd() => ReadChunk(int.MaxValue) ?? new Table(_builders.Select((b, i) => b.Build(_names[i])));

    private Table? ReadChunkCore(int maxRows)
    {
        int ncols = _names.Length;
        int rows = 0;
        long chunkBytes = 0;
        while (rows < maxRows)
        {
            if (_pos >= _len)
            {
                if (_eof) break;
                Fill();
                continue;
            }
            byte b = _buf[_pos];
            if ((b == '\n' || b == '\r') && ncols > 1)                     // blank line: skip
            {
                if (b == '\r' && _pos + 1 >= _len && !_eof) { Fill(); continue; }
                _pos += b == '\r' && _pos + 1 < _len && _buf[_pos + 1] == '\n' ? 2 : 1;
                _line++;
                continue;
            }
            int p = _pos;
            int n = ParseRecord(ref p, out int lines, growFields: false);
            if (n < 0) { Fill(); continue; }
            if (n != ncols)
            {
                TabularException ragged = Error(_line, $"expected {ncols} fields, got {n}");
                if (_onRaggedRow is null) throw ragged;
                _onRaggedRow(ragged);
                _pos = p;
                _line += lines;
                continue;
            }
            Commit();
            chunkBytes += p - _pos;
            _pos = p;
            _line += lines;
            rows++;
            if (rows == RowsBeforeEstimate) ReserveEstimate(rows, chunkBytes, maxRows);
        }
        if (rows == 0 && _firstChunkDone) return null;
        var columns = new Column[ncols];
        for (int i = 0; i < ncols; i++) columns[i] = _builders[i].Build(_names[i]);
        if (!_firstChunkDone)
        {
            foreach (ColumnBuilder builder in _builders) builder.Freeze();
            _firstChunkDone = true;
        }
        return new Table(columns);
    }

    /// <summary>Sizes the builders for the rows the rest of the file probably holds (from its length), so arrays rarely regrow.</summary>
    private void ReserveEstimate(int rows, long chunkBytes, int maxRows)
    {
        if (!_stream.CanSeek || chunkBytes == 0) return;
        long remaining = _stream.Length - _stream.Position + (_len - _pos);
        double estimate = rows + 1.05 * remaining * rows / chunkBytes + 1024;
        int target = (int)Math.Min(Math.Min(estimate, maxRows), Array.MaxLength);
        foreach (ColumnBuilder builder in _builders) builder.Reserve(target);
    }

    // ---- records ----------------------------------------------------------------------------

    /// <summary>
    /// Locates the fields of the record that starts at <paramref name="pos"/> and moves pos past its
    /// line end. Returns the field count (fields beyond the capacity are counted, not stored), or −1
    /// with pos unchanged when the buffer ends inside the record and more data may come.
    /// <paramref name="lines"/> is 1 plus the line breaks inside quoted fields.
    /// </summary>
    private int ParseRecord(ref int pos, out int lines, bool growFields)
    {
        ReadOnlySpan<byte> buf = _buf.AsSpan(0, _len);
        int p = pos, n = 0;
        lines = 1;
        while (true)
        {
            int start, length;
            byte flags = 0;
            if (p < buf.Length && buf[p] == Quote)
            {
                int q = p + 1;                                   // find the closing quote, skipping ""
                while (true)
                {
                    int k = buf[q..].IndexOf(Quote);
                    if (k < 0)
                    {
                        if (!_eof) return -1;
                        throw Error(_line + lines - 1, $"unterminated quoted field (field {n + 1}): the quote opened on this line never closes");
                    }
                    q += k;
                    if (q + 1 == buf.Length && !_eof) return -1;  // "" or a closing quote? need the next byte
                    if (q + 1 < buf.Length && buf[q + 1] == Quote) { flags = Escaped; q += 2; continue; }
                    break;
                }
                start = p + 1;
                length = q - start;
                flags |= Quoted;
                lines += buf.Slice(start, length).Count((byte)'\n');
                p = q + 1;
                if (p < buf.Length && buf[p] != _sep && buf[p] != '\n' && buf[p] != '\r')
                    throw Error(_line, $"unexpected '{(char)buf[p]}' after the closing quote of field {n + 1} (a quote inside a quoted field must be doubled)");
            }
            else
            {
                int k = buf[p..].IndexOfAny(_stops);
                if (k < 0)
                {
                    if (!_eof) return -1;
                    k = buf.Length - p;
                }
                start = p;
                length = k;
                p += k;
            }
            if (n == _start.Length && growFields) GrowFields();
            if (n < _start.Length)
            {
                _start[n] = start;
                _length[n] = length;
                _flags[n] = flags;
            }
            n++;
            if (p == buf.Length) { pos = p; return n; }            // end of file (else we returned −1 above)
            byte c = buf[p];
            if (c == _sep) { p++; continue; }
            if (c == '\r')
            {
                if (p + 1 == buf.Length && !_eof) return -1;        // CR LF split by the buffer end
                p++;
                if (p < buf.Length && buf[p] == '\n') p++;
            }
            else p++;
            pos = p;
            return n;
        }
    }

    /// <summary>Hands the located fields of one record to the builders.</summary>
    private void Commit()
    {
        for (int i = 0; i < _builders.Length; i++)
        {
            ReadOnlySpan<byte> field = _buf.AsSpan(_start[i], _length[i]);
            byte flags = _flags[i];
            if ((flags & Escaped) != 0) field = Unescape(field);
            AppendResult r = _builders[i].Append(field, (flags & Quoted) != 0);
            if (r == AppendResult.Ok) continue;
            string text = Clip(Encoding.UTF8.GetString(field));
            if (r == AppendResult.WidenToText) throw new WidenToTextException(_names[i], _line, text, _builders[i].Type);
            throw Error(_line, $"column '{_names[i]}': '{text}' is not a valid {_builders[i].Type}");
        }
    }

    /// <summary>The content of a quoted field with each "" turned into ".</summary>
    private ReadOnlySpan<byte> Unescape(ReadOnlySpan<byte> field)
    {
        if (_unescaped.Length < field.Length) _unescaped = new byte[Math.Max(field.Length, 2 * _unescaped.Length)];
        int n = 0;
        for (int i = 0; i < field.Length; i++)
        {
            _unescaped[n++] = field[i];
            if (field[i] == Quote) i++;                          // skip the second quote of ""
        }
        return _unescaped.AsSpan(0, n);
    }

    /// <summary>Moves the unread bytes to the front and reads more (doubling the buffer if one record fills it).</summary>
    private void Fill()
    {
        int keep = _len - _pos;
        if (_pos > 0)
        {
            Buffer.BlockCopy(_buf, _pos, _buf, 0, keep);
            _pos = 0;
            _len = keep;
        }
        else if (keep == _buf.Length) Array.Resize(ref _buf, 2 * _buf.Length);
        int read = _stream.Read(_buf, _len, _buf.Length - _len);
        if (read == 0) _eof = true;
        else _len += read;
    }

    private void GrowFields()
    {
        int n = 2 * _start.Length;
        Array.Resize(ref _start, n);
        Array.Resize(ref _length, n);
        Array.Resize(ref _flags, n);
    }

    // ---- header and builders ----------------------------------------------------------------

    private string[] ReadHeader(bool hasHeader)
    {
        Fill();
        if (_len >= 3 && _buf[0] == 0xEF && _buf[1] == 0xBB && _buf[2] == 0xBF) _pos = 3;   // UTF-8 BOM
        while (_pos >= _len && !_eof) Fill();
        if (_pos >= _len) throw Error(1, hasHeader ? "the file is empty; expected a header line" : "the file is empty");
        int p = _pos, n, lines;
        while ((n = ParseRecord(ref p, out lines, growFields: true)) < 0)
        {
            Fill();
            p = _pos;
        }
        var names = new string[n];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<byte> field = _buf.AsSpan(_start[i], _length[i]);
            if ((_flags[i] & Escaped) != 0) field = Unescape(field);
            names[i] = hasHeader && field.Length > 0 ? Encoding.UTF8.GetString(field) : $"column{i}";
            if (!seen.Add(names[i])) throw Error(1, $"duplicate column name '{names[i]}' in the header");
        }
        if (hasHeader)
        {
            _pos = p;
            _line += lines;
        }
        return names;
    }

    private ColumnBuilder[] MakeBuilders(CsvOptions options, IReadOnlySet<string>? textColumns)
    {
        if (options.Schema is not null)
            foreach (string name in options.Schema.Keys)
                if (Array.IndexOf(_names, name) < 0)
                    throw new TabularException($"{_source}: the schema names column '{name}', which is not in the header ({string.Join(", ", _names)})");
        var builders = new ColumnBuilder[_names.Length];
        for (int i = 0; i < builders.Length; i++)
        {
            string name = _names[i];
            builders[i] = options.Schema is not null && options.Schema.TryGetValue(name, out ColumnType type)
                ? type switch
                {
                    ColumnType.Int64 => new Int64Builder(),
                    ColumnType.Int32 => new Int32Builder(),
                    ColumnType.Double => new DoubleBuilder(),
                    ColumnType.String => new TextBuilder(),
                    ColumnType.Category => new CategoryBuilder(mayBecomeString: false, options.CategoryMaxFraction),
                    _ => throw new TabularException($"{_source}: column '{name}' cannot be read as {type}"),
                }
                : textColumns is not null && textColumns.Contains(name)
                    ? new CategoryBuilder(mayBecomeString: true, options.CategoryMaxFraction)
                    : new InferBuilder(options.CategoryMaxFraction);
        }
        return builders;
    }

    // ---- errors -----------------------------------------------------------------------------

    private TabularException Error(long line, string message) => new($"{_source} line {line}: {message}") { Line = line };

    private TabularException NotANumber(WidenToTextException w) => Error(w.Line,
        $"column '{w.Column}': '{w.Text}' is not a valid {w.Type} (the type was inferred from the rows before it); " +
        $"give a schema with '{w.Column}' as String or Category");

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>An inferred number column met text: the static readers re-read with the column as text.</summary>
    private sealed class WidenToTextException(string column, long line, string text, ColumnType type) : Exception
    {
        public string Column { get; } = column;
        public long Line { get; } = line;
        public string Text { get; } = text;
        public ColumnType Type { get; } = type;
    }

    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
    }
}
