using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BitNative.Formats.Gguf;

/// <summary>What <see cref="GgufParser"/> found in a file: everything except the tensor bytes.</summary>
internal sealed record GgufLayout(
    uint Version, uint Alignment, long DataOffset, GgufMetadata Metadata, GgufTensorInfo[] Tensors);

/// <summary>
/// Reads and validates the header, key/value pairs and tensor infos of a GGUF v2/v3 file
/// (layout of llama.cpp's gguf.cpp). Follows reference/tokenizer-and-safety.md section 2: every count,
/// length, dimension, type and offset is checked with 64-bit arithmetic before it is used, so a
/// malformed file ends with one <see cref="BitNativeFormatException"/>.
/// </summary>
internal static class GgufParser
{
    public static GgufLayout Parse(IByteSource source, string filePath)
    {
        var cursor = new GgufCursor(source, filePath);
        uint version = ReadHeader(cursor, out ulong tensorCount, out ulong keyValueCount);
        GgufMetadata metadata = ReadMetadata(cursor, (int)keyValueCount);
        uint alignment = metadata.TryGetValue(GgufKnownKeys.Alignment, out GgufValue? a) ? a.AsUInt32() : GgufLimits.DefaultAlignment;
        PendingTensor[] pending = ReadTensorInfos(cursor, (int)tensorCount);
        // llama.cpp only aligns the data section when there are tensors; mirror it so DataOffset agrees.
        long dataOffset = pending.Length > 0 ? GgufLimits.AlignUp(cursor.Position, alignment) : cursor.Position;
        GgufTensorInfo[] tensors = PlaceTensors(cursor, pending, alignment, dataOffset);
        return new GgufLayout(version, alignment, dataOffset, metadata, tensors);
    }

    private static uint ReadHeader(GgufCursor cursor, out ulong tensorCount, out ulong keyValueCount)
    {
        if (cursor.Length >= 4)
        {
            ReadOnlySpan<byte> magic = cursor.Take(4);
            if (magic.SequenceEqual("FUGG"u8))
            {
                throw cursor.Fail("magic reads 'FUGG': this is a big-endian (byte-swapped) GGUF file; BitNative reads little-endian GGUF only", 0);
            }

            if (!magic.SequenceEqual(GgufLimits.Magic))
            {
                throw cursor.Fail($"not a GGUF file: magic is 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):X8}, expected 'GGUF'", 0);
            }
        }

        if (cursor.Length < GgufLimits.HeaderBytes)
        {
            throw cursor.Fail($"file is {cursor.Length} bytes, shorter than the {GgufLimits.HeaderBytes}-byte GGUF header", 0);
        }

        uint version = cursor.ReadUInt32();
        uint swapped = BinaryPrimitives.ReverseEndianness(version);
        if ((version & 0xFFFF) == 0 && swapped is 2 or 3)
        {
            throw cursor.Fail($"version reads as 0x{version:X8}: this is a big-endian (byte-swapped) GGUF v{swapped} file; BitNative reads little-endian GGUF only", 4);
        }

        if (version is not (2 or 3))
        {
            throw cursor.Fail(version == 1
                ? "GGUF version 1 is not supported (only versions 2 and 3)"
                : $"unsupported GGUF version {version} (only versions 2 and 3)", 4);
        }

        tensorCount = cursor.ReadUInt64();
        keyValueCount = cursor.ReadUInt64();
        CheckCount(cursor, "tensor", tensorCount, GgufLimits.MaxTensorCount, GgufLimits.MinTensorInfoBytes, offset: 8);
        CheckCount(cursor, "key/value", keyValueCount, GgufLimits.MaxKeyValueCount, GgufLimits.MinKeyValueBytes, offset: 16);
        return version;
    }

    private static void CheckCount(GgufCursor cursor, string what, ulong count, int cap, int minBytesEach, long offset)
    {
        if (count > (ulong)cap)
        {
            throw cursor.Fail($"{what} count {count} exceeds the limit of {cap}", offset);
        }

        // count <= 65536 and minBytesEach < 64, so the product cannot overflow.
        if (count * (ulong)minBytesEach > (ulong)cursor.Remaining)
        {
            throw cursor.Fail($"{what} count {count} cannot fit in the {cursor.Remaining} bytes left in the file", offset);
        }
    }

    private static GgufMetadata ReadMetadata(GgufCursor cursor, int count)
    {
        var entries = new KeyValuePair<string, GgufValue>[count];
        var offsets = new long[count];
        var seen = new HashSet<string>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            long start = cursor.Position;
            cursor.Where = $"key #{i}";
            string key = cursor.ReadString("key", GgufLimits.MaxStringBytes);
            if (key.Length == 0)
            {
                throw cursor.Fail($"key #{i} is empty", start);
            }

            if (!seen.Add(key))
            {
                throw cursor.Fail($"duplicate key '{key}'", start);
            }

            cursor.Where = $"key '{key}'";
            entries[i] = new(key, ReadValue(cursor));
            offsets[i] = start;
        }

        var metadata = new GgufMetadata(cursor.FilePath, entries, offsets);
        if (GgufKnownKeys.FindProblem(k => metadata.TryGetValue(k, out GgufValue? v) ? v : null) is { } bad)
        {
            long offset = offsets[Array.FindIndex(entries, e => e.Key == bad.Key)];
            throw BitNativeFormatException.Create("GGUF", cursor.FilePath, bad.Problem, offset, $"key '{bad.Key}'");
        }

        return metadata;
    }

    private static GgufValue ReadValue(GgufCursor cursor)
    {
        long start = cursor.Position;
        uint typeId = cursor.ReadUInt32();
        if (!GgufValueTypes.IsDefined(typeId))
        {
            throw cursor.Fail($"unknown value type {typeId}", start);
        }

        var type = (GgufValueType)typeId;
        return type switch
        {
            GgufValueType.Array => ReadArray(cursor),
            GgufValueType.String => GgufValue.FromString(cursor.ReadString("string value", GgufLimits.MaxStringBytes)),
            _ => GgufValue.FromValidatedScalar(type, ReadScalarBits(cursor, type)),
        };
    }

    private static ulong ReadScalarBits(GgufCursor cursor, GgufValueType type)
    {
        long start = cursor.Position;
        return GgufValueTypes.MinimumEncodedSize(type) switch
        {
            1 when type == GgufValueType.Bool => ReadBool(cursor, start) ? 1u : 0u,
            1 => cursor.ReadUInt8(),
            2 => cursor.ReadUInt16(),
            4 => cursor.ReadUInt32(),
            _ => cursor.ReadUInt64(),
        };
    }

    private static bool ReadBool(GgufCursor cursor, long start)
    {
        byte b = cursor.ReadUInt8();
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw cursor.Fail($"bool value is {b}, not 0 or 1", start),
        };
    }

    private static GgufValue ReadArray(GgufCursor cursor)
    {
        long start = cursor.Position;
        uint elementId = cursor.ReadUInt32();
        if (elementId == (uint)GgufValueType.Array)
        {
            throw cursor.Fail("nested arrays (arrays of arrays) are not supported", start);
        }

        if (!GgufValueTypes.IsDefined(elementId))
        {
            throw cursor.Fail($"unknown array element type {elementId}", start);
        }

        var elementType = (GgufValueType)elementId;
        ulong count = cursor.ReadUInt64();
        if (count > GgufLimits.MaxArrayElements)
        {
            throw cursor.Fail($"array length {count} exceeds the limit of {GgufLimits.MaxArrayElements} elements", start);
        }

        // count <= 2^24 and sizes <= 8: no overflow. Checked before allocating anything.
        long minimumBytes = (long)count * GgufValueTypes.MinimumEncodedSize(elementType);
        if (minimumBytes > cursor.Remaining)
        {
            throw cursor.Fail(
                $"array of {count} {GgufValueTypes.DisplayName(elementType)} needs at least {minimumBytes} bytes, only {cursor.Remaining} left",
                start);
        }

        int n = (int)count;
        Array elements = elementType switch
        {
            GgufValueType.UInt8 => ReadNumbers<byte>(cursor, n),
            GgufValueType.Int8 => ReadNumbers<sbyte>(cursor, n),
            GgufValueType.UInt16 => ReadNumbers<ushort>(cursor, n),
            GgufValueType.Int16 => ReadNumbers<short>(cursor, n),
            GgufValueType.UInt32 => ReadNumbers<uint>(cursor, n),
            GgufValueType.Int32 => ReadNumbers<int>(cursor, n),
            GgufValueType.Float32 => ReadNumbers<uint, float>(cursor, n),
            GgufValueType.UInt64 => ReadNumbers<ulong>(cursor, n),
            GgufValueType.Int64 => ReadNumbers<long>(cursor, n),
            GgufValueType.Float64 => ReadNumbers<ulong, double>(cursor, n),
            GgufValueType.Bool => ReadBools(cursor, n),
            _ => ReadStrings(cursor, n),
        };
        return GgufValue.FromValidatedArray(elementType, elements);
    }

    private static T[] ReadNumbers<T>(GgufCursor cursor, int count)
        where T : unmanaged => ReadNumbers<T, T>(cursor, count);

    /// <summary>Copies <paramref name="count"/> little-endian numbers; <typeparamref name="TBits"/> is the integer used to swap bytes on big-endian hosts.</summary>
    private static T[] ReadNumbers<TBits, T>(GgufCursor cursor, int count)
        where TBits : unmanaged
        where T : unmanaged
    {
        var result = new T[count];
        Span<byte> bytes = MemoryMarshal.AsBytes(result.AsSpan());
        cursor.Take(bytes.Length).CopyTo(bytes);
        if (!BitConverter.IsLittleEndian)
        {
            SwapToHost(MemoryMarshal.Cast<T, TBits>(result.AsSpan()));
        }

        return result;
    }

    private static void SwapToHost<TBits>(Span<TBits> values)
        where TBits : unmanaged
    {
        if (typeof(TBits) == typeof(ushort) || typeof(TBits) == typeof(short))
        {
            Span<ushort> v = MemoryMarshal.Cast<TBits, ushort>(values);
            BinaryPrimitives.ReverseEndianness(v, v);
        }
        else if (typeof(TBits) == typeof(uint) || typeof(TBits) == typeof(int))
        {
            Span<uint> v = MemoryMarshal.Cast<TBits, uint>(values);
            BinaryPrimitives.ReverseEndianness(v, v);
        }
        else if (typeof(TBits) == typeof(ulong) || typeof(TBits) == typeof(long))
        {
            Span<ulong> v = MemoryMarshal.Cast<TBits, ulong>(values);
            BinaryPrimitives.ReverseEndianness(v, v);
        }
    }

    private static bool[] ReadBools(GgufCursor cursor, int count)
    {
        long start = cursor.Position;
        ReadOnlySpan<byte> bytes = cursor.Take(count);
        var result = new bool[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = bytes[i] switch
            {
                0 => false,
                1 => true,
                _ => throw cursor.Fail($"bool array element {i} is {bytes[i]}, not 0 or 1", start + i),
            };
        }

        return result;
    }

    private static string[] ReadStrings(GgufCursor cursor, int count)
    {
        var result = new string[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = cursor.ReadString("string array element", GgufLimits.MaxStringBytes);
        }

        return result;
    }

    /// <summary>A tensor info as read, before its offset is checked against the data section.</summary>
    private readonly record struct PendingTensor(
        string Name, IReadOnlyList<GgmlTypeTraits> Candidates, long[] Dimensions, long ElementCount, ulong Offset, long OffsetFieldPosition,
        long TypeFieldPosition);

    private static PendingTensor[] ReadTensorInfos(GgufCursor cursor, int count)
    {
        var tensors = new PendingTensor[count];
        var names = new HashSet<string>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            long start = cursor.Position;
            cursor.Where = $"tensor info #{i}";
            string name = cursor.ReadString("tensor name", GgufLimits.MaxTensorNameBytes);
            if (name.Length == 0)
            {
                throw cursor.Fail($"tensor info #{i} has an empty name", start);
            }

            if (!names.Add(name))
            {
                throw cursor.Fail($"duplicate tensor name '{name}'", start);
            }

            cursor.Where = $"tensor '{name}'";
            long[] dimensions = ReadDimensions(cursor, out long elementCount);

            long typePosition = cursor.Position;
            uint typeId = cursor.ReadUInt32();
            if (!GgmlTypeTable.TryGet(typeId, out GgmlTypeTraits primary))
            {
                throw cursor.Fail($"tensor '{name}': {GgmlTypeTable.DescribeUnsupported(typeId)}", typePosition);
            }

            // An id that forks gave another layout has several candidates; the tensor extents decide (PlaceTensors).
            GgmlTypeTraits[] candidates = GgmlTypeTable.Candidates(typeId)
                .Where(c => dimensions[0] % c.BlockSize == 0 && c.ByteSize(elementCount) >= 0).ToArray();
            if (candidates.Length == 0 && dimensions[0] % primary.BlockSize != 0)
            {
                throw cursor.Fail(
                    $"tensor '{name}': row length ne0 = {dimensions[0]} is not a multiple of the {primary.Name} block size {primary.BlockSize}",
                    typePosition);
            }

            if (candidates.Length == 0)
            {
                throw cursor.Fail($"tensor '{name}': byte size of {elementCount} {primary.Name} elements overflows 64 bits", typePosition);
            }

            long offsetPosition = cursor.Position;
            ulong offset = cursor.ReadUInt64();
            tensors[i] = new PendingTensor(name, candidates, dimensions, elementCount, offset, offsetPosition, typePosition);
        }

        return tensors;
    }

    private static long[] ReadDimensions(GgufCursor cursor, out long elementCount)
    {
        long start = cursor.Position;
        uint dimensionCount = cursor.ReadUInt32();
        if (dimensionCount is 0 or > GgufLimits.MaxDimensions)
        {
            throw cursor.Fail($"n_dims is {dimensionCount}, expected 1 to {GgufLimits.MaxDimensions}", start);
        }

        var dimensions = new long[dimensionCount];
        elementCount = 1;
        for (int d = 0; d < dimensions.Length; d++)
        {
            long position = cursor.Position;
            ulong ne = cursor.ReadUInt64();
            if (ne == 0 || ne > long.MaxValue)
            {
                throw cursor.Fail($"dimension ne{d} is {(long)ne}, must be positive", position);
            }

            dimensions[d] = (long)ne;
            if (elementCount > long.MaxValue / (long)ne)
            {
                throw cursor.Fail($"element count of shape [{string.Join(", ", dimensions[..(d + 1)])}] overflows 64 bits", position);
            }

            elementCount *= (long)ne;
        }

        return dimensions;
    }

    /// <summary>
    /// Checks that the tensors tile the data section the way llama.cpp lays it out: each offset is the
    /// running sum of the earlier tensors' sizes padded to the alignment (so aligned, in order, without
    /// gaps or overlaps), and each tensor's bytes lie inside the file. A type id with several layouts
    /// (<see cref="GgmlTypeTable.Candidates"/>) takes the one whose size the next offset (or, for the last
    /// tensor, the end of the file) implies; one file uses one layout per id.
    /// </summary>
    private static GgufTensorInfo[] PlaceTensors(GgufCursor cursor, PendingTensor[] pending, uint alignment, long dataOffset)
    {
        var tensors = new GgufTensorInfo[pending.Length];
        var chosen = new Dictionary<GgmlType, GgmlTypeTraits>();
        string? where = null;
        long expected = 0;
        for (int i = 0; i < pending.Length; i++)
        {
            PendingTensor t = pending[i];
            where = $"tensor '{t.Name}'";
            if (t.Offset % alignment != 0)
            {
                throw Fail($"tensor '{t.Name}': offset {t.Offset} is not a multiple of the alignment {alignment}", t.OffsetFieldPosition);
            }

            if (t.Offset != (ulong)expected && i > 0 && MultiThreadedI2S(pending[i - 1], tensors[i - 1], t.Offset) is { } chunks)
            {
                PendingTensor previous = pending[i - 1];
                where = $"tensor '{previous.Name}'";
                throw Fail($"tensor '{previous.Name}' is I2_S with {chunks} scale trailers (n/4 + 32 x {chunks} bytes): the file was written " +
                    $"by bitnet.cpp's 2024 llama-quantize with several threads, which stores each row chunk at the wrong place and " +
                    $"loses most rows; re-quantize the F16 model with one thread (llama-quantize IN.gguf OUT.gguf I2_S 1)",
                    previous.OffsetFieldPosition);
            }

            if (t.Offset != (ulong)expected)
            {
                throw Fail($"tensor '{t.Name}': offset {t.Offset}, expected {expected} " +
                    "(tensor data must be contiguous, in order and not overlapping)", t.OffsetFieldPosition);
            }

            // dataOffset <= file length + alignment and expected <= file length + alignment (each earlier
            // tensor ended inside the file), so neither sum can overflow.
            long fileOffset = dataOffset + expected;
            GgmlTypeTraits traits = Decide(t, i + 1 < pending.Length ? (long)Math.Min(pending[i + 1].Offset, long.MaxValue) - expected : -1,
                cursor.Length - fileOffset);
            long byteSize = traits.ByteSize(t.ElementCount);
            if (byteSize > cursor.Length - fileOffset)
            {
                throw Fail($"tensor '{t.Name}': data [{fileOffset}, {fileOffset} + {byteSize}) extends past the end of the file ({cursor.Length} bytes)",
                    t.OffsetFieldPosition);
            }

            tensors[i] = new GgufTensorInfo(t.Name, traits.Type, t.Dimensions, t.ElementCount, byteSize, expected, fileOffset)
            {
                Traits = traits,
            };
            expected += GgufLimits.AlignUp(byteSize, alignment);
        }

        return tensors;

        // bitnet.cpp's 2024 quantizer run with c threads gave an I2_S tensor the extent n/4 + 32 c (one scale trailer per
        // row chunk): the chunk count, when the gap to the next offset is exactly that for some c > 1.
        int? MultiThreadedI2S(PendingTensor previous, GgufTensorInfo placed, ulong nextOffset)
        {
            if (placed.Type != GgmlType.I2_S || nextOffset <= (ulong)placed.Offset)
            {
                return null;
            }

            long span = (long)Math.Min(nextOffset - (ulong)placed.Offset, long.MaxValue), packed = previous.ElementCount / 4;
            for (long c = 2; c <= previous.Dimensions[^1] && packed + 32 * c <= span; c++)
            {
                if (GgufLimits.AlignUp(packed + 32 * c, alignment) == span)
                {
                    return (int)c;
                }
            }

            return null;
        }

        // span: bytes to the next tensor's offset (-1 for the last tensor); left: bytes to the end of the file.
        GgmlTypeTraits Decide(PendingTensor t, long span, long left)
        {
            if (t.Candidates.Count == 1)
            {
                return t.Candidates[0];
            }

            GgmlTypeTraits[] fits = t.Candidates.Where(c =>
            {
                long size = c.ByteSize(t.ElementCount);
                return span >= 0 ? GgufLimits.AlignUp(size, alignment) == span : size <= left && left - size < alignment;
            }).ToArray();
            GgmlTypeTraits? pick = fits.Length switch
            {
                1 => fits[0],
                0 => null,
                _ => chosen.TryGetValue(t.Candidates[0].Type, out GgmlTypeTraits? earlier) && fits.Contains(earlier) ? earlier : fits[0],
            };
            if (pick is null)
            {
                string sizes = string.Join(" or ", t.Candidates.Select(c => $"{c.ByteSize(t.ElementCount)} bytes as {c.Name}"));
                throw Fail($"tensor '{t.Name}': type id {(uint)t.Candidates[0].Type} has several layouts ({sizes}), and the " +
                    $"{(span >= 0 ? $"{span} bytes to the next tensor" : $"{left} bytes left in the file")} fit none of them", t.TypeFieldPosition);
            }

            if (chosen.TryGetValue(pick.Type, out GgmlTypeTraits? previous) && previous != pick)
            {
                throw Fail($"tensor '{t.Name}': type id {(uint)pick.Type} is laid out as {pick.Name} here but as {previous.Name} in an earlier tensor",
                    t.TypeFieldPosition);
            }

            chosen[pick.Type] = pick;
            return pick;
        }

        BitNativeFormatException Fail(string problem, long position) =>
            BitNativeFormatException.Create("GGUF", cursor.FilePath, problem, position, where);
    }
}
