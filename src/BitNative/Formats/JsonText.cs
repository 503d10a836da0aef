using System.Text.Json;
using System.Text.Unicode;

namespace BitNative.Formats;

/// <summary>
/// System.Text.Json parses a document whose strings are not Unicode text (invalid UTF-8 bytes, or an escaped unpaired
/// surrogate such as <c>"\ud800"</c>) and fails only when one is read, with an <see cref="InvalidOperationException"/>
/// that a reader documenting <see cref="InvalidDataException"/> would let escape. The readers check a parsed document once
/// with <see cref="FindNonUnicode(ReadOnlySpan{byte}, JsonElement)"/> and report where the bad string is (found by
/// fuzzing, docs/RELIABILITY.md).
/// </summary>
public static class JsonText
{
    /// <summary>
    /// <see cref="FindNonUnicode(JsonElement)"/> for a document parsed from <paramref name="json"/>, answered from
    /// the bytes alone when they are valid UTF-8 without surrogate escapes (a vectorized scan: reading every string of
    /// Llama-3's 9 MB tokenizer.json would add 150 ms to its load).
    /// </summary>
    public static string? FindNonUnicode(ReadOnlySpan<byte> json, JsonElement root) =>
        Utf8.IsValid(json) && !HasSurrogateEscape(json) ? null : FindNonUnicode(root);

    /// <summary>
    /// The path (<c>a.b[2]</c>; <c>a.(key)</c> for a bad key of object <c>a</c>; "the top level" when the element itself is
    /// the string) of the first string or key under <paramref name="element"/> that is not Unicode text, or null when
    /// every one is.
    /// </summary>
    public static string? FindNonUnicode(JsonElement element) =>
        FindNonUnicode(element, "") is { } at ? (at.Length == 0 ? "the top level" : at) : null;

    private static string? FindNonUnicode(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Decodes(element) ? null : path;
            case JsonValueKind.Object:
                foreach (JsonProperty p in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = p.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return Join(path, "(key)");
                    }

                    if (FindNonUnicode(p.Value, Join(path, name)) is { } at)
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

    private static bool Decodes(JsonElement s)
    {
        try
        {
            _ = s.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>True when <paramref name="json"/> holds <c>\uD800</c>..<c>\uDFFF</c> (any case), the only escapes that can be unpaired.</summary>
    private static bool HasSurrogateEscape(ReadOnlySpan<byte> json)
    {
        while (json.IndexOf("\\u"u8) is int i and >= 0)
        {
            json = json[(i + 2)..];
            if (json.Length >= 2 && (json[0] | 0x20) == 'd' && (json[1] is (byte)'8' or (byte)'9' || (json[1] | 0x20) is >= 'a' and <= 'f'))
            {
                return true;
            }
        }

        return false;
    }
}
