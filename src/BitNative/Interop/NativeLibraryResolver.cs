using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace BitNative.Interop;

/// <summary>
/// Finds and loads the native kernel library for the [LibraryImport] declarations of this assembly.
/// </summary>
/// <remarks>
/// Order (TorchSharp / LibGit2Sharp style): the <c>BITNATIVE_NATIVE_PATH</c> environment variable
/// (a file or a folder), then <c>runtimes/&lt;rid&gt;/native/</c> under the application and under
/// this assembly's folder, then the operating system's default search. Every attempt and its OS
/// error are kept, so a failure explains itself; a library whose ABI version differs from the one
/// these bindings were generated for is refused at load, not mid-token.
/// </remarks>
internal static class NativeLibraryResolver
{
    public const string PathVariable = "BITNATIVE_NATIVE_PATH";

    private static readonly Lock Gate = new();
    private static nint s_handle;
    private static string? s_loadedFrom;

    /// <summary>The file the library was loaded from, once it has been loaded.</summary>
    public static string? LoadedFrom => s_loadedFrom;

    /// <summary>Installs the resolver for this assembly; called once, from NativeMethods' static constructor.</summary>
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != Libraries.BitNative)
        {
            return 0;
        }

        lock (Gate)
        {
            if (s_handle == 0)
            {
                (s_handle, s_loadedFrom) = LoadAndVerify(assembly, searchPath);
            }

            return s_handle;
        }
    }

    private static (nint Handle, string Path) LoadAndVerify(Assembly assembly, DllImportSearchPath? searchPath)
    {
        var trace = new StringBuilder();
        foreach (string candidate in CandidatePaths(assembly))
        {
            if (!File.Exists(candidate))
            {
                trace.AppendLine($"  {candidate}: no such file");
                continue;
            }

            try
            {
                nint handle = NativeLibrary.Load(candidate);
                VerifyAbi(handle, candidate);
                return (handle, candidate);
            }
            catch (DllNotFoundException e)
            {
                trace.AppendLine($"  {candidate}: {e.Message}");
            }
            catch (BadImageFormatException e)
            {
                trace.AppendLine($"  {candidate}: wrong architecture or not a library ({e.Message})");
            }
        }

        if (NativeLibrary.TryLoad(Libraries.BitNative, assembly, searchPath, out nint fallback))
        {
            VerifyAbi(fallback, $"'{Libraries.BitNative}' from the default search path");
            return (fallback, Libraries.BitNative);
        }

        trace.AppendLine($"  '{Libraries.BitNative}' through the operating system's default search: not found");
        throw new DllNotFoundException(
            $"BitNative could not load its native kernel library {PlatformFileName} for {PortableRid} " +
            $"({RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}). Tried:{Environment.NewLine}" +
            trace +
            $"The package BitNative.Runtime.{PortableRid} provides this file; reference it, or set {PathVariable} " +
            "to the library file or its folder (for a source build: ./build.sh).");
    }

    private static IEnumerable<string> CandidatePaths(Assembly assembly)
    {
        string? overridePath = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            yield return Directory.Exists(overridePath) ? Path.Combine(overridePath, PlatformFileName) : overridePath;
        }

        var roots = new List<string> { Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory) };
        // Location is empty in single-file apps; AppContext.BaseDirectory above covers them.
#pragma warning disable IL3000
        string? assemblyDir = string.IsNullOrEmpty(assembly.Location) ? null : Path.TrimEndingDirectorySeparator(Path.GetDirectoryName(assembly.Location)!);
#pragma warning restore IL3000
        if (assemblyDir is not null && !roots.Contains(assemblyDir))
        {
            roots.Add(assemblyDir);
        }

        foreach (string root in roots)
        {
            foreach (string rid in RuntimeIdentifiers())
            {
                yield return Path.Combine(root, "runtimes", rid, "native", PlatformFileName);
            }

            yield return Path.Combine(root, PlatformFileName);
        }
    }

    /// <summary>The runtime's own identifier, then the portable one (a distro-specific .NET build may report e.g. debian.12-x64).</summary>
    private static IEnumerable<string> RuntimeIdentifiers()
    {
        string own = RuntimeInformation.RuntimeIdentifier;
        yield return own;
        if (own != PortableRid)
        {
            yield return PortableRid;
        }
    }

    internal static string PortableRid
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            return $"{os}-{arch}";
        }
    }

    internal static string PlatformFileName =>
        OperatingSystem.IsWindows() ? "bitnative.dll" : OperatingSystem.IsMacOS() ? "libbitnative.dylib" : "libbitnative.so";

    private static unsafe void VerifyAbi(nint handle, string origin)
    {
        if (!NativeLibrary.TryGetExport(handle, nameof(NativeMethods.bn_abi_version), out nint export))
        {
            NativeLibrary.Free(handle);
            throw new DllNotFoundException($"{origin} is not the BitNative kernel library: it does not export bn_abi_version.");
        }

        int version = ((delegate* unmanaged<int>)export)();
        if (version != NativeMethods.BN_ABI_VERSION)
        {
            NativeLibrary.Free(handle);
            throw new DllNotFoundException(
                $"{origin} implements native ABI version {version}, but this BitNative assembly was built for " +
                $"version {NativeMethods.BN_ABI_VERSION}. Use the BitNative.Runtime.{PortableRid} package of the same " +
                "release, or rebuild the native library (./build.sh).");
        }
    }
}
