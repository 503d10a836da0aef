using System.Diagnostics.CodeAnalysis;

namespace BitNative.Formats.Safetensors;

/// <summary>
/// One safetensors file, memory-mapped: the header is parsed and validated when it is opened, tensor
/// bytes stay in the mapping until a span from <see cref="GetTensorData(SafetensorsTensorInfo)"/> is touched.
/// </summary>
/// <remarks>
/// A malformed, truncated or hostile file makes <see cref="Open"/> throw one
/// <see cref="BitNativeFormatException"/>. Spans point into the mapping and must not be used after
/// <see cref="Dispose"/>. For sharded checkpoints use <see cref="SafetensorsCheckpoint"/>.
/// </remarks>
public sealed class SafetensorsFile : IDisposable
{
    private readonly IByteSource _source;
    private readonly SafetensorsTensorInfo[] _tensors;
    private readonly Dictionary<string, SafetensorsTensorInfo> _tensorsByName;

    private SafetensorsFile(IByteSource source, string filePath, SafetensorsLayout layout)
    {
        _source = source;
        FilePath = filePath;
        DataOffset = layout.DataOffset;
        Metadata = layout.Metadata;
        _tensors = layout.Tensors;
        _tensorsByName = _tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The path the file was opened from.</summary>
    public string FilePath { get; }

    /// <summary>Absolute offset of the data section (8 + header length).</summary>
    public long DataOffset { get; }

    /// <summary>Length of the file in bytes.</summary>
    public long FileLength => _source.Length;

    /// <summary>The header's <c>__metadata__</c> (string to string; empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in data order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors => _tensors;

    /// <summary>Opens, memory-maps and validates a safetensors file.</summary>
    /// <param name="path">Path of the .safetensors file.</param>
    /// <exception cref="BitNativeFormatException">The file is not a valid safetensors file BitNative can read.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return OpenSource(ByteSource.OpenFile(path), path);
    }

    /// <summary>Parses a file already held in memory (tests); <paramref name="displayPath"/> names it in errors.</summary>
    internal static SafetensorsFile Parse(byte[] bytes, string displayPath) => OpenSource(new ByteArraySource(bytes), displayPath);

    private static SafetensorsFile OpenSource(IByteSource source, string path)
    {
        try
        {
            return new SafetensorsFile(source, path, SafetensorsHeaderParser.Parse(source, path));
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Finds a tensor by name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="tensor">The tensor info, when found.</param>
    public bool TryGetTensor(string name, [MaybeNullWhen(false)] out SafetensorsTensorInfo tensor) =>
        _tensorsByName.TryGetValue(name, out tensor);

    /// <summary>Gets a tensor by name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <exception cref="BitNativeFormatException">The file has no such tensor.</exception>
    public SafetensorsTensorInfo GetTensor(string name) =>
        _tensorsByName.TryGetValue(name, out SafetensorsTensorInfo? tensor)
            ? tensor
            : throw BitNativeFormatException.Create("safetensors", FilePath, $"required tensor '{name}' is missing");

    /// <summary>The bytes of a tensor (<see cref="TensorInfo.ByteSize"/> bytes, little-endian), without copying.</summary>
    /// <param name="tensor">A tensor info of this file.</param>
    /// <exception cref="BitNativeFormatException">The tensor is 2 GiB or larger and cannot be one span.</exception>
    /// <exception cref="ArgumentException">The info belongs to another file.</exception>
    /// <exception cref="ObjectDisposedException">The file has been disposed.</exception>
    public ReadOnlySpan<byte> GetTensorData(SafetensorsTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_tensorsByName.TryGetValue(tensor.Name, out SafetensorsTensorInfo? own) || !ReferenceEquals(own, tensor))
        {
            throw new ArgumentException($"Tensor '{tensor.Name}' does not belong to '{FilePath}'.", nameof(tensor));
        }

        if (tensor.ByteSize > int.MaxValue)
        {
            throw BitNativeFormatException.Create("safetensors", FilePath,
                $"tensor '{tensor.Name}' is {tensor.ByteSize} bytes; tensors of 2 GiB or more cannot be read as one span",
                tensor.FileOffset, $"tensor '{tensor.Name}'");
        }

        return _source.GetSpan(tensor.FileOffset, (int)tensor.ByteSize);
    }

    /// <summary>The bytes of the named tensor, without copying.</summary>
    /// <param name="name">The tensor name.</param>
    /// <exception cref="BitNativeFormatException">The tensor is missing or 2 GiB or larger.</exception>
    public ReadOnlySpan<byte> GetTensorData(string name) => GetTensorData(GetTensor(name));

    /// <summary>Unmaps the file. Spans obtained earlier must no longer be used.</summary>
    public void Dispose() => _source.Dispose();
}
