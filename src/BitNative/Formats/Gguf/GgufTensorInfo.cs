namespace BitNative.Formats.Gguf;

/// <summary>
/// Where and how one tensor is stored in a GGUF file. Every field has been validated against the
/// type table and the file length when the file was opened.
/// </summary>
public sealed class GgufTensorInfo
{
    private readonly long[] _dimensions;

    internal GgufTensorInfo(string name, GgmlType type, long[] dimensions, long elementCount, long byteSize, long offset, long fileOffset)
    {
        Name = name;
        Type = type;
        _dimensions = dimensions;
        ElementCount = elementCount;
        ByteSize = byteSize;
        Offset = offset;
        FileOffset = fileOffset;
    }

    /// <summary>The tensor's name, for example "blk.0.attn_q.weight" (at most 63 UTF-8 bytes).</summary>
    public string Name { get; }

    /// <summary>The element type (the id the file stores).</summary>
    public GgmlType Type { get; }

    /// <summary>The layout the id means in this file (see <see cref="GgmlTypeTable.Candidates"/>).</summary>
    internal GgmlTypeTraits Traits { get; init; } = null!;

    /// <summary>The layout's name: the type's, or a fork's layout under the same id (Q2_0_G128).</summary>
    public string TypeName => Traits?.Name ?? Type.ToString();

    /// <summary>
    /// The shape in GGUF order: ne0 (the contiguous row length) first, then ne1 (rows), ne2, ne3.
    /// Between 1 and 4 entries, each &gt; 0.
    /// </summary>
    public IReadOnlyList<long> Dimensions => _dimensions;

    /// <summary>Product of the dimensions.</summary>
    public long ElementCount { get; }

    /// <summary>
    /// Bytes the tensor occupies (without alignment padding). For I2_S this is ElementCount/4 bytes of
    /// codes followed by 32 bytes: the float32 per-tensor scale and zero padding.
    /// </summary>
    public long ByteSize { get; }

    /// <summary>Offset of the data relative to the start of the data section, as stored in the file.</summary>
    public long Offset { get; }

    /// <summary>Absolute offset of the data in the file.</summary>
    public long FileOffset { get; }

    /// <summary>A one-line description: name, type, shape and size.</summary>
    public override string ToString() => $"{Name} {TypeName} [{string.Join(", ", _dimensions)}] {ByteSize} bytes";
}
