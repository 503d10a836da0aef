using System.Reflection;
using System.Runtime.InteropServices;
using Xunit;

namespace BitNative.Tests.Structure;

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

    /// <summary>
    /// The library's layers, lowest first: a namespace uses its own layer and the ones below, never one above (issue 12:
    /// Interop &lt;- Kernels &lt;- Formats/Tokenization &lt;- Model &lt;- Generation &lt;- public API).
    /// </summary>
    private static int? Layer(string? ns) => ns switch
    {
        "BitNative.Interop" => 0,
        "BitNative.Kernels" => 1,
        _ when ns is not null && (ns.StartsWith("BitNative.Formats", StringComparison.Ordinal) ||
                                  ns.StartsWith("BitNative.Tokenization", StringComparison.Ordinal)) => 2,
        _ when ns is not null && ns.StartsWith("BitNative.Model", StringComparison.Ordinal) => 3,
        "BitNative.Generation" => 4,
        "BitNative" or "BitNative.Chat" => 5,
        _ => null,
    };

    [Fact]
    public void NamespacesDependOneWay()
    {
        string[] upward = Library.GetTypes()
            .Where(t => Layer(t.Namespace) is not null)
            .SelectMany(t => TypeReferences.Of(t)
                .Where(r => r.Assembly == Library && Layer(r.Namespace) > Layer(t.Namespace))
                .Select(r => $"{t.FullName} -> {r.FullName}"))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.True(upward.Length == 0, string.Join("\n", upward));
    }

    [Fact]
    public void TheCliUsesOnlyPublicApi()
    {
        // The CLI is the library's first user: it gets no InternalsVisibleTo from the runtime or the authoring library.
        Assembly authoring = typeof(BitNative.Authoring.Gguf.GgufWriter).Assembly;
        string[] friends = new[] { Library, authoring }
            .SelectMany(a => a.GetCustomAttributes<System.Runtime.CompilerServices.InternalsVisibleToAttribute>()
                .Select(f => $"{a.GetName().Name} -> {f.AssemblyName}"))
            .Where(f => f.EndsWith("BitNative.Cli", StringComparison.Ordinal))
            .ToArray();
        Assert.Empty(friends);
    }

    [Fact]
    public void RunningAModelNeedsNoAuthoringCode()
    {
        // Writers, the tokenizer trainer, synthetic models and the quantizer live in BitNative.Authoring; the runtime
        // package does not reference it.
        Assert.DoesNotContain(Library.GetReferencedAssemblies(), a => a.Name == "BitNative.Authoring");
        string[] writers = Library.GetTypes()
            .Where(t => t.Name.EndsWith("Writer", StringComparison.Ordinal) && t.Namespace?.StartsWith("BitNative", StringComparison.Ordinal) == true)
            .Where(t => typeof(Stream).IsAssignableFrom(t) == false && typeof(TextWriter).IsAssignableFrom(t) == false)
            .Select(t => t.FullName!)
            .ToArray();
        Assert.Empty(writers);
    }

    /// <summary>A file is named after a type it declares (partial parts as Type.Part.cs); companions may share it.</summary>
    [Fact]
    public void FileNamesMatchTheTypesTheyHold()
    {
        var declaration = new System.Text.RegularExpressions.Regex(
            @"^(?:public|internal)(?:\s+(?:sealed|static|abstract|readonly|partial|unsafe|ref))*\s+(?:class|record struct|record|struct|enum|interface)\s+([A-Za-z0-9_]+)",
            System.Text.RegularExpressions.RegexOptions.Multiline);
        string repository = Path.GetFullPath(Path.Combine(SourceRoot(), "..", ".."));
        string[] mismatched = new[] { "src", "tools" }
            .Select(folder => Path.Combine(repository, folder))
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.EndsWith(".g.cs", StringComparison.Ordinal)
                        && Path.GetFileName(f) != "Program.cs")
            .Where(f =>
            {
                string[] types = declaration.Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value).ToArray();
                return !types.Contains(Path.GetFileName(f).Split('.')[0]);
            })
            .Select(f => Path.GetRelativePath(repository, f))
            .ToArray();
        Assert.True(mismatched.Length == 0, string.Join("\n", mismatched));
    }
}
