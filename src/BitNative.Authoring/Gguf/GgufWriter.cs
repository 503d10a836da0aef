using BitNative.Authoring;
using BitNative.Formats.Gguf;
using BitNative.Kernels;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace BitNative.Authoring.Gguf;

/// <summary>
/// Builds a GGUF v3 file the way llama.cpp's gguf writer lays it out: header, key/value pairs in the
/// order added, tensor infos, zero padding to <c>general.alignment</c> (default 32), then each tensor's
/// data followed by zero padding to the alignment; tensor offsets are relative to the data section.
/// </summary>
/// <remarks>
/// Tensor data comes from a span (copied when added; for small tensors) or from a callback that writes
/// straight to the output when <see cref="WriteTo(Stream)"/> runs, so multi-GB models never sit in
/// memory. The writer applies the reader's rules (caps, known key types, tokenizer array lengths, name
/// length, shapes), so every file it writes opens with <see cref="GgufFile.Open"/> and with llama.cpp.
/// Dimensions are written exactly as given (llama.cpp would drop trailing 1s; both forms read the same).
/// </remarks>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly Dictionary<string, GgufValue> _metadataByKey = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    private sealed record PendingTensor(
        string Name, GgmlType Type, long[] Dimensions, long ByteSize, byte[]? Data, Action<Stream>? WriteData);

    /// <summary>Alignment of the data section and tensors: the <c>general.alignment</c> added so far, or 32.</summary>
    public uint Alignment =>
        _metadataByKey.TryGetValue(GgufKnownKeys.Alignment, out GgufValue? a) ? a.AsUInt32() : GgufLimits.DefaultAlignment;

    /// <summary>
    /// Bytes a tensor of this type and shape occupies in a GGUF file (without alignment padding):
    /// what a data callback must write. For I2_S: ElementCount/4 bytes of codes, then 32 bytes holding
    /// the float32 per-tensor scale followed by zeros.
    /// </summary>
    /// <param name="type">The tensor type.</param>
    /// <param name="dimensions">The shape, ne0 first (1 to 4 positive values; ne0 a multiple of the type's block).</param>
    /// <exception cref="ArgumentException">The shape is invalid for the type.</exception>
    public static long GetTensorByteSize(GgmlType type, ReadOnlySpan<long> dimensions) =>
        ValidateShape(type, dimensions, nameof(dimensions)).ByteSize;

    /// <summary>Adds a key/value pair.</summary>
    /// <param name="key">A non-empty key, unique in the file.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer, for chaining.</returns>
    /// <exception cref="ArgumentException">
    /// The key is empty or already present, a string or array exceeds the reader's caps, or a known key
    /// (for example <c>general.alignment</c>, which must be a u32 power of two up to 1 MiB) has the wrong
    /// type or an inconsistent value.
    /// </exception>
    public GgufWriter Add(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        CheckStringLength(key, nameof(key));
        if (_metadataByKey.ContainsKey(key))
        {
            throw new ArgumentException($"Key '{key}' was already added.", nameof(key));
        }

        if (_metadata.Count >= GgufLimits.MaxKeyValueCount)
        {
            throw new InvalidOperationException($"A GGUF file holds at most {GgufLimits.MaxKeyValueCount} key/value pairs.");
        }

        CheckValue(key, value);
        if (GgufKnownKeys.FindProblem(k => k == key ? value : _metadataByKey.GetValueOrDefault(k)) is { } problem)
        {
            throw new ArgumentException($"Cannot add '{key}': {problem.Problem}.", nameof(value));
        }

        _metadata.Add(new(key, value));
        _metadataByKey.Add(key, value);
        return this;
    }

    /// <summary>Adds a u8 value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddUInt8(string key, byte value) => Add(key, GgufValue.FromUInt8(value));

    /// <summary>Adds an i8 value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddInt8(string key, sbyte value) => Add(key, GgufValue.FromInt8(value));

    /// <summary>Adds a u16 value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddUInt16(string key, ushort value) => Add(key, GgufValue.FromUInt16(value));

    /// <summary>Adds an i16 value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddInt16(string key, short value) => Add(key, GgufValue.FromInt16(value));

    /// <summary>Adds a u32 value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddUInt32(string key, uint value) => Add(key, GgufValue.FromUInt32(value));

    /// <summary>Adds an i32 value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddInt32(string key, int value) => Add(key, GgufValue.FromInt32(value));

    /// <summary>Adds an f32 value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddFloat32(string key, float value) => Add(key, GgufValue.FromFloat32(value));

    /// <summary>Adds a bool value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddBool(string key, bool value) => Add(key, GgufValue.FromBool(value));

    /// <summary>Adds a string value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddString(string key, string value) => Add(key, GgufValue.FromString(value));

    /// <summary>Adds a u64 value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddUInt64(string key, ulong value) => Add(key, GgufValue.FromUInt64(value));

    /// <summary>Adds an i64 value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddInt64(string key, long value) => Add(key, GgufValue.FromInt64(value));

    /// <summary>Adds an f64 value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddFloat64(string key, double value) => Add(key, GgufValue.FromFloat64(value));

    /// <summary>Adds a typed scalar array (see <see cref="GgufValue.FromArray{T}"/> for the element types).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="values">The elements; copied.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddArray<T>(string key, ReadOnlySpan<T> values)
        where T : unmanaged => Add(key, GgufValue.FromArray(values));

    /// <summary>Adds a string array.</summary>
    /// <param name="key">The key.</param>
    /// <param name="values">The elements; copied.</param>
    /// <returns>This writer.</returns>
    public GgufWriter AddStringArray(string key, IEnumerable<string> values) => Add(key, GgufValue.FromStringArray(values));

    /// <summary>Adds a tensor whose bytes are given now (copied; meant for small tensors).</summary>
    /// <param name="name">Unique name of at most 63 UTF-8 bytes.</param>
    /// <param name="type">The element type.</param>
    /// <param name="dimensions">The shape in GGUF order (ne0, the row length, first; 1 to 4 positive values).</param>
    /// <param name="data">Exactly <see cref="GetTensorByteSize"/> bytes.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">The name, shape or data length is invalid.</exception>
    public GgufWriter AddTensor(string name, GgmlType type, ReadOnlySpan<long> dimensions, ReadOnlySpan<byte> data)
    {
        (long[] dims, long byteSize) = ValidateTensor(name, type, dimensions);
        if (data.Length != byteSize)
        {
            throw new ArgumentException(
                $"Tensor '{name}' ({type} [{string.Join(", ", dims)}]) needs {byteSize} bytes, got {data.Length}.", nameof(data));
        }

        return AddPending(new PendingTensor(name, type, dims, byteSize, data.ToArray(), null));
    }

    /// <summary>
    /// Adds a tensor whose bytes are produced while the file is written: <paramref name="writeData"/> is
    /// called once per <see cref="WriteTo(Stream)"/> and must write exactly <see cref="GetTensorByteSize"/>
    /// bytes to the stream it is given (writing more throws at once, fewer throws after the callback).
    /// </summary>
    /// <param name="name">Unique name of at most 63 UTF-8 bytes.</param>
    /// <param name="type">The element type.</param>
    /// <param name="dimensions">The shape in GGUF order (ne0 first; 1 to 4 positive values).</param>
    /// <param name="writeData">Writes the tensor's bytes.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">The name or shape is invalid.</exception>
    public GgufWriter AddTensor(string name, GgmlType type, ReadOnlySpan<long> dimensions, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(writeData);
        (long[] dims, long byteSize) = ValidateTensor(name, type, dimensions);
        return AddPending(new PendingTensor(name, type, dims, byteSize, null, writeData));
    }

    /// <summary>
    /// Adds a tensor stored as a weight type's layout under its GGUF id: the id's primary layout, or a fork's layout that
    /// shares the id (PrismML's 128-weight Q2_0 under 42), whose byte size readers tell apart by the offsets.
    /// </summary>
    internal GgufWriter AddTensor(string name, WeightType layout, ReadOnlySpan<long> dimensions, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(writeData);
        GgmlTypeTraits traits = GgmlTypeTable.Of(layout);
        (long[] dims, _) = ValidateTensor(name, traits.Type, dimensions);
        if (dims[0] % traits.BlockSize != 0)
        {
            throw new ArgumentException($"Tensor '{name}': ne0 = {dims[0]} is not a multiple of the {traits.Name} block size {traits.BlockSize}.");
        }

        long elements = dims.Aggregate(1L, (a, b) => a * b);
        return AddPending(new PendingTensor(name, traits.Type, dims, traits.ByteSize(elements), null, writeData));
    }

    /// <summary>Writes the file to <paramref name="path"/> (replacing it); a partly written file is deleted on failure.</summary>
    /// <param name="path">Destination path.</param>
    public void WriteTo(string path) => OutputFile.Write(path, WriteTo);

    /// <summary>Writes the file to <paramref name="stream"/> from its current position; the stream need not be seekable.</summary>
    /// <param name="stream">A writable stream; left open.</param>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var output = new GgufOutput(stream);
        WriteHeader(output);
        for (int i = 0; i < _tensors.Count; i++)
        {
            WriteTensor(output, i);
        }

        output.Flush();
    }

    /// <summary>Tensors added so far.</summary>
    public int TensorCount => _tensors.Count;

    /// <summary>The key/value pairs added so far, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata => _metadata;

    /// <summary>
    /// The bytes before the data section: header, key/value pairs, tensor infos and the padding to the alignment (a
    /// resumable writer compares them with a partial file's start, then appends tensors with <see cref="WriteTensorData"/>).
    /// </summary>
    /// <returns>A new array.</returns>
    public byte[] GetHeaderBytes()
    {
        using var memory = new MemoryStream();
        var output = new GgufOutput(memory);
        WriteHeader(output);
        output.Flush();
        return memory.ToArray();
    }

    /// <summary>Offset of tensor <paramref name="index"/>'s data from the start of the data section (its padded predecessors).</summary>
    /// <param name="index">0 to <see cref="TensorCount"/> (the count gives the data section's length).</param>
    /// <returns>The offset in bytes.</returns>
    public long GetTensorDataOffset(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, _tensors.Count);
        long offset = 0;
        for (int i = 0; i < index; i++)
        {
            offset += GgufLimits.AlignUp(_tensors[i].ByteSize, Alignment);
        }

        return offset;
    }

    /// <summary>
    /// Writes tensor <paramref name="index"/>'s bytes and the padding after them at the stream's position, which must be
    /// where <see cref="GetTensorDataOffset"/> puts it (the header, then the tensors before it).
    /// </summary>
    /// <param name="stream">A writable stream; left open.</param>
    /// <param name="index">0 to <see cref="TensorCount"/> - 1.</param>
    public void WriteTensorData(Stream stream, int index)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _tensors.Count);
        var output = new GgufOutput(stream); // positions count from the tensor's start, which is aligned: padding comes out the same
        WriteTensor(output, index);
        output.Flush();
    }

    private void WriteHeader(GgufOutput output)
    {
        uint alignment = Alignment;
        output.WriteBytes(GgufLimits.Magic);
        output.WriteUInt32(GgufLimits.WriteVersion);
        output.WriteUInt64((ulong)_tensors.Count);
        output.WriteUInt64((ulong)_metadata.Count);
        foreach ((string key, GgufValue value) in _metadata)
        {
            output.WriteString(key);
            WriteValue(output, value);
        }

        long offset = 0;
        foreach (PendingTensor tensor in _tensors)
        {
            output.WriteString(tensor.Name);
            output.WriteUInt32((uint)tensor.Dimensions.Length);
            foreach (long ne in tensor.Dimensions)
            {
                output.WriteUInt64((ulong)ne);
            }

            output.WriteUInt32((uint)tensor.Type);
            output.WriteUInt64((ulong)offset);
            offset += GgufLimits.AlignUp(tensor.ByteSize, alignment);
        }

        output.PadTo(alignment);
    }

    private void WriteTensor(GgufOutput output, int index)
    {
        PendingTensor tensor = _tensors[index];
        if (tensor.Data is { } data)
        {
            output.WriteBytes(data);
        }
        else
        {
            output.WriteFromCallback(tensor.ByteSize, $"tensor '{tensor.Name}'", tensor.WriteData!);
        }

        output.PadTo(Alignment);
    }

    private GgufWriter AddPending(PendingTensor tensor)
    {
        if (_tensors.Count >= GgufLimits.MaxTensorCount)
        {
            throw new InvalidOperationException($"A GGUF file holds at most {GgufLimits.MaxTensorCount} tensors.");
        }

        _tensorNames.Add(tensor.Name);
        _tensors.Add(tensor);
        return this;
    }

    private (long[] Dimensions, long ByteSize) ValidateTensor(string name, GgmlType type, ReadOnlySpan<long> dimensions)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Encoding.UTF8.GetByteCount(name) > GgufLimits.MaxTensorNameBytes)
        {
            throw new ArgumentException($"Tensor name '{name}' is longer than {GgufLimits.MaxTensorNameBytes} UTF-8 bytes.", nameof(name));
        }

        if (_tensorNames.Contains(name))
        {
            throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        }

        return ValidateShape(type, dimensions, nameof(dimensions));
    }

    private static (long[] Dimensions, long ByteSize) ValidateShape(GgmlType type, ReadOnlySpan<long> dimensions, string parameter)
    {
        GgmlTypeTraits traits = GgmlTypeTable.Get(type);
        if (dimensions.Length is 0 or > GgufLimits.MaxDimensions)
        {
            throw new ArgumentException($"A tensor has 1 to {GgufLimits.MaxDimensions} dimensions, got {dimensions.Length}.", parameter);
        }

        long elements = 1;
        foreach (long ne in dimensions)
        {
            if (ne <= 0 || elements > long.MaxValue / ne)
            {
                throw new ArgumentException($"Dimensions must be positive and their product fit in 64 bits: [{string.Join(", ", dimensions.ToArray())}].", parameter);
            }

            elements *= ne;
        }

        if (dimensions[0] % traits.BlockSize != 0)
        {
            throw new ArgumentException($"Row length ne0 = {dimensions[0]} is not a multiple of the {traits.Name} block size {traits.BlockSize}.", parameter);
        }

        long byteSize = traits.ByteSize(elements);
        if (byteSize < 0 || byteSize > long.MaxValue - GgufLimits.MaxAlignment)
        {
            throw new ArgumentException($"A {traits.Name} tensor of {elements} elements is too large.", parameter);
        }

        return (dimensions.ToArray(), byteSize);
    }

    private static void CheckValue(string key, GgufValue value)
    {
        if (value.Type == GgufValueType.String)
        {
            CheckStringLength(value.AsString(), nameof(value));
        }

        if (!value.IsArray)
        {
            return;
        }

        if (value.ArrayLength > GgufLimits.MaxArrayElements)
        {
            throw new ArgumentException($"Array '{key}' has {value.ArrayLength} elements, more than the limit of {GgufLimits.MaxArrayElements}.", nameof(value));
        }

        if (value.ElementType == GgufValueType.String)
        {
            foreach (string s in value.AsStringArray())
            {
                CheckStringLength(s, nameof(value));
            }
        }
    }

    private static void CheckStringLength(string s, string parameter)
    {
        // UTF-8 needs at most 3 bytes per UTF-16 unit, so short strings skip the exact count.
        if (s.Length > GgufLimits.MaxStringBytes / 3 && Encoding.UTF8.GetByteCount(s) > GgufLimits.MaxStringBytes)
        {
            throw new ArgumentException($"A string of {Encoding.UTF8.GetByteCount(s)} UTF-8 bytes exceeds the limit of {GgufLimits.MaxStringBytes}.", parameter);
        }
    }

    private static void WriteValue(GgufOutput output, GgufValue value)
    {
        output.WriteUInt32((uint)value.Type);
        if (value.Type == GgufValueType.String)
        {
            output.WriteString(value.AsString());
            return;
        }

        if (!value.IsArray)
        {
            WriteScalar(output, value.Type, value.ScalarBits);
            return;
        }

        GgufValueType elementType = value.ElementType!.Value;
        output.WriteUInt32((uint)elementType);
        output.WriteUInt64((ulong)value.ArrayLength);
        switch (value.ArrayPayload)
        {
            case string[] strings:
                foreach (string s in strings)
                {
                    output.WriteString(s);
                }

                break;
            case bool[] bools:
                foreach (bool b in bools)
                {
                    output.WriteBytes([b ? (byte)1 : (byte)0]);
                }

                break;
            case byte[] bytes:
                output.WriteBytes(bytes);
                break;
            case sbyte[] bytes:
                output.WriteBytes(MemoryMarshal.AsBytes(bytes.AsSpan()));
                break;
            case ushort[] a: WriteNumbers(output, a); break;
            case short[] a: WriteNumbers(output, a); break;
            case uint[] a: WriteNumbers(output, a); break;
            case int[] a: WriteNumbers(output, a); break;
            case float[] a: WriteNumbers(output, a); break;
            case ulong[] a: WriteNumbers(output, a); break;
            case long[] a: WriteNumbers(output, a); break;
            case double[] a: WriteNumbers(output, a); break;
        }
    }

    private static void WriteNumbers<T>(GgufOutput output, T[] values)
        where T : unmanaged
    {
        if (BitConverter.IsLittleEndian)
        {
            output.WriteBytes(MemoryMarshal.AsBytes(values.AsSpan()));
            return;
        }

        int size = Unsafe.SizeOf<T>();
        Span<byte> element = stackalloc byte[8];
        foreach (T value in values)
        {
            MemoryMarshal.Write(element, in value);
            element[..size].Reverse();
            output.WriteBytes(element[..size]);
        }
    }

    private static void WriteScalar(GgufOutput output, GgufValueType type, ulong bits)
    {
        switch (GgufValueTypes.MinimumEncodedSize(type))
        {
            case 1: output.WriteBytes([(byte)bits]); break;
            case 2: output.WriteUInt16((ushort)bits); break;
            case 4: output.WriteUInt32((uint)bits); break;
            default: output.WriteUInt64(bits); break;
        }
    }

    /// <summary>Little-endian output with a small buffer and a running position (for padding).</summary>
    private sealed class GgufOutput(Stream stream)
    {
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _buffered;

        public long Position { get; private set; }

        public void WriteBytes(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > _buffer.Length - _buffered)
            {
                Flush();
                if (bytes.Length > _buffer.Length)
                {
                    stream.Write(bytes);
                    Position += bytes.Length;
                    return;
                }
            }

            bytes.CopyTo(_buffer.AsSpan(_buffered));
            _buffered += bytes.Length;
            Position += bytes.Length;
        }

        public void WriteUInt16(ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, value);
            WriteBytes(b);
        }

        public void WriteUInt32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            WriteBytes(b);
        }

        public void WriteUInt64(ulong value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, value);
            WriteBytes(b);
        }

        public void WriteString(string value)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(value);
            WriteUInt64((ulong)utf8.Length);
            WriteBytes(utf8);
        }

        public void PadTo(uint alignment)
        {
            int padding = (int)(GgufLimits.AlignUp(Position, alignment) - Position);
            Span<byte> zeros = stackalloc byte[256];
            zeros.Clear();
            while (padding > 0)
            {
                int n = Math.Min(padding, zeros.Length);
                WriteBytes(zeros[..n]);
                padding -= n;
            }
        }

        public void WriteFromCallback(long byteCount, string what, Action<Stream> write)
        {
            Flush();
            var bounded = new BoundedWriteStream(stream, byteCount, what);
            write(bounded);
            bounded.EnsureComplete();
            Position += byteCount;
        }

        public void Flush()
        {
            stream.Write(_buffer, 0, _buffered);
            _buffered = 0;
            stream.Flush();
        }
    }
}
