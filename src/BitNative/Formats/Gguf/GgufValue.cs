using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace BitNative.Formats.Gguf;

/// <summary>
/// One GGUF metadata value: a scalar, a string, or a typed array of scalars or strings.
/// Immutable; equality compares type and content (floats bit for bit).
/// </summary>
/// <remarks>
/// Numeric arrays are held as .NET arrays of the matching element type (for example
/// <c>tokenizer.ggml.scores</c> as <see cref="float"/>[]) and exposed without copying through
/// <see cref="AsArray{T}"/>. GGUF's nested arrays (arrays of arrays) are rejected by the reader and
/// cannot be built here: llama.cpp neither reads nor writes them.
/// </remarks>
public sealed class GgufValue : IEquatable<GgufValue>
{
    // Scalars: raw bits, zero-extended (floats via their IEEE bit pattern). Strings and arrays: _payload.
    private readonly ulong _bits;
    private readonly object? _payload;

    private GgufValue(GgufValueType type, GgufValueType? elementType, ulong bits, object? payload)
    {
        Type = type;
        ElementType = elementType;
        _bits = bits;
        _payload = payload;
    }

    /// <summary>The value's type; <see cref="GgufValueType.Array"/> for arrays.</summary>
    public GgufValueType Type { get; }

    /// <summary>For an array, the type of its elements; otherwise <see langword="null"/>.</summary>
    public GgufValueType? ElementType { get; }

    /// <summary>Whether this value is an array.</summary>
    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>Number of elements of an array value.</summary>
    /// <exception cref="InvalidOperationException">The value is not an array.</exception>
    public int ArrayLength => IsArray
        ? ((Array)_payload!).Length
        : throw new InvalidOperationException($"The value is {TypeName}, not an array.");

    /// <summary>Short type name as GGUF tools print it: "u32", "f32", "string", "i32[]", "string[]".</summary>
    public string TypeName => GgufValueTypes.DisplayName(Type, ElementType);

    /// <summary>Creates a u8 value.</summary>
    /// <param name="value">The value.</param>
    public static GgufValue FromUInt8(byte value) => new(GgufValueType.UInt8, null, value, null);

    /// <summary>Creates an i8 value.</summary>
    /// <param name="value">The value.</param>
    public static GgufValue FromInt8(sbyte value) => new(GgufValueType.Int8, null, (byte)value, null);

    /// <summary>Creates a u16 value.</summary>
    /// <param name="value">The value.</param>
    public static GgufValue FromUInt16(ushort value) => new(GgufValueType.UInt16, null, value, null);

    /// <summary>Creates an i16 value.</summary>
    /// <param name="value">The value.</param>
    public static GgufValue FromInt16(short value) => new(GgufValueType.Int16, null, (ushort)value, null);

    /// <summary>Creates a u32 value.</summary>
    /// <param name="value">The value.</param>
    public static GgufValue FromUInt32(uint value) => new(GgufValueType.UInt32, null, value, null);

    /// <summary>Creates an i32 value.</summary>
    /// <param name="value">The value.</param>
    public static GgufValue FromInt32(int value) => new(GgufValueType.Int32, null, (uint)value, null);

    /// <summary>Creates an f32 value.</summary>
    /// <param name="value">The value.</param>
    public static GgufValue FromFloat32(float value) =>
        new(GgufValueType.Float32, null, BitConverter.SingleToUInt32Bits(value), null);

    /// <summary>Creates a bool value.</summary>
    /// <param name="value">The value.</param>
    public static GgufValue FromBool(bool value) => new(GgufValueType.Bool, null, value ? 1u : 0u, null);

    /// <summary>Creates a string value.</summary>
    /// <param name="value">The value; stored as UTF-8.</param>
    public static GgufValue FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(GgufValueType.String, null, 0, value);
    }

    /// <summary>Creates a u64 value.</summary>
    /// <param name="value">The value.</param>
    public static GgufValue FromUInt64(ulong value) => new(GgufValueType.UInt64, null, value, null);

    /// <summary>Creates an i64 value.</summary>
    /// <param name="value">The value.</param>
    public static GgufValue FromInt64(long value) => new(GgufValueType.Int64, null, (ulong)value, null);

    /// <summary>Creates an f64 value.</summary>
    /// <param name="value">The value.</param>
    public static GgufValue FromFloat64(double value) =>
        new(GgufValueType.Float64, null, BitConverter.DoubleToUInt64Bits(value), null);

    /// <summary>
    /// Creates an array of scalars. <typeparamref name="T"/> picks the GGUF element type: byte (u8),
    /// sbyte (i8), ushort (u16), short (i16), uint (u32), int (i32), float (f32), bool, ulong (u64),
    /// long (i64) or double (f64).
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="values">The elements; copied.</param>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not one of the GGUF scalar types.</exception>
    public static GgufValue FromArray<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        GgufValueType elementType = ElementTypeOf<T>()
            ?? throw new ArgumentException($"{typeof(T).Name} is not a GGUF scalar type.", nameof(values));
        return new(GgufValueType.Array, elementType, 0, values.ToArray());
    }

    /// <summary>Creates an array of strings.</summary>
    /// <param name="values">The elements; copied.</param>
    public static GgufValue FromStringArray(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        string[] copy = values.ToArray();
        foreach (string s in copy)
        {
            ArgumentNullException.ThrowIfNull(s, nameof(values));
        }

        return new(GgufValueType.Array, GgufValueType.String, 0, copy);
    }

    /// <summary>Wraps an array the reader has already built and validated (no copy).</summary>
    internal static GgufValue FromValidatedArray(GgufValueType elementType, Array elements) =>
        new(GgufValueType.Array, elementType, 0, elements);

    /// <summary>Wraps a scalar the reader has decoded (raw little-endian bits, zero-extended).</summary>
    internal static GgufValue FromValidatedScalar(GgufValueType type, ulong bits) => new(type, null, bits, null);

    /// <summary>Returns the u8 value.</summary>
    /// <exception cref="InvalidOperationException">The value has another type.</exception>
    public byte AsUInt8() => (byte)Scalar(GgufValueType.UInt8);

    /// <summary>Returns the i8 value.</summary>
    /// <exception cref="InvalidOperationException">The value has another type.</exception>
    public sbyte AsInt8() => (sbyte)(byte)Scalar(GgufValueType.Int8);

    /// <summary>Returns the u16 value.</summary>
    /// <exception cref="InvalidOperationException">The value has another type.</exception>
    public ushort AsUInt16() => (ushort)Scalar(GgufValueType.UInt16);

    /// <summary>Returns the i16 value.</summary>
    /// <exception cref="InvalidOperationException">The value has another type.</exception>
    public short AsInt16() => (short)(ushort)Scalar(GgufValueType.Int16);

    /// <summary>Returns the u32 value.</summary>
    /// <exception cref="InvalidOperationException">The value has another type.</exception>
    public uint AsUInt32() => (uint)Scalar(GgufValueType.UInt32);

    /// <summary>Returns the i32 value.</summary>
    /// <exception cref="InvalidOperationException">The value has another type.</exception>
    public int AsInt32() => (int)(uint)Scalar(GgufValueType.Int32);

    /// <summary>Returns the f32 value.</summary>
    /// <exception cref="InvalidOperationException">The value has another type.</exception>
    public float AsFloat32() => BitConverter.UInt32BitsToSingle((uint)Scalar(GgufValueType.Float32));

    /// <summary>Returns the bool value.</summary>
    /// <exception cref="InvalidOperationException">The value has another type.</exception>
    public bool AsBool() => Scalar(GgufValueType.Bool) != 0;

    /// <summary>Returns the u64 value.</summary>
    /// <exception cref="InvalidOperationException">The value has another type.</exception>
    public ulong AsUInt64() => Scalar(GgufValueType.UInt64);

    /// <summary>Returns the i64 value.</summary>
    /// <exception cref="InvalidOperationException">The value has another type.</exception>
    public long AsInt64() => (long)Scalar(GgufValueType.Int64);

    /// <summary>Returns the f64 value.</summary>
    /// <exception cref="InvalidOperationException">The value has another type.</exception>
    public double AsFloat64() => BitConverter.UInt64BitsToDouble(Scalar(GgufValueType.Float64));

    /// <summary>Returns the string value.</summary>
    /// <exception cref="InvalidOperationException">The value has another type.</exception>
    public string AsString() => Type == GgufValueType.String
        ? (string)_payload!
        : throw WrongType(GgufValueTypes.DisplayName(GgufValueType.String));

    /// <summary>Returns the elements of a scalar array without copying.</summary>
    /// <typeparam name="T">The element type matching <see cref="ElementType"/> (for example <see cref="int"/> for i32[]).</typeparam>
    /// <exception cref="InvalidOperationException">The value is not an array of <typeparamref name="T"/>.</exception>
    public ReadOnlySpan<T> AsArray<T>()
        where T : unmanaged
    {
        GgufValueType? wanted = ElementTypeOf<T>();
        if (!IsArray || wanted is null || ElementType != wanted)
        {
            throw WrongType(wanted is { } w ? GgufValueTypes.DisplayName(GgufValueType.Array, w) : $"{typeof(T).Name}[]");
        }

        return (T[])_payload!;
    }

    /// <summary>Returns the elements of a string array.</summary>
    /// <exception cref="InvalidOperationException">The value is not an array of strings.</exception>
    public IReadOnlyList<string> AsStringArray() => IsArray && ElementType == GgufValueType.String
        ? (string[])_payload!
        : throw WrongType(GgufValueTypes.DisplayName(GgufValueType.Array, GgufValueType.String));

    /// <summary>Whether two values have the same type and content (floats compared bit for bit).</summary>
    /// <param name="other">The value to compare with.</param>
    public bool Equals(GgufValue? other)
    {
        if (other is null || Type != other.Type || ElementType != other.ElementType)
        {
            return false;
        }

        return _payload switch
        {
            null => _bits == other._bits,
            string s => s == (string)other._payload!,
            string[] a => a.AsSpan().SequenceEqual((string[])other._payload!),
            bool[] a => a.AsSpan().SequenceEqual((bool[])other._payload!),
            _ => ArrayBytes((Array)_payload).SequenceEqual(ArrayBytes((Array)other._payload!)),
        };
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as GgufValue);

    /// <inheritdoc/>
    public override int GetHashCode() => _payload switch
    {
        null => HashCode.Combine(Type, _bits),
        string s => HashCode.Combine(Type, s),
        _ => HashCode.Combine(Type, ElementType, ((Array)_payload).Length),
    };

    /// <summary>A short human-readable form: the value, or the first elements of an array and its length.</summary>
    public override string ToString()
    {
        if (!IsArray)
        {
            return Type == GgufValueType.String ? Quote((string)_payload!) : FormatScalar(Type, _bits);
        }

        const int shown = 8;
        var text = new StringBuilder("[");
        var array = (Array)_payload!;
        for (int i = 0; i < Math.Min(shown, array.Length); i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(FormatElement(array, i));
        }

        if (array.Length > shown)
        {
            text.Append(CultureInfo.InvariantCulture, $", ... ({array.Length} items)");
        }

        return text.Append(']').ToString();
    }

    /// <summary>The GGUF element type a .NET type stands for, or null when it has none.</summary>
    internal static GgufValueType? ElementTypeOf<T>() =>
        typeof(T) == typeof(byte) ? GgufValueType.UInt8
        : typeof(T) == typeof(sbyte) ? GgufValueType.Int8
        : typeof(T) == typeof(ushort) ? GgufValueType.UInt16
        : typeof(T) == typeof(short) ? GgufValueType.Int16
        : typeof(T) == typeof(uint) ? GgufValueType.UInt32
        : typeof(T) == typeof(int) ? GgufValueType.Int32
        : typeof(T) == typeof(float) ? GgufValueType.Float32
        : typeof(T) == typeof(bool) ? GgufValueType.Bool
        : typeof(T) == typeof(ulong) ? GgufValueType.UInt64
        : typeof(T) == typeof(long) ? GgufValueType.Int64
        : typeof(T) == typeof(double) ? GgufValueType.Float64
        : null;

    /// <summary>The array payload for the writer (typed array or string[]).</summary>
    internal Array ArrayPayload => (Array)_payload!;

    /// <summary>The raw scalar bits for the writer.</summary>
    internal ulong ScalarBits => _bits;

    private ulong Scalar(GgufValueType expected) =>
        Type == expected ? _bits : throw WrongType(GgufValueTypes.DisplayName(expected));

    private InvalidOperationException WrongType(string expected) =>
        new($"The value is {TypeName}, not {expected}.");

    private static ReadOnlySpan<byte> ArrayBytes(Array array) => array switch
    {
        byte[] a => a,
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ushort[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        uint[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ulong[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        _ => throw new InvalidOperationException($"Unexpected array payload {array.GetType().Name}."),
    };

    private static string FormatElement(Array array, int index) => array switch
    {
        string[] a => Quote(a[index]),
        bool[] a => a[index] ? "true" : "false",
        float[] a => a[index].ToString("R", CultureInfo.InvariantCulture),
        double[] a => a[index].ToString("R", CultureInfo.InvariantCulture),
        _ => Convert.ToString(array.GetValue(index), CultureInfo.InvariantCulture) ?? "",
    };

    private static string FormatScalar(GgufValueType type, ulong bits) => type switch
    {
        GgufValueType.Int8 => ((sbyte)(byte)bits).ToString(CultureInfo.InvariantCulture),
        GgufValueType.Int16 => ((short)(ushort)bits).ToString(CultureInfo.InvariantCulture),
        GgufValueType.Int32 => ((int)(uint)bits).ToString(CultureInfo.InvariantCulture),
        GgufValueType.Int64 => ((long)bits).ToString(CultureInfo.InvariantCulture),
        GgufValueType.Float32 => BitConverter.UInt32BitsToSingle((uint)bits).ToString("R", CultureInfo.InvariantCulture),
        GgufValueType.Float64 => BitConverter.UInt64BitsToDouble(bits).ToString("R", CultureInfo.InvariantCulture),
        GgufValueType.Bool => bits != 0 ? "true" : "false",
        _ => bits.ToString(CultureInfo.InvariantCulture),
    };

    private static string Quote(string s)
    {
        const int maxShown = 60;
        string shown = s.Length > maxShown ? s[..maxShown] + "..." : s;
        return "\"" + shown.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
    }
}
