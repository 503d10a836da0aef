using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace BitNative.Formats.Gguf;

/// <summary>
/// Sequential little-endian reader over a GGUF file. Every read is checked against the bytes left
/// before any span is taken, and every failure becomes a <see cref="BitNativeFormatException"/> that
/// names the file, the offset and the item being read (<see cref="Where"/>).
/// </summary>
internal sealed class GgufCursor(IByteSource source, string filePath)
{
    public string FilePath { get; } = filePath;

    public long Position { get; private set; }

    public long Length => source.Length;

    public long Remaining => source.Length - Position;

    /// <summary>What is being read, for error messages ("header", "key 'general.name'", "tensor 'x'").</summary>
    public string Where { get; set; } = "header";

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw Fail($"unexpected end of file: {count} bytes needed, {Remaining} left (file is {Length} bytes)", Position);
        }

        ReadOnlySpan<byte> span = source.GetSpan(Position, count);
        Position += count;
        return span;
    }

    public byte ReadUInt8() => Take(1)[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>Reads a GGUF string (u64 byte length + UTF-8 bytes), rejecting lengths over <paramref name="maxBytes"/> or the bytes left.</summary>
    /// <param name="what">What the string is, for messages ("key", "tensor name", "string value").</param>
    /// <param name="maxBytes">The cap for this kind of string.</param>
    public string ReadString(string what, int maxBytes)
    {
        long start = Position;
        ulong length = ReadUInt64();
        // Compare as unsigned 64-bit before narrowing: a hostile length may not fit in an int or a long.
        if (length > (ulong)maxBytes)
        {
            throw Fail($"{what} is {length} bytes, more than the limit of {maxBytes}", start);
        }

        if (length > (ulong)Remaining)
        {
            throw Fail($"{what} length {length} exceeds the {Remaining} bytes left in the file", start);
        }

        ReadOnlySpan<byte> bytes = Take((int)length);
        if (!Utf8.IsValid(bytes))
        {
            throw Fail($"{what} is not valid UTF-8", start);
        }

        return Encoding.UTF8.GetString(bytes);
    }

    public BitNativeFormatException Fail(string problem, long offset) =>
        BitNativeFormatException.Create("GGUF", FilePath, problem, offset, Where);
}
