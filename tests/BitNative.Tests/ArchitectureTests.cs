using System.Reflection;
using System.Runtime.InteropServices;
using Xunit;

namespace BitNative.Tests;

/// <summary>
/// Structure enforced by tests, not hope (LibGit2Sharp's MetaFixture): the raw C ABI stays inside Interop, pointers stay
/// at the interop edge, and the public surface has no optional parameters (options records instead).
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Library = typeof(BitNetModel).Assembly;

    private static string SourceRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "BitNative.sln")))
            {
                return Path.Combine(dir, "src", "BitNative");
            }
        }

        throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public void InteropTypesAreNeverPublic()
    {
        string[] exposed = Library.GetTypes().Where(t => t.Namespace == "BitNative.Interop" && t.IsVisible).Select(t => t.FullName!).ToArray();
        Assert.Empty(exposed);
    }

    [Fact]
    public void LibraryImportsLiveOnlyInInterop()
    {
        string[] outside = Library.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<LibraryImportAttribute>() is not null || (m.Attributes & MethodAttributes.PinvokeImpl) != 0)
            .Where(m => m.DeclaringType!.Namespace != "BitNative.Interop")
            .Select(m => $"{m.DeclaringType!.FullName}.{m.Name}")
            .ToArray();
        Assert.Empty(outside);
    }

    [Fact]
    public void PublicMethodsHaveNoOptionalParameters()
    {
        string[] offenders = Library.GetTypes().Where(t => t.IsVisible)
            .SelectMany(t => t.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.DeclaredOnly)
                .Cast<MethodBase>().Concat(t.GetConstructors()))
            .Where(m => m.GetParameters().Any(p => p.IsOptional))
            .Select(m => $"{m.DeclaringType!.FullName}.{m.Name}")
            .ToArray();
        Assert.Empty(offenders);
    }

    [Fact]
    public void UnsafeCodeAndNativeCallsStayAtTheInteropEdge()
    {
        string root = SourceRoot();
        var unsafeOutside = new List<string>();
        var nativeCallsOutside = new List<string>();
        foreach (string file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.StartsWith("obj/", StringComparison.Ordinal) || relative.StartsWith("bin/", StringComparison.Ordinal))
            {
                continue;
            }

            string text = File.ReadAllText(file);
            bool edge = relative.StartsWith("Interop/", StringComparison.Ordinal) || relative.StartsWith("Kernels/", StringComparison.Ordinal)
                        || relative == "Formats/MemoryMappedFileView.cs";
            if (!edge && System.Text.RegularExpressions.Regex.IsMatch(text, @"\bunsafe\b"))
            {
                unsafeOutside.Add(relative);
            }

            bool callsAllowed = relative.StartsWith("Interop/", StringComparison.Ordinal) || relative.StartsWith("Kernels/", StringComparison.Ordinal);
            if (!callsAllowed && text.Contains("NativeMethods.", StringComparison.Ordinal))
            {
                nativeCallsOutside.Add(relative);
            }
        }

        Assert.Empty(unsafeOutside);
        Assert.Empty(nativeCallsOutside);
    }
}
