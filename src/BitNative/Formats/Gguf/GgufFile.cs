using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace BitNative.Formats.Gguf;

/// <summary>
/// A GGUF model file (versions 2 and 3), memory-mapped: metadata and tensor infos are parsed and
/// validated when it is opened, tensor bytes stay in the mapping and are read by the OS only when a
/// span returned by <see cref="GetTensorData(GgufTensorInfo)"/> is touched.
/// </summary>
/// <remarks>
/// A malformed, truncated or hostile file makes <see cref="Open"/> throw one
/// <see cref="BitNativeFormatException"/> naming the file, the problem and where it is. Spans returned
/// by this class point into the mapping and must not be used after <see cref="Dispose"/>.
/// Instances are safe to read from several threads once opened.
/// </remarks>
public sealed class GgufFile : IDisposable
{
    private readonly IByteSource _source;
    private readonly GgufTensorInfo[] _tensors;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;

    private GgufFile(IByteSource source, string filePath, GgufLayout layout)
    {
        _source = source;
        FilePath = filePath;
        Version = layout.Version;
        Alignment = layout.Alignment;
        DataOffset = layout.DataOffset;
        Metadata = layout.Metadata;
        _tensors = layout.Tensors;
        _tensorsByName = _tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The path the file was opened from.</summary>
    public string FilePath { get; }

    /// <summary>The GGUF version stored in the header: 2 or 3.</summary>
    public uint Version { get; }

    /// <summary>Alignment of the data section and of every tensor: <c>general.alignment</c>, or 32 when absent.</summary>
    public uint Alignment { get; }

    /// <summary>Absolute offset of the data section (tensor offsets are relative to it).</summary>
    public long DataOffset { get; }

    /// <summary>Length of the file in bytes.</summary>
    public long FileLength => _source.Length;

    /// <summary>The key/value metadata in file order, with typed getters.</summary>
    public GgufMetadata Metadata { get; }

    /// <summary>The tensor infos in file order (which is also data order).</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors => _tensors;

    /// <summary>Opens, memory-maps and validates a GGUF file.</summary>
    /// <param name="path">Path of the .gguf file.</param>
    /// <exception cref="BitNativeFormatException">The file is not a valid GGUF v2/v3 file BitNative can read.</exception>
    /// <exception cref="IOException">The file cannot be opened (missing, no permission, ...).</exception>
    public static GgufFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return OpenSource(ByteSource.OpenFile(path), path);
    }

    /// <summary>Parses a file already held in memory (tests and tiny files); <paramref name="displayPath"/> names it in errors.</summary>
    internal static GgufFile Parse(byte[] bytes, string displayPath) => OpenSource(new ByteArraySource(bytes), displayPath);

    private static GgufFile OpenSource(IByteSource source, string path)
    {
        try
        {
            return new GgufFile(source, path, GgufParser.Parse(source, path));
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Finds a tensor by name.</summary>
    /// <param name="name">The tensor name, for example "token_embd.weight".</param>
    /// <param name="tensor">The tensor info, when found.</param>
    public bool TryGetTensor(string name, [MaybeNullWhen(false)] out GgufTensorInfo tensor) =>
        _tensorsByName.TryGetValue(name, out tensor);

    /// <summary>Gets a tensor by name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <exception cref="BitNativeFormatException">The file has no such tensor.</exception>
    public GgufTensorInfo GetTensor(string name) =>
        _tensorsByName.TryGetValue(name, out GgufTensorInfo? tensor)
            ? tensor
            : throw BitNativeFormatException.Create("GGUF", FilePath, $"required tensor '{name}' is missing");

    /// <summary>The bytes of a tensor as stored (<see cref="TensorInfo.ByteSize"/> bytes), without copying.</summary>
    /// <param name="tensor">A tensor info of this file.</param>
    /// <exception cref="BitNativeFormatException">The tensor is 2 GiB or larger and cannot be one span.</exception>
    /// <exception cref="ArgumentException">The info belongs to another file.</exception>
    /// <exception cref="ObjectDisposedException">The file has been disposed.</exception>
    public ReadOnlySpan<byte> GetTensorData(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_tensorsByName.TryGetValue(tensor.Name, out GgufTensorInfo? own) || !ReferenceEquals(own, tensor))
        {
            throw new ArgumentException($"Tensor '{tensor.Name}' does not belong to '{FilePath}'.", nameof(tensor));
        }

        // Every tensor of a 2B model is far below 2 GiB; spans are int-indexed, so refuse rather than truncate.
        if (tensor.ByteSize > int.MaxValue)
        {
            throw BitNativeFormatException.Create("GGUF", FilePath,
                $"tensor '{tensor.Name}' is {tensor.ByteSize} bytes; tensors of 2 GiB or more cannot be read as one span",
                tensor.FileOffset, $"tensor '{tensor.Name}'");
        }

        return _source.GetSpan(tensor.FileOffset, (int)tensor.ByteSize);
    }

    /// <summary>
    /// The bytes of a tensor as memory that can be kept (model weights hold it): valid until this file is disposed.
    /// </summary>
    /// <exception cref="BitNativeFormatException">The tensor is 2 GiB or larger.</exception>
    internal ReadOnlyMemory<byte> GetTensorMemory(GgufTensorInfo tensor)
    {
        _ = GetTensorData(tensor); // ownership and size checks
        return _source.GetMemory(tensor.FileOffset, (int)tensor.ByteSize);
    }

    /// <summary>
    /// Drops a tensor's file pages from the process's resident memory once the model has converted it (repacked, or
    /// quantized to another type) and reads only its own copy: the peak resident memory then holds one copy, not two.
    /// </summary>
    internal void ReleaseTensorPages(GgufTensorInfo tensor) => ReleaseTensorPages(tensor, 0, tensor.ByteSize);

    /// <summary>As <see cref="ReleaseTensorPages(GgufTensorInfo)"/> for bytes [start, start + length) of the tensor.</summary>
    internal void ReleaseTensorPages(GgufTensorInfo tensor, long start, long length)
    {
        _ = GetTensorData(tensor); // ownership and size checks
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, tensor.ByteSize - start);
        _source.ReleasePages(tensor.FileOffset + start, length);
    }

    /// <summary>The bytes of the named tensor as stored, without copying.</summary>
    /// <param name="name">The tensor name.</param>
    /// <exception cref="BitNativeFormatException">The tensor is missing or 2 GiB or larger.</exception>
    public ReadOnlySpan<byte> GetTensorData(string name) => GetTensorData(GetTensor(name));

    /// <summary>
    /// The per-tensor scale of an I2_S tensor: the float32 stored right after its ElementCount/4 bytes of
    /// codes (bitnet.cpp writes mean |W| of the master weights there).
    /// </summary>
    /// <param name="tensor">An I2_S tensor of this file.</param>
    /// <exception cref="ArgumentException">The tensor is not I2_S or belongs to another file.</exception>
    public float GetI2SScale(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Type != GgmlType.I2_S)
        {
            throw new ArgumentException($"Tensor '{tensor.Name}' is {tensor.Type}, not I2_S.", nameof(tensor));
        }

        ReadOnlySpan<byte> data = GetTensorData(tensor);
        return BinaryPrimitives.ReadSingleLittleEndian(data.Slice((int)(tensor.ElementCount / 4), sizeof(float)));
    }

    /// <summary>Unmaps the file. Spans obtained earlier must no longer be used.</summary>
    public void Dispose() => _source.Dispose();
}
