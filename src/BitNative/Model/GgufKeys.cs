using BitNative.Formats;
using BitNative.Formats.Gguf;

namespace BitNative.Model;

/// <summary>Lenient typed reads of GGUF metadata: converters write counts as u32, i32 or u64 depending on version.</summary>
internal static class GgufKeys
{
    public static bool TryGetInt(this GgufMetadata m, string key, out long value)
    {
        value = 0;
        if (!m.TryGetValue(key, out GgufValue? v))
        {
            return false;
        }

        value = v.Type switch
        {
            GgufValueType.UInt8 => v.AsUInt8(),
            GgufValueType.Int8 => v.AsInt8(),
            GgufValueType.UInt16 => v.AsUInt16(),
            GgufValueType.Int16 => v.AsInt16(),
            GgufValueType.UInt32 => v.AsUInt32(),
            GgufValueType.Int32 => v.AsInt32(),
            GgufValueType.UInt64 => (long)Math.Min(v.AsUInt64(), long.MaxValue),
            GgufValueType.Int64 => v.AsInt64(),
            _ => throw new InvalidDataException($"Metadata key {key} is {v.TypeName}, expected an integer."),
        };
        return true;
    }

    public static int GetInt(this GgufMetadata m, string key, int? fallback = null)
    {
        if (!m.TryGetInt(key, out long value))
        {
            return fallback ?? throw new InvalidDataException($"Metadata key {key} is missing.");
        }

        if (value is < int.MinValue or > int.MaxValue)
        {
            throw new InvalidDataException($"Metadata key {key} = {value} is out of range.");
        }

        return (int)value;
    }

    public static float GetFloat(this GgufMetadata m, string key, float fallback)
    {
        if (!m.TryGetValue(key, out GgufValue? v))
        {
            return fallback;
        }

        return v.Type switch
        {
            GgufValueType.Float32 => v.AsFloat32(),
            GgufValueType.Float64 => (float)v.AsFloat64(),
            _ => throw new InvalidDataException($"Metadata key {key} is {v.TypeName}, expected a float."),
        };
    }

    public static string? GetStringOrNull(this GgufMetadata m, string key) =>
        m.TryGetValue(key, out GgufValue? v) ? v.Type == GgufValueType.String ? v.AsString()
            : throw new InvalidDataException($"Metadata key {key} is {v.TypeName}, expected a string.") : null;

    public static bool GetBool(this GgufMetadata m, string key, bool fallback) =>
        m.TryGetValue(key, out GgufValue? v) ? v.Type == GgufValueType.Bool ? v.AsBool()
            : throw new InvalidDataException($"Metadata key {key} is {v.TypeName}, expected a bool.") : fallback;
}
