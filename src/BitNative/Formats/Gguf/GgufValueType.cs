namespace BitNative.Formats.Gguf;

/// <summary>Metadata value types of GGUF, with the numeric ids the format stores.</summary>
public enum GgufValueType : uint
{
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 0,

    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 1,

    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 2,

    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 3,

    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 4,

    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 5,

    /// <summary>32-bit IEEE float.</summary>
    Float32 = 6,

    /// <summary>Boolean stored as one byte, 0 or 1.</summary>
    Bool = 7,

    /// <summary>UTF-8 string: u64 byte length, then the bytes (no terminator).</summary>
    String = 8,

    /// <summary>Array: u32 element type, u64 count, then the elements. Arrays of arrays are not supported.</summary>
    Array = 9,

    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 10,

    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 11,

    /// <summary>64-bit IEEE float.</summary>
    Float64 = 12,
}

/// <summary>Sizes and names of the value types, kept in one place.</summary>
internal static class GgufValueTypes
{
    /// <summary>Whether <paramref name="id"/> is a value type defined by GGUF.</summary>
    public static bool IsDefined(uint id) => id <= (uint)GgufValueType.Float64;

    /// <summary>
    /// Bytes one element occupies in the file; for strings the minimum (the 8-byte length prefix),
    /// which is what bounds an array count against the bytes left.
    /// </summary>
    public static int MinimumEncodedSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
        // u32 element type + u64 count.
        GgufValueType.Array => 12,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>Short display name, e.g. "u32", "string", "string[]".</summary>
    public static string DisplayName(GgufValueType type, GgufValueType? elementType = null) =>
        type == GgufValueType.Array && elementType is { } element
            ? DisplayName(element) + "[]"
            : type switch
            {
                GgufValueType.UInt8 => "u8",
                GgufValueType.Int8 => "i8",
                GgufValueType.UInt16 => "u16",
                GgufValueType.Int16 => "i16",
                GgufValueType.UInt32 => "u32",
                GgufValueType.Int32 => "i32",
                GgufValueType.Float32 => "f32",
                GgufValueType.Bool => "bool",
                GgufValueType.String => "string",
                GgufValueType.Array => "array",
                GgufValueType.UInt64 => "u64",
                GgufValueType.Int64 => "i64",
                GgufValueType.Float64 => "f64",
                _ => $"type {(uint)type}",
            };
}
