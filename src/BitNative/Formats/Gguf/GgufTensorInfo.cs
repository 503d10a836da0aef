namespace BitNative.Formats.Gguf;

/// <summary>
/// Where and how one tensor is stored in a GGUF file. Every field has been validated against the
/// type table and the file length when the file was opened. For I2_S, <see cref="TensorInfo.ByteSize"/> is
/// ElementCount/4 bytes of codes followed by 32 bytes: the float32 per-tensor scale and zero padding.
/// </summary>
public sealed class GgufTensorInfo : TensorInfo
{
    internal GgufTensorInfo(string name, GgmlType type, long[] dimensions, long elementCount, long byteSize, long offset, long fileOffset)
        : base(name, dimensions, elementCount, byteSize, offset, fileOffset)
    {
        Type = type;
    }

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
    public IReadOnlyList<long> Dimensions => StoredShape;

    private protected override string TypeText => TypeName;
}
