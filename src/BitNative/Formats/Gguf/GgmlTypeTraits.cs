using BitNative.Kernels;

namespace BitNative.Formats.Gguf;

/// <summary>One row of the type table: how a <see cref="GgmlType"/> lays out its elements.</summary>
/// <param name="Type">The ggml type id.</param>
/// <param name="BlockSize">Elements per block; a row (ne0) must hold a whole number of blocks.</param>
/// <param name="BlockBytes">Bytes per block.</param>
/// <param name="TensorTrailerBytes">
/// Bytes stored after the packed blocks of a whole tensor (I2_S: one float32 scale and 28 zero bytes).
/// </param>
/// <param name="Name">The name ggml and the GGUF tools print (Q4_0, TQ2_0, I2_S; a second layout under one id is named
/// after its weight type, e.g. Q2_0_G128).</param>
/// <param name="Layout">The weight type of the native traits table this row comes from, or null for a file-only type.</param>
internal sealed record GgmlTypeTraits(GgmlType Type, int BlockSize, int BlockBytes, int TensorTrailerBytes, string Name,
    WeightType? Layout = null)
{
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
/// The type table: every tensor type BitNative reads, and the ids it refuses with a reason. The weight types come from
/// the native library's traits table (<see cref="WeightTypes"/>: one row per type, geometry and GGUF id included), so
/// a weight type added there is read from files with no change here; this table adds only the types no kernel reads.
/// </summary>
/// <remarks>
/// I2_S: bitnet.cpp's fork declares it with blck_size 1 / type_size 1 and special-cases ggml_nbytes to n/4 + 32. The
/// codes really are 128-weight blocks of 32 bytes (x86 layout of the published files), so the traits say so, and the
/// 32-byte tail (float32 scale + zero padding) is the trailer. Requiring ne0 % 128 == 0 matches every published I2_S
/// model (2560, 6912, 1536, 3200 ...) and what the kernels need.
/// </remarks>
internal static class GgmlTypeTable
{
    /// <summary>Types files hold that no kernel reads as weights (indices and other side data).</summary>
    private static readonly GgmlTypeTraits[] FileOnly =
    [
        new(GgmlType.I32, BlockSize: 1, BlockBytes: 4, TensorTrailerBytes: 0, "I32"),
    ];

    /// <summary>
    /// Every row, ordered by id; rows that share an id (forks that reused it: upstream Q2_0 and PrismML's 128-weight
    /// Q2_0 under 42) keep the weight-type order, the first being the id's primary meaning.
    /// </summary>
    private static readonly GgmlTypeTraits[] Rows = BuildRows();

    private static GgmlTypeTraits[] BuildRows()
    {
        var rows = new List<GgmlTypeTraits>(FileOnly);
        foreach (WeightTypeInfo w in WeightTypes.All.Where(w => w.GgmlType is not null && FileOnly.All(f => (int)f.Type != w.GgmlType)))
        {
            var id = (GgmlType)w.GgmlType!.Value;
            bool primary = rows.All(r => r.Type != id);
            string name = primary && Enum.IsDefined(id) ? id.ToString() : w.Name.ToUpperInvariant();
            rows.Add(new GgmlTypeTraits(id, w.BlockWeights, w.BlockBytes, w.TensorTrailerBytes, name, w.Type));
        }

        return rows.OrderBy(r => r.Type).ToArray(); // a stable sort: shared ids keep their order
    }

    /// <summary>Looks up a raw type id read from a file: its primary meaning.</summary>
    public static bool TryGet(uint id, out GgmlTypeTraits traits)
    {
        traits = Rows.FirstOrDefault(r => (uint)r.Type == id)!;
        return traits is not null;
    }

    /// <summary>Every layout a raw type id may mean, the primary first (empty for an id the table does not know).</summary>
    public static IReadOnlyList<GgmlTypeTraits> Candidates(uint id) => Rows.Where(r => (uint)r.Type == id).ToArray();

    /// <summary>The row of a weight type (its GGUF id and geometry); throws when no file stores that type.</summary>
    public static GgmlTypeTraits Of(WeightType layout) =>
        Rows.FirstOrDefault(r => r.Layout == layout)
        ?? throw new ArgumentOutOfRangeException(nameof(layout), layout, "No GGUF type stores this weight type.");

    /// <summary>Looks up a type from the enum; throws <see cref="ArgumentOutOfRangeException"/> for a value not in the table.</summary>
    public static GgmlTypeTraits Get(GgmlType type) =>
        TryGet((uint)type, out GgmlTypeTraits traits)
            ? traits
            : throw new ArgumentOutOfRangeException(nameof(type), type, "Not a tensor type BitNative supports.");

    /// <summary>Explains why an id is not accepted (for ids <see cref="TryGet"/> does not know).</summary>
    public static string DescribeUnsupported(uint id) => id switch
    {
        40 =>
            "type id 40 is ambiguous: upstream llama.cpp uses it for NVFP4 and PrismML's fork for one of its Q1_0 variants; " +
            "BitNative reads neither — use a file with upstream Q1_0 (41), Q2_0 (42) or a ternary type",
        37 or 38 or 39 =>
            $"type id {id} is ambiguous: bitnet.cpp's llama.cpp fork uses 37/38/39 for I8_S/TL1/TL2 " +
            "(layouts tied to its per-shape code generation) while upstream llama.cpp uses 39 for MXFP4; " +
            "BitNative reads neither — re-export the model with I2_S, TQ1_0 or TQ2_0 weights",
        _ => $"type id {id} is not a tensor type BitNative reads (supported: {SupportedList})",
    };

    private static string SupportedList => string.Join(", ", Rows.Select(r => $"{r.Name}({(uint)r.Type})"));
}
