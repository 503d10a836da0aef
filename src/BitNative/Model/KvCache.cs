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
        CheckCapacity(config, capacity, type, 1, nameof(capacity));
        Capacity = capacity;
        Type = type;
        KvDim = config.KvDim;
        RowBytes = config.KvRowBytes(type);
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

    /// <summary>
    /// Throws before anything is allocated if <paramref name="count"/> caches of <paramref name="capacity"/> positions in
    /// <paramref name="type"/> cannot exist: a layer's rows must fit one .NET array, and all of them the memory this process
    /// may use. (Without the check, a huge context is an OverflowException from deep inside, or the machine swaps until the
    /// OS kills us.)
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The caches would not fit; <paramref name="paramName"/> names the setting.</exception>
    public static void CheckCapacity(ModelConfig config, int capacity, KvCacheType type, int count, string paramName)
    {
        long rowBytes = config.KvRowBytes(type);
        long perLayer = capacity * rowBytes;
        long bytes = config.KvCacheBytes(capacity, type) * count;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        string need = $"{capacity} positions x {config.BlockCount} layers x {rowBytes} bytes ({type}) x K and V" +
                      (count > 1 ? $" x {count} sequences" : "") + $" = {bytes / (1024.0 * 1024 * 1024):F2} GiB of KV cache";
        if (perLayer > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(paramName,
                $"A context of {capacity} positions is too large: a layer's cache would hold {perLayer} bytes, more than the {Array.MaxLength} " +
                $"an array can ({need}); at most {Array.MaxLength / rowBytes} positions.");
        }

        if (bytes > available)
        {
            throw new ArgumentOutOfRangeException(paramName,
                $"A context of {capacity} positions needs {need}, more than the {available / (1024.0 * 1024 * 1024):F2} GiB of memory " +
                "this process may use.");
        }
    }

    /// <summary>A layer's key rows, [Capacity, RowBytes].</summary>
    public Span<byte> Keys(int layer) => _keys[layer];

    /// <summary>A layer's value rows, [Capacity, RowBytes].</summary>
    public Span<byte> Values(int layer) => _values[layer];
}
