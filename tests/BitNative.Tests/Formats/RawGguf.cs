using System.Buffers.Binary;
using System.Text;

namespace BitNative.Tests.Formats;

/// <summary>
/// Writes GGUF bytes field by field with no validation at all, so tests can build exactly the broken
/// structure they want (wrong counts, types, lengths, offsets) without hand-editing binaries.
/// </summary>
internal sealed class RawGguf
{
    private readonly MemoryStream _bytes = new();

    public long Length => _bytes.Length;

    /// <summary>Starts a file: magic, version, tensor count, key/value count.</summary>
    public static RawGguf Header(ulong tensors, ulong keyValues, uint version = 3, string magic = "GGUF") =>
        new RawGguf().Ascii(magic).U32(version).U64(tensors).U64(keyValues);

    public RawGguf Ascii(string s) => Bytes(Encoding.ASCII.GetBytes(s));

    public RawGguf Bytes(ReadOnlySpan<byte> bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    public RawGguf U8(byte v) => Bytes([v]);

    public RawGguf U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return Bytes(b);
    }

    public RawGguf I32(int v) => U32((uint)v);

    public RawGguf F32(float v) => U32(BitConverter.SingleToUInt32Bits(v));

    public RawGguf U64(ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return Bytes(b);
    }

    public RawGguf I64(long v) => U64((ulong)v);

    /// <summary>A GGUF string: u64 length + UTF-8 bytes.</summary>
    public RawGguf Str(string s)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(s);
        return U64((ulong)utf8.Length).Bytes(utf8);
    }

    /// <summary>A key/value pair with a raw type id and raw value bytes.</summary>
    public RawGguf Kv(string key, uint type, Action<RawGguf> value)
    {
        Str(key).U32(type);
        value(this);
        return this;
    }

    public RawGguf KvU32(string key, uint v) => Kv(key, 4, r => r.U32(v));

    public RawGguf KvStr(string key, string v) => Kv(key, 8, r => r.Str(v));

    /// <summary>An array key/value: type 9, element type, count, then the elements.</summary>
    public RawGguf KvArray(string key, uint elementType, ulong count, Action<RawGguf> elements) =>
        Kv(key, 9, r =>
        {
            r.U32(elementType).U64(count);
            elements(r);
        });

    public RawGguf KvStrings(string key, params string[] values) =>
        KvArray(key, 8, (ulong)values.Length, r =>
        {
            foreach (string s in values)
            {
                r.Str(s);
            }
        });

    /// <summary>A tensor info: name, n_dims, dims, type id, offset.</summary>
    public RawGguf Tensor(string name, ulong[] dims, uint type, ulong offset, uint? nDims = null)
    {
        Str(name).U32(nDims ?? (uint)dims.Length);
        foreach (ulong d in dims)
        {
            U64(d);
        }

        return U32(type).U64(offset);
    }

    public RawGguf Zeros(long count) => Bytes(new byte[count]);

    public RawGguf PadTo(int alignment) => Zeros((alignment - _bytes.Length % alignment) % alignment);

    public byte[] ToArray() => _bytes.ToArray();
}
