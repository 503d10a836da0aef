namespace BitNative.Formats;

/// <summary>
/// Where and how one tensor is stored in a model file, whatever the format: its name, element type, shape and size,
/// and where its data starts. Every field has been validated against the format's type table and the file length
/// when the file was opened.
/// </summary>
/// <param name="name">The tensor's name.</param>
/// <param name="shape">The shape in the format's own order.</param>
/// <param name="elementCount">Product of the shape.</param>
/// <param name="byteSize">Bytes of data, without alignment padding.</param>
/// <param name="offset">Offset of the data relative to the start of the data section, as the file stores it.</param>
/// <param name="fileOffset">Absolute offset of the data in the file.</param>
public abstract class TensorInfo(string name, long[] shape, long elementCount, long byteSize, long offset, long fileOffset)
{
    /// <summary>The tensor's name, as the file stores it.</summary>
    public string Name { get; } = name;

    /// <summary>Product of the shape (1 for a scalar).</summary>
    public long ElementCount { get; } = elementCount;

    /// <summary>Bytes of data the tensor occupies (without alignment padding).</summary>
    public long ByteSize { get; } = byteSize;

    /// <summary>Offset of the data relative to the start of the data section, as stored in the file.</summary>
    public long Offset { get; } = offset;

    /// <summary>Absolute offset of the data in the file.</summary>
    public long FileOffset { get; } = fileOffset;

    /// <summary>The shape in the format's order (see the derived type).</summary>
    private protected IReadOnlyList<long> StoredShape => shape;

    /// <summary>The element type's name, for <see cref="ToString"/>.</summary>
    private protected abstract string TypeText { get; }

    /// <summary>A one-line description: name, type, shape and size.</summary>
    public override string ToString() => $"{Name} {TypeText} [{string.Join(", ", shape)}] {ByteSize} bytes";
}
