namespace BindGen.Model;

/// <summary>
/// A declaration's comment as plain text: the first paragraph (up to the first blank comment
/// line) is the summary, the remaining paragraphs are remarks. Lines keep their wording and
/// relative indentation; comment markers (<c>/*</c>, leading <c> * </c>, <c>*/</c>, <c>//</c>) are gone.
/// </summary>
internal sealed record DocComment(IReadOnlyList<string> Summary, IReadOnlyList<IReadOnlyList<string>> Remarks)
{
    /// <summary>Parses a raw C comment (block or line comments); null when it holds no text.</summary>
    public static DocComment? FromRaw(string raw)
    {
        var lines = new List<string>();
        foreach (string rawLine in raw.Replace("\r\n", "\n").Split('\n'))
        {
            lines.Add(StripMarkers(rawLine).TrimEnd());
        }

        var paragraphs = new List<IReadOnlyList<string>>();
        var current = new List<string>();
        foreach (string line in lines)
        {
            if (line.Length == 0)
            {
                if (current.Count > 0)
                {
                    paragraphs.Add(current);
                    current = [];
                }
            }
            else
            {
                current.Add(line);
            }
        }

        if (current.Count > 0)
        {
            paragraphs.Add(current);
        }

        return paragraphs.Count == 0 ? null : new DocComment(paragraphs[0], paragraphs.Skip(1).ToList());
    }

    // One physical line of a comment, which libclang may have merged from several adjacent
    // comments: "/* text", " * text", " text */", "// text", "/// text".
    private static string StripMarkers(string line)
    {
        string s = line.TrimStart();
        if (s.StartsWith("//", StringComparison.Ordinal))
        {
            s = s[2..];
            if (s.StartsWith('/') || s.StartsWith('!'))
            {
                s = s[1..];
            }
        }
        else if (s.StartsWith("/*", StringComparison.Ordinal))
        {
            s = s[2..];
            if (s.StartsWith('*') || s.StartsWith('!'))
            {
                s = s[1..];
            }
        }
        else if (s.StartsWith('*') && !s.StartsWith("*/", StringComparison.Ordinal))
        {
            s = s[1..];
        }

        s = s.TrimEnd();
        if (s.EndsWith("*/", StringComparison.Ordinal))
        {
            s = s[..^2].TrimEnd('*');
        }

        // The single space after the marker separates it from the text; deeper indentation is kept.
        return s.StartsWith(' ') ? s[1..] : s;
    }
}
