namespace BitNative.Model;

/// <summary>
/// Keys and values of every layer for positions [0, Capacity), stored as fp16 (half the memory of f32: 300 MiB
/// instead of 600 for 2B-4T at 4096 positions). Row p of a layer holds the KvDim values of position p, heads side by
/// side: the layout the native RoPE + KV-write and attention kernels read and write.
/// </summary>
internal sealed class KvCache
{
    private readonly Half[][] _keys;
    private readonly Half[][] _values;

    public KvCache(ModelConfig config, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        KvDim = config.KvDim;
        _keys = new Half[config.BlockCount][];
        _values = new Half[config.BlockCount][];
        for (int l = 0; l < config.BlockCount; l++)
        {
            _keys[l] = new Half[(long)capacity * KvDim];
            _values[l] = new Half[(long)capacity * KvDim];
        }
    }

    public int Capacity { get; }

    public int KvDim { get; }

    /// <summary>Bytes held.</summary>
    public long Bytes => 2L * _keys.Length * Capacity * KvDim * 2;

    /// <summary>A layer's key rows, [Capacity, KvDim].</summary>
    public Span<Half> Keys(int layer) => _keys[layer];

    /// <summary>A layer's value rows, [Capacity, KvDim].</summary>
    public Span<Half> Values(int layer) => _values[layer];
}
