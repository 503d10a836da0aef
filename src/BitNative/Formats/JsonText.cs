using System.Text.Json;

namespace BitNative.Formats;

/// <summary>
/// System.Text.Json parses a document whose strings are not Unicode text (invalid UTF-8 bytes, or an escaped unpaired
/// surrogate such as <c>"\ud800"</c>) and fails only when one is read, with an <see cref="InvalidOperationException"/>
/// that a reader documenting <see cref="InvalidDataException"/> would let escape. The readers check a parsed document once
/// with <see cref="FindNonUnicode"/> and report where the bad string is (found by fuzzing, docs/RELIABILITY.md).
/// </summary>
internal static class JsonText
{
    /// <summary>
    /// The path (<c>a.b[2]</c>; <c>a.(key)</c> for a bad key of object <c>a</c>) of the first string or key under
    /// <paramref name="element"/> that is not Unicode text, or null when every one is.
    /// </summary>
    public static string? FindNonUnicode(JsonElement element, string path = "")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Decodes(() => element.GetString()) ? null : path;
            case JsonValueKind.Object:
                foreach (JsonProperty p in element.EnumerateObject())
                {
                    string? name = null;
                    if (!Decodes(() => name = p.Name))
                    {
                        return Join(path, "(key)");
                    }

                    if (FindNonUnicode(p.Value, Join(path, name!)) is { } at)
                    {
                        return at;
                    }
                }

                return null;
            case JsonValueKind.Array:
                int i = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    if (FindNonUnicode(item, $"{path}[{i++}]") is { } at)
                    {
                        return at;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static bool Decodes(Func<string?> read)
    {
        try
        {
            _ = read();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
