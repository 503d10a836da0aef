namespace BitNative.Formats.Safetensors;

/// <summary>Where and how one tensor is stored in a safetensors file; validated when the file was opened.</summary>
public sealed class SafetensorsTensorInfo : TensorInfo
{
    internal SafetensorsTensorInfo(string name, SafetensorsDType dtype, long[] shape, long elementCount, long byteSize, long offset, long fileOffset)
        : base(name, shape, elementCount, byteSize, offset, fileOffset)
    {
        DType = dtype;
    }

    /// <summary>The element type.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>The shape in PyTorch order (outermost first; the last dimension is contiguous). Empty for a scalar.</summary>
    public IReadOnlyList<long> Shape => StoredShape;

    private protected override string TypeText => DType.ToString();
}
