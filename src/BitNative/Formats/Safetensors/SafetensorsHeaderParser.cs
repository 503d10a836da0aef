using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace BitNative.Formats.Safetensors;

/// <summary>What <see cref="SafetensorsHeaderParser"/> found: metadata and tensors sorted by offset.</summary>
internal sealed record SafetensorsLayout(
    long DataOffset, IReadOnlyDictionary<string, string> Metadata, SafetensorsTensorInfo[] Tensors);

/// <summary>
/// Reads and validates a safetensors header: 8-byte little-endian length N, N bytes of UTF-8 JSON
/// (<c>{"__metadata__": {str: str}, "name": {"dtype", "shape", "data_offsets": [begin, end]}, ...}</c>),
/// then the data. Follows the reference implementation's rules (reference/tokenizer-and-safety.md
/// section 3): the tensors must tile the data section exactly, sorted by offset, with no gap, overlap
/// or trailing bytes.
/// </summary>
internal static class SafetensorsHeaderParser
{
    /// <summary>The reference implementation's cap on the header length.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Sanity caps; real checkpoints have a few thousand tensors of rank at most 5.</summary>
    public const int MaxTensorCount = 65536;

    public const int MaxRank = 8;

    private const string Format = "safetensors";

    private const string MetadataKey = "__metadata__";

    private readonly record struct Entry(string Name, SafetensorsDType DType, long[] Shape, ulong Begin, ulong End, long HeaderOffset);

    public static SafetensorsLayout Parse(IByteSource source, string filePath)
    {
        if (source.Length < 8)
        {
            throw Fail(filePath, $"file is {source.Length} bytes, shorter than the 8-byte header length field", 0);
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(source.GetSpan(0, 8));
        if (headerLength > MaxHeaderBytes)
        {
            throw Fail(filePath, $"header length {headerLength} exceeds the limit of {MaxHeaderBytes} bytes", 0);
        }

        if (headerLength > (ulong)(source.Length - 8))
        {
            throw Fail(filePath, $"header length {headerLength} exceeds the {source.Length - 8} bytes after the length field", 0);
        }

        ReadOnlySpan<byte> header = source.GetSpan(8, (int)headerLength);
        if (!Utf8.IsValid(header))
        {
            throw Fail(filePath, "header is not valid UTF-8", 8);
        }

        if (header.Length == 0 || header[0] != (byte)'{')
        {
            throw Fail(filePath, "header does not start with '{'", 8);
        }

        long dataOffset = 8 + (long)headerLength;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        List<Entry> entries;
        try
        {
            entries = ReadHeaderJson(header, filePath, metadata);
        }
        catch (JsonException e)
        {
            // Exact for the usual one-line header; otherwise the message carries line and position.
            long offset = e.LineNumber == 0 ? 8 + (e.BytePositionInLine ?? 0) : 8;
            throw BitNativeFormatException.Create(Format, filePath, $"header is not valid JSON: {e.Message}", offset, inner: e);
        }

        SafetensorsTensorInfo[] tensors = PlaceTensors(filePath, entries, dataOffset, source.Length - dataOffset);
        return new SafetensorsLayout(dataOffset, metadata, tensors);
    }

    private static List<Entry> ReadHeaderJson(ReadOnlySpan<byte> header, string filePath, Dictionary<string, string> metadata)
    {
        // Depth 3 is all the schema needs (root, tensor object, shape array); anything deeper is hostile.
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 3 });
        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        Expect(ref reader, JsonTokenType.StartObject, "the header", filePath);
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            long at = 8 + reader.TokenStartIndex;
            string name = Text(ref reader, filePath);
            if (!names.Add(name))
            {
                throw Fail(filePath, $"duplicate entry '{name}'", at);
            }

            if (name == MetadataKey)
            {
                ReadMetadata(ref reader, filePath, metadata);
                continue;
            }

            if (name.Length == 0)
            {
                throw Fail(filePath, "a tensor has an empty name", at);
            }

            if (name.StartsWith("__", StringComparison.Ordinal))
            {
                throw Fail(filePath, $"entry '{name}': names starting with \"__\" are reserved (only \"{MetadataKey}\" is defined)", at);
            }

            if (entries.Count == MaxTensorCount)
            {
                throw Fail(filePath, $"more than {MaxTensorCount} tensors", at);
            }

            entries.Add(ReadTensorEntry(ref reader, filePath, name, at));
        }

        // Only whitespace may follow the root object (Read throws on anything else).
        if (reader.Read())
        {
            throw Fail(filePath, "unexpected content after the header object", 8 + reader.TokenStartIndex);
        }

        return entries;
    }

    /// <summary>
    /// The current string token. The UTF-8 check of the whole header cannot see an escaped unpaired surrogate
    /// (<c>"\ud800"</c>), on which GetString throws InvalidOperationException (found by fuzzing, docs/RELIABILITY.md).
    /// </summary>
    private static string Text(ref Utf8JsonReader reader, string filePath)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Fail(filePath, "a string is not valid Unicode text (an escaped unpaired surrogate)", 8 + reader.TokenStartIndex);
        }
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, string filePath, Dictionary<string, string> metadata)
    {
        if (Next(ref reader) == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Fail(filePath, $"\"{MetadataKey}\" must be an object of strings, found {reader.TokenType}", 8 + reader.TokenStartIndex);
        }

        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            long at = 8 + reader.TokenStartIndex;
            string key = Text(ref reader, filePath);
            if (Next(ref reader) != JsonTokenType.String)
            {
                throw Fail(filePath, $"\"{MetadataKey}\" value '{key}' must be a string, found {reader.TokenType}", at);
            }

            if (!metadata.TryAdd(key, Text(ref reader, filePath)))
            {
                throw Fail(filePath, $"duplicate \"{MetadataKey}\" key '{key}'", at);
            }
        }
    }

    private static Entry ReadTensorEntry(ref Utf8JsonReader reader, string filePath, string name, long at)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"tensor '{name}'", filePath);
        string? dtypeName = null;
        long[]? shape = null;
        ulong[]? offsets = null;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            long fieldAt = 8 + reader.TokenStartIndex;
            string field = Text(ref reader, filePath);
            bool duplicate = field switch
            {
                "dtype" => dtypeName is not null,
                "shape" => shape is not null,
                "data_offsets" => offsets is not null,
                _ => throw Fail(filePath, $"tensor '{name}' has an unexpected field '{field}'", fieldAt),
            };
            if (duplicate)
            {
                throw Fail(filePath, $"tensor '{name}' has a duplicate field '{field}'", fieldAt);
            }

            switch (field)
            {
                case "dtype":
                    if (Next(ref reader) != JsonTokenType.String)
                    {
                        throw Fail(filePath, $"tensor '{name}': dtype must be a string", fieldAt);
                    }

                    dtypeName = Text(ref reader, filePath);
                    break;
                case "shape":
                    ulong[] dims = ReadUInt64Array(ref reader, filePath, $"tensor '{name}': shape", MaxRank, fieldAt);
                    shape = new long[dims.Length];
                    for (int i = 0; i < dims.Length; i++)
                    {
                        shape[i] = dims[i] <= long.MaxValue
                            ? (long)dims[i]
                            : throw Fail(filePath, $"tensor '{name}': shape dimension {dims[i]} is out of range", fieldAt);
                    }

                    break;
                default:
                    offsets = ReadUInt64Array(ref reader, filePath, $"tensor '{name}': data_offsets", 2, fieldAt);
                    if (offsets.Length != 2)
                    {
                        throw Fail(filePath, $"tensor '{name}': data_offsets must be [begin, end]", fieldAt);
                    }

                    break;
            }
        }

        if (dtypeName is null || shape is null || offsets is null)
        {
            string missing = dtypeName is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw Fail(filePath, $"tensor '{name}' has no '{missing}'", at);
        }

        if (!SafetensorsDTypes.TryParse(dtypeName, out SafetensorsDType dtype))
        {
            throw Fail(filePath, $"tensor '{name}' has unknown dtype '{dtypeName}' (supported: {SafetensorsDTypes.SupportedList})", at);
        }

        return new Entry(name, dtype, shape, offsets[0], offsets[1], at);
    }

    private static ulong[] ReadUInt64Array(ref Utf8JsonReader reader, string filePath, string what, int maxLength, long at)
    {
        if (Next(ref reader) != JsonTokenType.StartArray)
        {
            throw Fail(filePath, $"{what} must be an array of non-negative integers", at);
        }

        var values = new List<ulong>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out ulong value))
            {
                throw Fail(filePath, $"{what} must be an array of non-negative integers", 8 + reader.TokenStartIndex);
            }

            if (values.Count == maxLength)
            {
                throw Fail(filePath, $"{what} has more than {maxLength} entries", at);
            }

            values.Add(value);
        }

        return [.. values];
    }

    /// <summary>
    /// Checks sizes against shapes and that the tensors, sorted by offset, tile the data section
    /// exactly: the first starts at 0, each starts where the previous ended, the last ends at the end
    /// of the file.
    /// </summary>
    private static SafetensorsTensorInfo[] PlaceTensors(string filePath, List<Entry> entries, long dataOffset, long dataLength)
    {
        var tensors = new SafetensorsTensorInfo[entries.Count];
        // Stable order for zero-size tensors that share an offset.
        Entry[] sorted = [.. entries.OrderBy(e => e.Begin).ThenBy(e => e.End)];
        long expected = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            Entry e = sorted[i];
            string where = $"tensor '{e.Name}'";
            long elements = 1;
            foreach (long d in e.Shape)
            {
                if (d != 0 && elements > long.MaxValue / d)
                {
                    throw Fail(filePath, $"tensor '{e.Name}': element count of shape [{string.Join(", ", e.Shape)}] overflows 64 bits", e.HeaderOffset);
                }

                elements *= d;
            }

            int size = SafetensorsDTypes.Size(e.DType);
            if (elements > long.MaxValue / size)
            {
                throw Fail(filePath, $"tensor '{e.Name}': byte size of {elements} {e.DType} elements overflows 64 bits", e.HeaderOffset);
            }

            long byteSize = elements * size;
            if (e.End < e.Begin || e.End - e.Begin != (ulong)byteSize)
            {
                throw Fail(filePath,
                    $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] span {(e.End < e.Begin ? "a negative range" : $"{e.End - e.Begin} bytes")}, " +
                    $"but {e.DType} [{string.Join(", ", e.Shape)}] needs {byteSize}", e.HeaderOffset);
            }

            if (e.Begin != (ulong)expected)
            {
                throw Fail(filePath, e.Begin < (ulong)expected
                    ? $"tensor '{e.Name}' at data offset {e.Begin} overlaps the previous tensor, which ends at {expected}"
                    : $"tensor '{e.Name}' starts at data offset {e.Begin}, leaving a gap after offset {expected}", e.HeaderOffset);
            }

            if (byteSize > dataLength - expected)
            {
                throw Fail(filePath, $"tensor '{e.Name}': data [{e.Begin}, {e.End}) extends past the end of the file ({dataLength} data bytes)", e.HeaderOffset);
            }

            tensors[i] = new SafetensorsTensorInfo(e.Name, e.DType, e.Shape, elements, byteSize, expected, dataOffset + expected);
            expected += byteSize;
        }

        if (expected != dataLength)
        {
            throw Fail(filePath, $"{dataLength - expected} trailing bytes after the last tensor (data ends at {expected}, file has {dataLength} data bytes)", dataOffset + expected);
        }

        return tensors;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        // The input is complete, so Read only returns false at the end of the data; the structure
        // checks above never ask past the root object.
        if (!reader.Read())
        {
            throw new JsonException("The header ends inside a JSON value.", null, 0, reader.BytesConsumed);
        }

        return reader.TokenType;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what, string filePath)
    {
        if (Next(ref reader) != type)
        {
            throw Fail(filePath, $"{what} must be a JSON object, found {reader.TokenType}", 8 + reader.TokenStartIndex);
        }
    }

    private static BitNativeFormatException Fail(string filePath, string problem, long offset) =>
        BitNativeFormatException.Create(Format, filePath, problem, offset);
}
