using System.Text.Json;

namespace BitNative.Cli.Serving;

/// <summary>
/// Typed, checked reads of a JSON request's fields: every wrong type or out-of-range value becomes a 400 that names the
/// field (<see cref="ApiError.InvalidField"/>). A field that is absent or null reads as null.
/// </summary>
internal readonly struct RequestFields(JsonElement root)
{
    public JsonElement Root => root;

    public bool Has(string name) => root.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null;

    public JsonElement? Get(string name) =>
        root.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public string? String(string name)
    {
        if (Get(name) is not { } v)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw ApiError.InvalidField(name, "must be a string.");
    }

    public bool? Bool(string name)
    {
        if (Get(name) is not { } v)
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw ApiError.InvalidField(name, "must be true or false."),
        };
    }

    public int? Int(string name, int min, int max)
    {
        if (Get(name) is not { } v)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long value))
        {
            throw ApiError.InvalidField(name, "must be an integer.");
        }

        return value >= min && value <= max ? (int)value : throw ApiError.InvalidField(name, $"must be in {min}..{max}, got {value}.");
    }

    public float? Number(string name, double min, double max, bool minExclusive = false)
    {
        if (Get(name) is not { } v)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double value) || !double.IsFinite(value))
        {
            throw ApiError.InvalidField(name, "must be a number.");
        }

        bool ok = (minExclusive ? value > min : value >= min) && value <= max;
        return ok ? (float)value : throw ApiError.InvalidField(name, $"must be in {(minExclusive ? "(" : "[")}{min}, {max}], got {value}.");
    }

    /// <summary>A string or an array of strings (OpenAI's <c>stop</c>), each non-empty.</summary>
    public IReadOnlyList<string> Strings(string name, int maxCount)
    {
        if (Get(name) is not { } v)
        {
            return [];
        }

        if (v.ValueKind == JsonValueKind.String)
        {
            return NonEmpty(v.GetString()!);
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            throw ApiError.InvalidField(name, "must be a string or an array of strings.");
        }

        if (v.GetArrayLength() > maxCount)
        {
            throw ApiError.InvalidField(name, $"may hold at most {maxCount} strings.");
        }

        var list = new List<string>();
        foreach (JsonElement item in v.EnumerateArray())
        {
            list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw ApiError.InvalidField(name, "must hold only strings."));
        }

        return list.All(s => s.Length > 0) ? list : throw ApiError.InvalidField(name, "must not hold empty strings.");

        string[] NonEmpty(string s) => s.Length > 0 ? [s] : throw ApiError.InvalidField(name, "must not be empty.");
    }
}
