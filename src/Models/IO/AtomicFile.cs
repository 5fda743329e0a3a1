// AtomicFile — writes a file so that readers only ever see the old version or the complete new
// one: the bytes go to a temporary file in the same folder (same file system, so the rename is
// atomic), are flushed to disk, and the temporary file is then renamed over the target. A crash
// or an exception mid-write leaves the previous file untouched and removes the temporary one.

namespace FusionScratch.Models.IO;

/// <summary>Temp-file-then-rename writes for results, reports, plots, caches and checkpoints.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically, creating its folder.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        string tmp = TempPathFor(path);
        try
        {
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>Writes UTF-8 text atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Lets <paramref name="write"/> fill a stream, then renames it into place. If the callback
    /// throws, the target keeps its previous content.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string tmp = TempPathFor(path);
        try
        {
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(f);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    private static string TempPathFor(string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
