using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>
/// What a measured kernel plan depends on: the exact CPU (vendor, family, model, stepping and the features the library
/// detected: two "AMD EPYC" machines of different generations report the same model name) and the exact build (this
/// assembly's version, the native ABI version and a hash of the native library file, so a rebuilt library never reuses
/// an old plan).
/// </summary>
public static class MachineIdentity
{
    private static readonly Lazy<string> CpuKey = new(ReadCpu);
    private static readonly Lazy<string> LibraryKey = new(ReadLibrary);

    /// <summary>A one-line description of the CPU, stable across runs on the same CPU model.</summary>
    public static string Cpu => CpuKey.Value;

    /// <summary>A one-line identity of this build of the managed and native libraries.</summary>
    public static string Library => LibraryKey.Value;

    private static string ReadCpu()
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (string line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.Length == 0)
                    {
                        break; // the first processor's block describes them all
                    }

                    int colon = line.IndexOf(':');
                    if (colon > 0)
                    {
                        fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // fall back to what the runtime and the library report
        }

        string Field(string name) => fields.TryGetValue(name, out string? v) ? v : "?";
        CpuFeatures f = KernelDispatch.Features;
        string features = string.Join(",", new[]
        {
            f.Avx2 ? "avx2" : null, f.Avx512F ? "avx512f" : null, f.Avx512Vnni ? "avx512vnni" : null,
            f.Avx512Vbmi ? "avx512vbmi" : null, f.AvxVnni ? "avxvnni" : null, f.Neon ? "neon" : null,
            f.DotProd ? "dotprod" : null, f.I8mm ? "i8mm" : null,
        }.Where(x => x is not null));
        return $"{RuntimeInformation.ProcessArchitecture} {Field("vendor_id")} family {Field("cpu family")} model {Field("model")} " +
               $"stepping {Field("stepping")} '{Field("model name")}' [{features}] {f.LogicalCpus} cpus";
    }

    private static string ReadLibrary()
    {
        string managed = typeof(MachineIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(MachineIdentity).Assembly.GetName().Version?.ToString() ?? "?";
        string native = "?";
        string? path = KernelDispatch.LibraryPath;
        if (path is not null && File.Exists(path))
        {
            using FileStream stream = File.OpenRead(path);
            native = Convert.ToHexString(SHA256.HashData(stream))[..16];
        }

        return $"BitNative {managed} abi {NativeMethods.bn_abi_version()} native {native}";
    }
}
