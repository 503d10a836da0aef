using BitNative.Authoring;
using BitNative.Formats.Safetensors;
using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace BitNative.Authoring.Safetensors;

/// <summary>
/// Builds a safetensors file: 8-byte little-endian header length, the JSON header (padded with spaces
/// to a multiple of 8 bytes, as the reference writer does), then the tensors back to back in the order
/// added. Used to produce test checkpoints and converted weights.
/// </summary>
/// <remarks>
/// Tensor data comes from a span (copied when added) or from a callback that writes straight to the
/// output, so large checkpoints never sit in memory. Files it writes open with <see cref="SafetensorsFile.Open"/>.
/// </remarks>
public sealed class SafetensorsWriter
{
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    private sealed record PendingTensor(
        string Name, SafetensorsDType DType, long[] Shape, long ByteSize, byte[]? Data, Action<Stream>? WriteData);

    /// <summary>Bytes a tensor of this dtype and shape occupies: what a data callback must write.</summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The shape (empty for a scalar; dimensions &gt;= 0).</param>
    /// <exception cref="ArgumentException">A dimension is negative or the size overflows.</exception>
    public static long GetTensorByteSize(SafetensorsDType dtype, ReadOnlySpan<long> shape)
    {
        int size = SafetensorsDTypes.Size(dtype);
        long elements = 1;
        foreach (long d in shape)
        {
            if (d < 0 || (d != 0 && elements > long.MaxValue / d))
            {
                throw new ArgumentException($"Invalid shape [{string.Join(", ", shape.ToArray())}].", nameof(shape));
            }

            elements *= d;
        }

        return elements <= long.MaxValue / size
            ? elements * size
            : throw new ArgumentException($"Shape [{string.Join(", ", shape.ToArray())}] is too large.", nameof(shape));
    }

    /// <summary>Adds a <c>__metadata__</c> entry.</summary>
    /// <param name="key">The key (unique).</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public SafetensorsWriter AddMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!_metadata.TryAdd(key, value))
        {
            throw new ArgumentException($"Metadata key '{key}' was already added.", nameof(key));
        }

        return this;
    }

    /// <summary>Adds a tensor whose bytes are given now (copied).</summary>
    /// <param name="name">Unique, non-empty name not starting with "__".</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The shape, outermost first.</param>
    /// <param name="data">Exactly <see cref="GetTensorByteSize"/> bytes, little-endian.</param>
    /// <returns>This writer.</returns>
    public SafetensorsWriter AddTensor(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> data)
    {
        long byteSize = Validate(name, dtype, shape);
        if (data.Length != byteSize)
        {
            throw new ArgumentException($"Tensor '{name}' needs {byteSize} bytes, got {data.Length}.", nameof(data));
        }

        return AddPending(new PendingTensor(name, dtype, shape.ToArray(), byteSize, data.ToArray(), null));
    }

    /// <summary>
    /// Adds a tensor whose bytes <paramref name="writeData"/> writes to the output during
    /// <see cref="WriteTo(Stream)"/> (exactly <see cref="GetTensorByteSize"/> bytes).
    /// </summary>
    /// <param name="name">Unique, non-empty name not starting with "__".</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The shape, outermost first.</param>
    /// <param name="writeData">Writes the tensor's bytes.</param>
    /// <returns>This writer.</returns>
    public SafetensorsWriter AddTensor(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(writeData);
        long byteSize = Validate(name, dtype, shape);
        return AddPending(new PendingTensor(name, dtype, shape.ToArray(), byteSize, null, writeData));
    }

    /// <summary>Writes the file to <paramref name="path"/> (replacing it); a partly written file is deleted on failure.</summary>
    /// <param name="path">Destination path.</param>
    public void WriteTo(string path) => OutputFile.Write(path, WriteTo);

    /// <summary>Writes the file to <paramref name="stream"/>; the stream need not be seekable and is left open.</summary>
    /// <param name="stream">A writable stream.</param>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] header = BuildHeader();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (PendingTensor tensor in _tensors)
        {
            if (tensor.Data is { } data)
            {
                stream.Write(data);
                continue;
            }

            var bounded = new BoundedWriteStream(stream, tensor.ByteSize, $"tensor '{tensor.Name}'");
            tensor.WriteData!(bounded);
            bounded.EnsureComplete();
        }

        stream.Flush();
    }

    private byte[] BuildHeader()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach ((string key, string value) in _metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (PendingTensor tensor in _tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", SafetensorsDTypes.Name(tensor.DType));
                json.WriteStartArray("shape");
                foreach (long d in tensor.Shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(checked(offset + tensor.ByteSize));
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.ByteSize;
            }

            json.WriteEndObject();
        }

        // Pad with spaces so the data section starts 8-byte aligned (JSON allows trailing whitespace).
        int padded = (buffer.WrittenCount + 8 + 7) / 8 * 8 - 8;
        if (padded > SafetensorsHeaderParser.MaxHeaderBytes)
        {
            throw new InvalidOperationException($"The header would be {padded} bytes, more than the {SafetensorsHeaderParser.MaxHeaderBytes} readers accept.");
        }

        byte[] header = new byte[padded];
        header.AsSpan().Fill((byte)' ');
        buffer.WrittenSpan.CopyTo(header);
        return header;
    }

    private long Validate(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.StartsWith("__", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Tensor names starting with \"__\" are reserved: '{name}'.", nameof(name));
        }

        if (_names.Contains(name))
        {
            throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        }

        if (shape.Length > SafetensorsHeaderParser.MaxRank)
        {
            throw new ArgumentException($"Tensor '{name}' has more than {SafetensorsHeaderParser.MaxRank} dimensions.", nameof(shape));
        }

        return GetTensorByteSize(dtype, shape);
    }

    private SafetensorsWriter AddPending(PendingTensor tensor)
    {
        if (_tensors.Count >= SafetensorsHeaderParser.MaxTensorCount)
        {
            throw new InvalidOperationException($"A safetensors file holds at most {SafetensorsHeaderParser.MaxTensorCount} tensors here.");
        }

        _names.Add(tensor.Name);
        _tensors.Add(tensor);
        return this;
    }
}
