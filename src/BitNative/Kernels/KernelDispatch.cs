using System.Runtime.InteropServices;
using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>Which kernel variant the native library runs, and what the CPU offers.</summary>
/// <remarks>
/// The library picks the best variant once; tests and benchmarks can force another one. Forcing is
/// process-wide: change it only while no kernel is running (tests that force variants run serially).
/// </remarks>
public static unsafe class KernelDispatch
{
    /// <summary>The variant in use.</summary>
    public static Isa ActiveIsa => (Isa)NativeMethods.bn_get_isa();

    /// <summary>The CPU features the library detected.</summary>
    public static CpuFeatures Features
    {
        get
        {
            bn_cpu_features f;
            NativeMethods.bn_get_cpu_features(&f).ThrowIfFailed(nameof(NativeMethods.bn_get_cpu_features));
            return new CpuFeatures(
                f.avx2 != 0, f.fma != 0, f.f16c != 0, f.avx512f != 0, f.avx512bw != 0, f.avx512vl != 0,
                f.avx512vnni != 0, f.avx512vbmi != 0, f.avxvnni != 0, f.neon != 0, f.dotprod != 0, f.i8mm != 0,
                f.logical_cpus, (Isa)f.best_isa);
        }
    }

    /// <summary>Whether this CPU and this build of the library can run the variant.</summary>
    public static bool IsSupported(Isa isa) => Enum.IsDefined(isa) && NativeMethods.bn_isa_supported((bn_isa)isa) != 0;

    /// <summary>Runs every later kernel call with the given variant.</summary>
    /// <exception cref="PlatformNotSupportedException">The CPU or the build lacks the variant.</exception>
    /// <exception cref="ArgumentException">The value is not an <see cref="Isa"/>.</exception>
    public static void Force(Isa isa) => NativeMethods.bn_set_isa((bn_isa)isa).ThrowIfFailed(nameof(NativeMethods.bn_set_isa));

    /// <summary>The library's lower-case name of a variant (e.g. "avx2").</summary>
    public static string NameOf(Isa isa) => Marshal.PtrToStringUTF8((nint)NativeMethods.bn_isa_name((bn_isa)isa)) ?? isa.ToString();

    /// <summary>The loaded native library's file, for diagnostics.</summary>
    public static string? LibraryPath
    {
        get
        {
            _ = NativeMethods.bn_abi_version(); // makes sure the library is loaded
            return NativeLibraryResolver.LoadedFrom;
        }
    }
}
