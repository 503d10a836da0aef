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
        CheckCapacity(config, capacity, 1, nameof(capacity));
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
    public long Bytes => BytesFor(_keys.Length, Capacity, KvDim);

    /// <summary>
    /// Throws before anything is allocated if <paramref name="count"/> caches of <paramref name="capacity"/> positions
    /// cannot exist: a layer's rows must fit one .NET array, and all of them the memory this process may use. (Without the
    /// check, a huge context is an OverflowException from deep inside, or the machine swaps until the OS kills us.)
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The caches would not fit; <paramref name="paramName"/> names the setting.</exception>
    public static void CheckCapacity(ModelConfig config, int capacity, int count, string paramName)
    {
        long perLayer = (long)capacity * config.KvDim;
        long bytes = BytesFor(config.BlockCount, capacity, config.KvDim) * count;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        string need = $"{capacity} positions x {config.BlockCount} layers x {config.KvDim} values x K and V x 2 bytes" +
                      (count > 1 ? $" x {count} sequences" : "") + $" = {bytes / (1024.0 * 1024 * 1024):F2} GiB of KV cache";
        if (perLayer > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(paramName,
                $"A context of {capacity} positions is too large: a layer's cache would hold {perLayer} values, more than the {Array.MaxLength} " +
                $"an array can ({need}); at most {Array.MaxLength / config.KvDim} positions.");
        }

        if (bytes > available)
        {
            throw new ArgumentOutOfRangeException(paramName,
                $"A context of {capacity} positions needs {need}, more than the {available / (1024.0 * 1024 * 1024):F2} GiB of memory " +
                "this process may use.");
        }
    }

    private static long BytesFor(int layers, int capacity, int kvDim) => 2L * layers * capacity * kvDim * 2; // K and V, fp16

    /// <summary>A layer's key rows, [Capacity, KvDim].</summary>
    public Span<Half> Keys(int layer) => _keys[layer];

    /// <summary>A layer's value rows, [Capacity, KvDim].</summary>
    public Span<Half> Values(int layer) => _values[layer];
}
