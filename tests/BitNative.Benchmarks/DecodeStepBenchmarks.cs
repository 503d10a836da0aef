using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BitNative.Kernels;

namespace BitNative.Benchmarks;

/// <summary>Medians of many iterations (shared, noisy machines), GitHub markdown tables.</summary>
public sealed class DecodeBenchmarkConfig : ManualConfig
{
    public DecodeBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15).WithLaunchCount(1));
        AddColumn(StatisticColumn.Median, StatisticColumn.Min);
        AddExporter(MarkdownExporter.GitHub);
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }

    /// <summary>Every SIMD variant this machine runs (the scalar reference is far too slow for these sizes).</summary>
    public static IEnumerable<string> SimdIsas() =>
        Enum.GetValues<Isa>().Where(i => i != Isa.Reference && KernelDispatch.IsSupported(i)).Select(KernelDispatch.NameOf);

    public static void Force(string isa) => KernelDispatch.Force(Enum.GetValues<Isa>().Single(i => KernelDispatch.NameOf(i) == isa));
}

/// <summary>
/// The output head of BitNet-b1.58-2B-4T for one token: 128256 × 2560, F16 (656 MB), Q8_0 (349 MB), Q6_K (269 MB), Q5_K
/// (226 MB), Q4_K or Q4_0 (185 MB) weights, which stream from DRAM on every call (the matrix is far larger than any cache).
/// </summary>
[Config(typeof(DecodeBenchmarkConfig))]
public class OutputHeadBenchmarks
{
    private const int Vocab = 128256, Dim = 2560;

    [Params("f16", "q8_0", "q6_k", "q5_k", "q4_k", "q4_0")]
    public string Head { get; set; } = "f16";

    [ParamsSource(nameof(Isas))]
    public string Isa { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    public static IEnumerable<string> Isas() => DecodeBenchmarkConfig.SimdIsas();

    private Half[] _f16 = [];
    private byte[] _q8 = [];
    private WeightType _type = WeightType.Q8_0;
    private float[] _x = [];
    private sbyte[] _xq = [];
    private float[] _xScale = [1f];
    private float[] _logits = [];
    private KernelThreadPool? _pool;

    [GlobalSetup]
    public void Setup()
    {
        DecodeBenchmarkConfig.Force(Isa);
        var rng = new Random(7);
        _x = Enumerable.Range(0, Dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        _xq = new sbyte[Dim];
        ActivationQuantizer.QuantizeInt8(_x, 1, Dim, _xq, _xScale);
        _logits = new float[Vocab];
        if (Head == "f16")
        {
            _f16 = new Half[Vocab * Dim];
            for (int i = 0; i < _f16.Length; i++)
            {
                _f16[i] = (Half)(rng.NextDouble() * 0.1 - 0.05);
            }
        }
        else
        {
            WeightTypeInfo info = WeightTypes.All.Single(t => t.Name == Head);
            _type = info.Type;
            _q8 = new byte[WeightTypes.Bytes(_type, Vocab, Dim)];
            rng.NextBytes(_q8);
            // normal fp16 block scales (d, and dmin of Q4_K / Q5_K) where ggml-common.h keeps them
            int[] scaleOffsets = _type switch { WeightType.Q6_K => [208], WeightType.Q4_K or WeightType.Q5_K => [0, 2], _ => [0] };
            for (int b = 0; b < _q8.Length; b += info.BlockBytes)
            {
                foreach (int at in scaleOffsets)
                {
                    BitConverter.TryWriteBytes(_q8.AsSpan(b + at), BitConverter.HalfToUInt16Bits((Half)0.001f));
                }
            }
        }

        _pool = Threads > 1 ? KernelThreadPool.Create(Threads) : null;
    }

    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    [Benchmark]
    public void Logits()
    {
        if (Head == "f16")
        {
            Matmul.Float(WeightType.F16, KernelDispatch.ActiveIsa, MemoryMarshal.AsBytes(_f16.AsSpan()), 1f, _x, Vocab, Dim, 1, _logits, _pool);
        }
        else
        {
            Matmul.Quantized(_type, ActivationType.Int8, KernelDispatch.ActiveIsa, _q8, 1f, _xq, _xScale, Vocab, Dim, 1, _logits, _pool);
        }
    }
}

/// <summary>
/// One layer's attention for one decoded token of BitNet-b1.58-2B-4T (20 query heads sharing 5 KV heads of 128) at
/// several depths of the fp16 KV cache; 30 layers make a token.
/// </summary>
[Config(typeof(DecodeBenchmarkConfig))]
public class AttentionBenchmarks
{
    private const int Heads = 20, KvHeads = 5, HeadDim = 128;

    [Params(64, 512, 2048)]
    public int Position { get; set; }

    [ParamsSource(nameof(Isas))]
    public string Isa { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    public static IEnumerable<string> Isas() => DecodeBenchmarkConfig.SimdIsas();

    private float[] _q = [];
    private float[] _out = [];
    private Half[] _keys = [];
    private Half[] _values = [];
    private KernelThreadPool? _pool;

    [GlobalSetup]
    public void Setup()
    {
        DecodeBenchmarkConfig.Force(Isa);
        var rng = new Random(11);
        int rows = Position + 1;
        _q = Enumerable.Range(0, Heads * HeadDim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        _out = new float[Heads * HeadDim];
        _keys = Enumerable.Range(0, rows * KvHeads * HeadDim).Select(_ => (Half)(rng.NextDouble() * 2 - 1)).ToArray();
        _values = Enumerable.Range(0, rows * KvHeads * HeadDim).Select(_ => (Half)(rng.NextDouble() * 2 - 1)).ToArray();
        _pool = Threads > 1 ? KernelThreadPool.Create(Threads) : null;
    }

    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    [Benchmark]
    public void OneLayer() =>
        Attention.Attend(_q, _keys, _values, 1, Heads, KvHeads, HeadDim, Position, 1f / MathF.Sqrt(HeadDim), _out, _pool);
}
