using Xunit;

namespace BitNative.Tests.Formats;

/// <summary>STYLE 8.2: in BitNative.Formats, `unsafe` appears only in MemoryMappedFileView.cs.</summary>
public sealed class FormatsLayeringTests
{
    [Fact]
    public void Only_the_memory_map_view_uses_unsafe_code()
    {
        string formats = Path.Combine(RepositoryRoot(), "src", "BitNative", "Formats");
        var offenders = Directory.EnumerateFiles(formats, "*.cs", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "MemoryMappedFileView.cs")
            .Where(f => File.ReadLines(f).Any(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal)
                && System.Text.RegularExpressions.Regex.IsMatch(line, @"\bunsafe\b|\bfixed\s*\(|\bstackalloc\b.*\*")))
            .Select(Path.GetFileName)
            .ToList();
        Assert.Empty(offenders);
        Assert.Contains("unsafe", File.ReadAllText(Path.Combine(formats, "MemoryMappedFileView.cs")));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BitNative.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("BitNative.sln not found above " + AppContext.BaseDirectory);
    }
}
