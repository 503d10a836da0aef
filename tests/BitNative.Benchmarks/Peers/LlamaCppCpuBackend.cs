using System.Runtime.InteropServices;

namespace BitNative.Benchmarks.Peers;

/// <summary>
/// llama.cpp's own ternary kernels, loaded from the prebuilt CPU backends of the npm package
/// @node-llama-cpp/&lt;rid&gt; (fetched by build/fetch-peers.sh into .cache/peers). Of the per-CPU variants
/// (haswell, zen4, ...) it picks the one ggml itself would pick: the highest ggml_backend_score().
/// </summary>
internal sealed unsafe class LlamaCppCpuBackend
{
    /// <summary>block_q8_K: float d; int8 qs[256]; int16 bsums[16].</summary>
    public const int Q8KBlockBytes = 292;

    private readonly delegate* unmanaged<float*, void*, long, void> _quantizeRowQ8K;
    private readonly delegate* unmanaged<int, float*, nuint, void*, nuint, void*, nuint, int, void> _vecDotTq2;
    private readonly delegate* unmanaged<int, float*, nuint, void*, nuint, void*, nuint, int, void> _vecDotTq1;

    private LlamaCppCpuBackend(nint library, string variant)
    {
        Variant = variant;
        _quantizeRowQ8K = (delegate* unmanaged<float*, void*, long, void>)NativeLibrary.GetExport(library, "quantize_row_q8_K");
        _vecDotTq2 = (delegate* unmanaged<int, float*, nuint, void*, nuint, void*, nuint, int, void>)
            NativeLibrary.GetExport(library, "ggml_vec_dot_tq2_0_q8_K");
        _vecDotTq1 = (delegate* unmanaged<int, float*, nuint, void*, nuint, void*, nuint, int, void>)
            NativeLibrary.GetExport(library, "ggml_vec_dot_tq1_0_q8_K");
        ((delegate* unmanaged<void>)NativeLibrary.GetExport(library, "ggml_cpu_init"))();
    }

    /// <summary>The variant in use, e.g. libggml-cpu-haswell.so.</summary>
    public string Variant { get; }

    private static readonly Lazy<(LlamaCppCpuBackend? Backend, string Reason)> Loaded = new(Load);

    /// <summary>The backend, or null with the reason it is unavailable (printed by the benchmarks, never faked).</summary>
    public static LlamaCppCpuBackend? TryGet(out string reason)
    {
        (LlamaCppCpuBackend? backend, string why) = Loaded.Value;
        reason = why;
        return backend;
    }

    private static (LlamaCppCpuBackend?, string) Load()
    {
        string rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        string dir = Path.Combine(RepoRoot(), ".cache", "peers", $"llama-cpp-{rid}", "bins", rid);
        if (!OperatingSystem.IsLinux() || !Directory.Exists(dir))
        {
            return (null, $"llama.cpp peer not found at {dir}: run build/fetch-peers.sh");
        }

        string? best = null;
        nint bestHandle = 0;
        int bestScore = 0;
        foreach (string path in Directory.GetFiles(dir, "libggml-cpu-*.so"))
        {
            if (!NativeLibrary.TryLoad(path, out nint handle))
            {
                continue;
            }

            int score = NativeLibrary.TryGetExport(handle, "ggml_backend_score", out nint fn) ? ((delegate* unmanaged<int>)fn)() : 0;
            if (score > bestScore)
            {
                bestScore = score;
                best = path;
                bestHandle = handle;
            }
        }

        return best is null
            ? (null, $"no llama.cpp CPU backend in {dir} supports this CPU")
            : (new LlamaCppCpuBackend(bestHandle, Path.GetFileName(best)), "");
    }

    private static string RepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "BitNative.sln")))
            {
                return dir;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    /// <summary>Quantizes k floats (k % 256 == 0) into Q8_K blocks, llama.cpp's activation format for TQ1_0/TQ2_0.</summary>
    public void QuantizeQ8K(ReadOnlySpan<float> x, Span<byte> q8k)
    {
        fixed (float* xp = x)
        fixed (byte* yp = q8k)
        {
            _quantizeRowQ8K(xp, yp, x.Length);
        }
    }

    /// <summary>Rows [begin, end) of a TQ2_0 (or TQ1_0) matrix times one Q8_K activation row.</summary>
    public void Gemv(bool tq1, byte* weights, long rowBytes, int k, byte* q8k, float* y, int begin, int end)
    {
        var dot = tq1 ? _vecDotTq1 : _vecDotTq2;
        for (int i = begin; i < end; i++)
        {
            dot(k, y + i, 0, weights + i * rowBytes, 0, q8k, 0, 1);
        }
    }
}
