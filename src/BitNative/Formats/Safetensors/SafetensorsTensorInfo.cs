namespace BitNative.Formats.Safetensors;

/// <summary>Where and how one tensor is stored in a safetensors file; validated when the file was opened.</summary>
public sealed class SafetensorsTensorInfo
{
    private readonly long[] _shape;

    internal SafetensorsTensorInfo(string name, SafetensorsDType dtype, long[] shape, long elementCount, long byteSize, long offset, long fileOffset)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        ElementCount = elementCount;
        ByteSize = byteSize;
        Offset = offset;
        FileOffset = fileOffset;
    }

    /// <summary>The tensor's name, for example "model.layers.0.self_attn.q_proj.weight".</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>The shape in PyTorch order (outermost first; the last dimension is contiguous). Empty for a scalar.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>Product of the shape (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Bytes of data: ElementCount times the dtype size.</summary>
    public long ByteSize { get; }

    /// <summary>Offset of the data relative to the start of the data section (the header's data_offsets[0]).</summary>
    public long Offset { get; }

    /// <summary>Absolute offset of the data in the file.</summary>
    public long FileOffset { get; }

    /// <summary>A one-line description: name, dtype, shape and size.</summary>
    public override string ToString() => $"{Name} {DType} [{string.Join(", ", _shape)}] {ByteSize} bytes";
}
