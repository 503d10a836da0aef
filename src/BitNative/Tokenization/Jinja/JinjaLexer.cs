using System.Globalization;
using System.Text;

namespace BitNative.Tokenization.Jinja;

/// <summary>Kinds of the tokens inside <c>{{ }}</c> and <c>{% %}</c>.</summary>
internal enum JinjaTokenKind
{
    Text,          // template text between tags (already whitespace-controlled)
    OutputStart,   // {{
    OutputEnd,     // }}
    StatementStart,// {%
    StatementEnd,  // %}
    Name,
    String,
    Integer,
    Float,
    Operator,      // + - * / // % ~ == != < > <= >= = . , : | ( ) [ ] { }
    End,
}

internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Value, int Position);

/// <summary>
/// Splits a template into text and tag tokens with Jinja's whitespace control as transformers configures it for chat
/// templates (<c>trim_blocks</c> and <c>lstrip_blocks</c> on): <c>{%-</c> / <c>-%}</c> (and the same on <c>{{ }}</c> and
/// comments) strip all whitespace on that side; a block tag or comment drops the first newline after it and the
/// spaces and tabs before it on its line.
/// </summary>
internal static class JinjaLexer
{
    public static List<JinjaToken> Tokenize(string source)
    {
        var tokens = new List<JinjaToken>();
        int pos = 0;
        bool stripNextText = false, trimNextNewline = false;
        while (pos < source.Length)
        {
            int open = FindTag(source, pos);
            string text = source[pos..(open < 0 ? source.Length : open)];
            if (trimNextNewline && text.StartsWith('\n'))
            {
                text = text[1..];
            }
            else if (trimNextNewline && text.StartsWith("\r\n", StringComparison.Ordinal))
            {
                text = text[2..];
            }

            if (stripNextText)
            {
                text = text.TrimStart();
            }

            if (open < 0)
            {
                AddText(tokens, text, pos);
                break;
            }

            char kind = source[open + 1];
            bool stripBefore = open + 2 < source.Length && source[open + 2] == '-';
            bool isBlock = kind is '%' or '#';
            if (stripBefore)
            {
                text = text.TrimEnd();
            }
            else if (isBlock && !(open + 2 < source.Length && source[open + 2] == '+'))
            {
                // lstrip_blocks: spaces and tabs between the line start and a block tag go
                int lineStart = text.LastIndexOf('\n') + 1;
                if (text.AsSpan(lineStart).Trim(" \t").IsEmpty)
                {
                    text = text[..lineStart];
                }
            }

            AddText(tokens, text, pos);
            int inner = open + 2 + (stripBefore || (open + 2 < source.Length && source[open + 2] == '+') ? 1 : 0);
            if (kind == '#')
            {
                int close = source.IndexOf("#}", inner, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new JinjaException("unclosed comment", open);
                }

                bool stripAfterComment = close > inner && source[close - 1] == '-';
                stripNextText = stripAfterComment;
                trimNextNewline = true;
                pos = close + 2;
                continue;
            }

            string closer = kind == '{' ? "}}" : "%}";
            tokens.Add(new JinjaToken(kind == '{' ? JinjaTokenKind.OutputStart : JinjaTokenKind.StatementStart, "", open));
            pos = LexExpression(source, inner, closer, tokens, out bool stripAfter);
            tokens.Add(new JinjaToken(kind == '{' ? JinjaTokenKind.OutputEnd : JinjaTokenKind.StatementEnd, "", pos));
            pos += 2;
            stripNextText = stripAfter;
            trimNextNewline = kind == '%';
        }

        tokens.Add(new JinjaToken(JinjaTokenKind.End, "", source.Length));
        return tokens;
    }

    private static void AddText(List<JinjaToken> tokens, string text, int pos)
    {
        if (text.Length > 0)
        {
            tokens.Add(new JinjaToken(JinjaTokenKind.Text, text, pos));
        }
    }

    private static int FindTag(string s, int from)
    {
        for (int i = s.IndexOf('{', from); i >= 0 && i + 1 < s.Length; i = s.IndexOf('{', i + 1))
        {
            if (s[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Lexes an expression up to <paramref name="closer"/>; returns the closer's position.</summary>
    private static int LexExpression(string s, int pos, string closer, List<JinjaToken> tokens, out bool stripAfter)
    {
        while (true)
        {
            while (pos < s.Length && char.IsWhiteSpace(s[pos]))
            {
                pos++;
            }

            if (pos >= s.Length)
            {
                throw new JinjaException($"unclosed tag (expected '{closer}')", pos);
            }

            if (s[pos] == '-' && string.CompareOrdinal(s, pos + 1, closer, 0, 2) == 0)
            {
                stripAfter = true;
                return pos + 1;
            }

            if (string.CompareOrdinal(s, pos, closer, 0, 2) == 0)
            {
                stripAfter = false;
                return pos;
            }

            char c = s[pos];
            if (char.IsLetter(c) || c == '_')
            {
                int start = pos;
                while (pos < s.Length && (char.IsLetterOrDigit(s[pos]) || s[pos] == '_'))
                {
                    pos++;
                }

                tokens.Add(new JinjaToken(JinjaTokenKind.Name, s[start..pos], start));
            }
            else if (char.IsAsciiDigit(c)) // ASCII only: long.Parse and double.Parse read no other digits
            {
                int start = pos;
                while (pos < s.Length && (char.IsAsciiDigit(s[pos]) || s[pos] == '_'))
                {
                    pos++;
                }

                bool isFloat = pos + 1 < s.Length && s[pos] == '.' && char.IsAsciiDigit(s[pos + 1]);
                if (isFloat)
                {
                    pos++;
                    while (pos < s.Length && char.IsAsciiDigit(s[pos]))
                    {
                        pos++;
                    }
                }

                tokens.Add(new JinjaToken(isFloat ? JinjaTokenKind.Float : JinjaTokenKind.Integer, s[start..pos].Replace("_", ""), start));
            }
            else if (c is '\'' or '"')
            {
                pos = LexString(s, pos, tokens);
            }
            else
            {
                string two = pos + 1 < s.Length ? s.Substring(pos, 2) : "";
                string op = two is "//" or "==" or "!=" or "<=" or ">=" or "**" ? two : c.ToString();
                if ("+-*/%~=<>!.,:|()[]{}".IndexOf(op[0]) < 0)
                {
                    throw new JinjaException($"unexpected character '{c}'", pos);
                }

                tokens.Add(new JinjaToken(JinjaTokenKind.Operator, op, pos));
                pos += op.Length;
            }
        }
    }

    private static int LexString(string s, int pos, List<JinjaToken> tokens)
    {
        char quote = s[pos];
        int start = pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (pos >= s.Length)
            {
                throw new JinjaException("unterminated string", start);
            }

            char c = s[pos++];
            if (c == quote)
            {
                break;
            }

            if (c != '\\' || pos >= s.Length)
            {
                sb.Append(c);
                continue;
            }

            char e = s[pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'u' when pos + 4 <= s.Length:
                    if (!int.TryParse(s.AsSpan(pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                    {
                        throw new JinjaException("truncated \\uXXXX escape", pos - 2); // Python's error for the same literal
                    }

                    sb.Append((char)code);
                    pos += 4;
                    break;
                default: sb.Append('\\').Append(e); break; // Python keeps unknown escapes as written
            }
        }

        tokens.Add(new JinjaToken(JinjaTokenKind.String, sb.ToString(), start));
        return pos;
    }
}

/// <summary>A template that cannot be parsed or rendered; the message names the problem and where.</summary>
internal sealed class JinjaException(string message, int position = -1)
    : Exception(position >= 0 ? $"{message} (at character {position})" : message);
