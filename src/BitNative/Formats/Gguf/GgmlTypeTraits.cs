namespace BitNative.Formats.Gguf;

/// <summary>One row of the type table: how a <see cref="GgmlType"/> lays out its elements.</summary>
/// <param name="Type">The ggml type id.</param>
/// <param name="BlockSize">Elements per block; a row (ne0) must hold a whole number of blocks.</param>
/// <param name="BlockBytes">Bytes per block.</param>
/// <param name="TensorTrailerBytes">
/// Bytes stored after the packed blocks of a whole tensor (I2_S: one float32 scale and 28 zero bytes).
/// </param>
internal sealed record GgmlTypeTraits(GgmlType Type, int BlockSize, int BlockBytes, int TensorTrailerBytes)
{
    /// <summary>The name ggml and the GGUF tools print (the enum member name).</summary>
    public string Name => Type.ToString();

    /// <summary>
    /// Bytes a tensor of <paramref name="elementCount"/> elements occupies in the data section
    /// (without alignment padding), or -1 when that does not fit in a 64-bit signed integer.
    /// The element count must already be a whole number of blocks.
    /// </summary>
    public long ByteSize(long elementCount)
    {
        long blocks = elementCount / BlockSize;
        if (blocks > (long.MaxValue - TensorTrailerBytes) / BlockBytes)
        {
            return -1;
        }

        return blocks * BlockBytes + TensorTrailerBytes;
    }
}

/// <summary>
/// The type table: every tensor type BitNative reads, and the ids it refuses with a reason.
/// Adding a type means adding one row here (STYLE: "a table describes the types; code does not").
/// </summary>
internal static class GgmlTypeTable
{
    private static readonly GgmlTypeTraits[] Rows =
    [
        new(GgmlType.F32, BlockSize: 1, BlockBytes: 4, TensorTrailerBytes: 0),
        new(GgmlType.F16, BlockSize: 1, BlockBytes: 2, TensorTrailerBytes: 0),
        new(GgmlType.Q4_0, BlockSize: 32, BlockBytes: 18, TensorTrailerBytes: 0),
        new(GgmlType.Q8_0, BlockSize: 32, BlockBytes: 34, TensorTrailerBytes: 0),
        new(GgmlType.Q4_K, BlockSize: 256, BlockBytes: 144, TensorTrailerBytes: 0),
        new(GgmlType.Q5_K, BlockSize: 256, BlockBytes: 176, TensorTrailerBytes: 0),
        new(GgmlType.Q6_K, BlockSize: 256, BlockBytes: 210, TensorTrailerBytes: 0),
        new(GgmlType.BF16, BlockSize: 1, BlockBytes: 2, TensorTrailerBytes: 0),
        new(GgmlType.TQ1_0, BlockSize: 256, BlockBytes: 54, TensorTrailerBytes: 0),
        new(GgmlType.TQ2_0, BlockSize: 256, BlockBytes: 66, TensorTrailerBytes: 0),
        // bitnet.cpp's fork declares I2_S with blck_size 1 / type_size 1 and special-cases
        // ggml_nbytes to n/4 + 32. The codes really are 128-weight blocks of 32 bytes (x86 layout of
        // the published files), so the table says so, and the 32-byte tail (float32 scale + zero
        // padding) is the trailer. Requiring ne0 % 128 == 0 matches every published I2_S model
        // (2560, 6912, 1536, 3200 ...) and what the kernels need.
        new(GgmlType.I2_S, BlockSize: 128, BlockBytes: 32, TensorTrailerBytes: 32),
    ];

    /// <summary>Looks up a raw type id read from a file.</summary>
    public static bool TryGet(uint id, out GgmlTypeTraits traits)
    {
        foreach (GgmlTypeTraits row in Rows)
        {
            if ((uint)row.Type == id)
            {
                traits = row;
                return true;
            }
        }

        traits = null!;
        return false;
    }

    /// <summary>Looks up a type from the enum; throws <see cref="ArgumentOutOfRangeException"/> for a value not in the table.</summary>
    public static GgmlTypeTraits Get(GgmlType type) =>
        TryGet((uint)type, out GgmlTypeTraits traits)
            ? traits
            : throw new ArgumentOutOfRangeException(nameof(type), type, "Not a tensor type BitNative supports.");

    /// <summary>Explains why an id is not accepted (for ids <see cref="TryGet"/> does not know).</summary>
    public static string DescribeUnsupported(uint id) => id switch
    {
        37 or 38 or 39 =>
            $"type id {id} is ambiguous: bitnet.cpp's llama.cpp fork uses 37/38/39 for I8_S/TL1/TL2 " +
            "(layouts tied to its per-shape code generation) while upstream llama.cpp uses 39 for MXFP4; " +
            "BitNative reads neither — re-export the model with I2_S, TQ1_0 or TQ2_0 weights",
        _ => $"type id {id} is not a tensor type BitNative reads (supported: {SupportedList})",
    };

    private static string SupportedList => string.Join(", ", Rows.Select(r => $"{r.Name}({(uint)r.Type})"));
}
