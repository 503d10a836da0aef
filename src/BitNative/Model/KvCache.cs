using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>
/// Keys and values of every layer for positions [0, Capacity). Row p of a layer holds position p's KV heads side by
/// side, each as one block of <see cref="KvQuantizer.BlockBytes"/>: fp16 values (the default; 300 MiB for 2B-4T at 4096
/// positions instead of 600 in f32), or BitNet a4.8's quantized blocks (q8 / q4 / q3: a float scale and packed codes
/// per head and position; 61 MiB at 3 bits). The layout the native RoPE + KV-write and attention kernels read and write.
/// </summary>
internal sealed class KvCache
{
    private readonly byte[][] _keys;
    private readonly byte[][] _values;

    public KvCache(ModelConfig config, int capacity)
        : this(config, capacity, KvCacheType.F16)
    {
    }

    /// <exception cref="ArgumentException">The type cannot hold the model's heads (a quantized type needs head_dim % 32 == 0).</exception>
    public KvCache(ModelConfig config, int capacity, KvCacheType type)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        Type = type;
        KvDim = config.KvDim;
        RowBytes = config.KvHeadCount * KvQuantizer.BlockBytes(type, config.HeadDim);
        int bytes = checked((int)(capacity * RowBytes));
        _keys = new byte[config.BlockCount][];
        _values = new byte[config.BlockCount][];
        for (int l = 0; l < config.BlockCount; l++)
        {
            _keys[l] = new byte[bytes];
            _values[l] = new byte[bytes];
        }
    }

    public int Capacity { get; }

    public int KvDim { get; }

    public KvCacheType Type { get; }

    /// <summary>Bytes of one position of one layer's keys (or values).</summary>
    public long RowBytes { get; }

    /// <summary>Bytes held.</summary>
    public long Bytes => 2L * _keys.Length * Capacity * RowBytes;

    /// <summary>A layer's key rows, [Capacity, RowBytes].</summary>
    public Span<byte> Keys(int layer) => _keys[layer];

    /// <summary>A layer's value rows, [Capacity, RowBytes].</summary>
    public Span<byte> Values(int layer) => _values[layer];
}
