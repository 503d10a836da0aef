namespace BitNative.Formats.Gguf;

/// <summary>
/// Format constants and the sanity caps the reader enforces (and the writer respects, so every file it
/// writes can be read back). The caps are far above any real model: 2B-4T has 332 tensors, ~30 keys,
/// 128 256 tokens and ~280 000 merges, and its chat template is ~10 KB.
/// </summary>
internal static class GgufLimits
{
    /// <summary>"GGUF" as the first four bytes of the file.</summary>
    public static ReadOnlySpan<byte> Magic => "GGUF"u8;

    /// <summary>magic (4) + version (4) + tensor count (8) + key/value count (8).</summary>
    public const int HeaderBytes = 24;

    /// <summary>The version this library writes; it reads 2 and 3 (same layout, v3 adds the endianness rule).</summary>
    public const uint WriteVersion = 3;

    public const uint DefaultAlignment = 32;

    /// <summary>Largest accepted <c>general.alignment</c>: 1 MiB.</summary>
    public const uint MaxAlignment = 1 << 20;

    public const int MaxTensorCount = 65536;

    public const int MaxKeyValueCount = 65536;

    /// <summary>Longest string (key, value or array element): 16 MiB.</summary>
    public const int MaxStringBytes = 16 << 20;

    /// <summary>Most elements in one array: 2^24.</summary>
    public const int MaxArrayElements = 1 << 24;

    /// <summary>ggml's GGML_MAX_NAME is 64 including the terminating zero.</summary>
    public const int MaxTensorNameBytes = 63;

    /// <summary>ggml's GGML_MAX_DIMS.</summary>
    public const int MaxDimensions = 4;

    /// <summary>Smallest possible key/value pair: key length (8) + 1-byte key + value type (4) + 1-byte value.</summary>
    public const int MinKeyValueBytes = 8 + 1 + 4 + 1;

    /// <summary>Smallest possible tensor info: name length (8) + 1-byte name + n_dims (4) + one dim (8) + type (4) + offset (8).</summary>
    public const int MinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;

    /// <summary>Rounds <paramref name="value"/> up to a multiple of <paramref name="alignment"/> (a power of two); the caller guarantees no overflow.</summary>
    public static long AlignUp(long value, uint alignment) => (value + (alignment - 1)) & ~((long)alignment - 1);
}
