namespace BindGen.Clang;

/// <summary>Finds clang's resource directory (its own stdint.h, stddef.h) for libclang.</summary>
internal static class ClangResourceDir
{
    public const string OverrideVariable = "BINDGEN_CLANG_RESOURCE_DIR";

    /// <summary>
    /// $BINDGEN_CLANG_RESOURCE_DIR, else clang/&lt;version&gt; next to the loaded libclang, else
    /// Debian's /usr/lib/llvm-*/lib/clang/&lt;version&gt;; null lets libclang use its built-in guess.
    /// </summary>
    public static string? Find()
    {
        string? configured = Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return Directory.Exists(configured)
                ? configured
                : throw new BindGenException($"{OverrideVariable}={configured} is not a directory");
        }

        var roots = new List<string>();
        string loaded = LibClang.LoadedFrom;
        if (Path.IsPathRooted(loaded))
        {
            roots.Add(Path.Combine(Path.GetDirectoryName(loaded)!, "clang"));
        }

        if (Directory.Exists("/usr/lib"))
        {
            roots.AddRange(Directory.GetDirectories("/usr/lib", "llvm-*")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d)["llvm-".Length..], out int v) ? v : 0)
                .Select(d => Path.Combine(d, "lib", "clang")));
        }

        foreach (string root in roots.Where(Directory.Exists))
        {
            string? best = Directory.GetDirectories(root)
                .Where(d => File.Exists(Path.Combine(d, "include", "stdint.h")))
                .OrderByDescending(d => Version.TryParse(Path.GetFileName(d), out Version? v) ? v : new Version(0, 0))
                .FirstOrDefault();
            if (best is not null)
            {
                return best;
            }
        }

        return null;
    }
}
