using System.Text.Json;

namespace BitNative.Model;

/// <summary>
/// Typed reads from one JSON object of a Hugging Face config (config.json or its quantization_config), each with the
/// default the Python config class gives an absent key. A key that is present with the wrong type, or null where Python
/// would fail on None, is an error naming the file and the key (with <paramref name="prefix"/>, e.g.
/// "quantization_config."), never a silent fallback.
/// </summary>
internal readonly struct ConfigJson(JsonElement root, string path, string prefix = "")
{
    public string Path => path;

    /// <summary>The key as the messages name it.</summary>
    public string Key(string key) => prefix + key;

    public bool Has(string key) => root.TryGetProperty(key, out _);

    /// <summary>True when the key is absent or explicitly null.</summary>
    public bool IsNullOrAbsent(string key) => !root.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null;

    public int Int(string key, int fallback)
    {
        if (!root.TryGetProperty(key, out JsonElement v))
        {
            return fallback;
        }

        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw Wrong(key, v, "an integer");
    }

    public float Float(string key, float fallback)
    {
        if (!root.TryGetProperty(key, out JsonElement v))
        {
            return fallback;
        }

        return v.ValueKind == JsonValueKind.Number ? v.GetSingle() : throw Wrong(key, v, "a number");
    }

    public bool Bool(string key, bool fallback)
    {
        if (!root.TryGetProperty(key, out JsonElement v))
        {
            return fallback;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(key, v, "true or false"),
        };
    }

    public string String(string key, string fallback)
    {
        if (!root.TryGetProperty(key, out JsonElement v))
        {
            return fallback;
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Wrong(key, v, "a string");
    }

    /// <summary>A list of strings; null (or absent) gives null, as Python's None.</summary>
    public IReadOnlyList<string>? StringList(string key)
    {
        if (!root.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw Wrong(key, v, "a list of strings or null");
        }

        return v.EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    /// <summary>The nested object at <paramref name="key"/>, or null when absent or null.</summary>
    /// <summary>An array of integers, or null when absent or null.</summary>
    public IReadOnlyList<int>? IntList(string key)
    {
        if (IsNullOrAbsent(key))
        {
            return null;
        }

        JsonElement v = root.GetProperty(key);
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out _)))
        {
            throw new InvalidDataException($"{path}: {Key(key)} must be an array of integers.");
        }

        return v.EnumerateArray().Select(e => e.GetInt32()).ToArray();
    }

    public ConfigJson? Object(string key)
    {
        if (!root.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Object ? new ConfigJson(v, path, prefix + key + ".") : throw Wrong(key, v, "an object or null");
    }

    /// <summary>An error about this key's value, in one line.</summary>
    public InvalidDataException Unsupported(string key, string value, string accepted) =>
        new($"{path}: {Key(key)} '{value}' is not supported; {accepted}.");

    private InvalidDataException Wrong(string key, JsonElement value, string expected) =>
        new($"{path}: {Key(key)} is {Describe(value)}, expected {expected}.");

    /// <summary>A JSON value as an error message names it: null, the string '...', an object, a list, or its text.</summary>
    public static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.String => $"the string '{v.GetString()}'",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        _ => v.GetRawText(),
    };
}
