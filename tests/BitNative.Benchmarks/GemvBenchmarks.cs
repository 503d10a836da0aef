using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BitNative.Benchmarks.Peers;
using BitNative.Kernels;

namespace BitNative.Benchmarks;

/// <summary>
/// Ternary GEMV (one token) on the BitNet-b1.58-2B-4T projection shapes: every BitNative kernel variant this CPU runs
/// (multiply-add on I2_S and TQ2_0; lookup tables on TL1 with int8 and with int4 activations), and llama.cpp's own
/// TQ2_0 / TQ1_0 kernels on the same weights, single- and two-threaded. "DramBound" cycles through at least 256 MB of
/// distinct matrices, as decoding does; "CacheResident" reuses one matrix.
/// Columns: G weights/s and packed GB/s (see <see cref="ThroughputColumns"/>).
/// </summary>
/// <remarks>
/// Kernel names: bitnative-&lt;layout&gt;-&lt;isa&gt;, where layout is i2s or tq2 (multiply-add, int8 activations), tl1q8
/// or tl1q4 (lookup tables, int8 or int4 activations). To run a subset in one process, set BITNATIVE_GEMV_SHAPES and/or
/// BITNATIVE_GEMV_KERNELS to comma-separated names or substrings (e.g. "6912x2560,2560x6912" and "avx2,llama.cpp-tq2").
/// </remarks>
[Config(typeof(KernelBenchmarkConfig))]
public unsafe class GemvBenchmarks
{
    private const long DramBytes = 256L << 20;

    /// <summary>k x n as the issue names them: input features x output features.</summary>
    [ParamsSource(nameof(ShapeNames))]
    public string Shape { get; set; } = "2560x2560";

    [ParamsSource(nameof(KernelNames))]
    public string Kernel { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [Params(Residency.CacheResident, Residency.DramBound)]
    public Residency Data { get; set; }

    public enum Residency
    {
        CacheResident,
        DramBound,
    }

    /// <summary>The 2B-4T projection shapes (optionally narrowed by BITNATIVE_GEMV_SHAPES).</summary>
    public static IEnumerable<string> ShapeNames() => Selected("BITNATIVE_GEMV_SHAPES", ["2560x2560", "2560x640", "2560x6912", "6912x2560"]);

    /// <summary>
    /// Every variant of ours this machine runs, then the peers (listed even when absent: they report why); optionally
    /// narrowed by BITNATIVE_GEMV_KERNELS. The lookup-table kernels are listed for SIMD variants only: their scalar
    /// reference is the same loop as I2S's.
    /// </summary>
    public static IEnumerable<string> KernelNames()
    {
        var names = new List<string>();
        foreach (Isa isa in Enum.GetValues<Isa>().Where(KernelDispatch.IsSupported))
        {
            names.Add($"bitnative-i2s-{KernelDispatch.NameOf(isa)}");
            names.Add($"bitnative-tq2-{KernelDispatch.NameOf(isa)}");
            if (isa != Isa.Reference)
            {
                names.Add($"bitnative-tl1q8-{KernelDispatch.NameOf(isa)}");
                names.Add($"bitnative-tl1q4-{KernelDispatch.NameOf(isa)}");
            }
        }

        names.Add("llama.cpp-tq2_0");
        names.Add("llama.cpp-tq1_0");
        names.Add("stream-i2s"); // the bandwidth yardstick: reads the I2S-sized matrices and does nothing else
        return Selected("BITNATIVE_GEMV_KERNELS", names);
    }

    private static IEnumerable<string> Selected(string variable, IEnumerable<string> all)
    {
        string[] wanted = (Environment.GetEnvironmentVariable(variable) ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return wanted.Length == 0 ? all : all.Where(name => wanted.Any(w => name.Contains(w, StringComparison.Ordinal)));
    }

    private int _k, _n;
    private byte[][] _matrices = [];
    private int _next;
    private sbyte[] _xq = [];
    private float[] _xScale = [1f];
    private byte[] _q8k = [];
    private float[] _y = [];
    private KernelThreadPool? _pool;
    private SpinningWorker? _peerWorker;
    private LlamaCppCpuBackend? _peer;
    private Action _run = () => { };

    public long WeightsPerOp => (long)_k * _n;

    public long BytesPerOp => _matrices.Length > 0 ? _matrices[0].Length : 0;

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        (_k, _n) = (int.Parse(parts[0]), int.Parse(parts[1]));
        var rng = new Random(20260101);
        float[] x = Enumerable.Range(0, _k).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        _xq = new sbyte[_k];
        ActivationQuantizer.QuantizeInt8(x, 1, _k, _xq, _xScale);
        _y = new float[_n];
        sbyte[] ternary = Enumerable.Range(0, _k * _n).Select(_ => (sbyte)rng.Next(-1, 2)).ToArray();

        bool isPeer = Kernel.StartsWith("llama.cpp", StringComparison.Ordinal);
        bool stream = Kernel.StartsWith("stream-", StringComparison.Ordinal);
        bool lut = Kernel.Contains("-tl1q", StringComparison.Ordinal), int4 = Kernel.Contains("-tl1q4", StringComparison.Ordinal);
        WeightType format = lut ? WeightType.Tl1 : Kernel.Contains("i2s") ? WeightType.I2S : Kernel.Contains("tq1") ? WeightType.Tq1 : WeightType.Tq2;
        var packed = new byte[WeightTypes.Bytes(format, _n, _k)];
        WeightPacker.Pack(format, ternary, _n, _k, 0.02f, packed);
        int copies = Data == Residency.DramBound ? (int)Math.Max(2, DramBytes / packed.Length + 1) : 1;
        _matrices = new byte[copies][];
        _matrices[0] = packed;
        for (int c = 1; c < copies; c++)
        {
            _matrices[c] = (byte[])packed.Clone(); // distinct memory, same contents: every call streams from DRAM
        }

        if (stream)
        {
            _run = Threads > 1 ? () => StreamTwoThreads(NextMatrix()) : () => _sink += Stream(NextMatrix());
            _peerWorker = Threads > 1 ? new SpinningWorker() : null;
            return;
        }

        if (isPeer)
        {
            _peer = LlamaCppCpuBackend.TryGet(out string reason)
                ?? throw new InvalidOperationException($"Peer unavailable, benchmark not run: {reason}");
            Console.WriteLine($"// llama.cpp peer: {_peer.Variant}");
            _q8k = new byte[_k / 256 * LlamaCppCpuBackend.Q8KBlockBytes];
            _peer.QuantizeQ8K(x, _q8k);
            _peerWorker = Threads > 1 ? new SpinningWorker() : null;
            bool tq1 = format == WeightType.Tq1;
            long rowBytes = packed.Length / _n;
            _run = () =>
            {
                byte[] w = NextMatrix();
                int half = _n / 2;
                fixed (byte* wp = w)
                fixed (byte* q = _q8k)
                fixed (float* y = _y)
                {
                    byte* wpc = wp, qc = q;
                    float* yc = y;
                    if (_peerWorker is null)
                    {
                        _peer.Gemv(tq1, wpc, rowBytes, _k, qc, yc, 0, _n);
                    }
                    else
                    {
                        nint wpi = (nint)wpc, qi = (nint)qc, yi = (nint)yc;
                        _peerWorker.Run(
                            () => _peer.Gemv(tq1, (byte*)wpi, rowBytes, _k, (byte*)qi, (float*)yi, 0, half),
                            () => _peer.Gemv(tq1, (byte*)wpi, rowBytes, _k, (byte*)qi, (float*)yi, half, _n));
                    }
                }
            };
            return;
        }

        string isaName = Kernel[(Kernel.LastIndexOf('-') + 1)..];
        Isa isa = Enum.GetValues<Isa>().Single(i => KernelDispatch.NameOf(i) == isaName);
        _pool = Threads > 1 ? KernelThreadPool.Create(Threads) : null;
        if (int4)
        {
            ActivationQuantizer.QuantizeInt4(x, 1, _k, _xq, _xScale); // BitNet a4.8 activations: values in [-8, 7]
        }

        ActivationType input = int4 ? ActivationType.Int4 : ActivationType.Int8;
        float scale = format == WeightType.Tq2 ? 1f : 0.02f;
        _run = () => Matmul.Quantized(format, input, isa, NextMatrix(), scale, _xq, _xScale, _n, _k, 1, _y, _pool);
    }

    private long _sink;

    /// <summary>Reads every byte of <paramref name="bytes"/> with 256-bit loads (four independent sums), nothing else.</summary>
    private static long Stream(ReadOnlySpan<byte> bytes)
    {
        ref byte start = ref MemoryMarshal.GetReference(bytes);
        Vector256<byte> a = default, b = default, c = default, d = default;
        int i = 0;
        for (; i + 128 <= bytes.Length; i += 128)
        {
            a += Vector256.LoadUnsafe(ref start, (nuint)i);
            b += Vector256.LoadUnsafe(ref start, (nuint)i + 32);
            c += Vector256.LoadUnsafe(ref start, (nuint)i + 64);
            d += Vector256.LoadUnsafe(ref start, (nuint)i + 96);
        }

        return (long)Vector256.Sum(Vector256.WidenLower(a + b + c + d).AsUInt16()) + i;
    }

    private void StreamTwoThreads(byte[] m)
    {
        int half = m.Length / 2 / 128 * 128;
        long x = 0, y = 0;
        _peerWorker!.Run(() => x = Stream(m.AsSpan(0, half)), () => y = Stream(m.AsSpan(half)));
        _sink += x + y;
    }

    private byte[] NextMatrix()
    {
        byte[] m = _matrices[_next];
        _next = _next + 1 == _matrices.Length ? 0 : _next + 1;
        return m;
    }

    [Benchmark]
    public void Gemv() => _run();

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool?.Dispose();
        _peerWorker?.Dispose();
    }
}
