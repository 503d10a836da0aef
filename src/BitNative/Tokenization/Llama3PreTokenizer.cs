using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace BitNative.Tokenization;

/// <summary>
/// The Llama-3 pre-tokenizer: splits text where the Llama-3 regex
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>
/// finds its matches, evaluated on Unicode code points.
/// </summary>
/// <remarks>
/// Why not <see cref="RegexPreTokenizer"/>: .NET's Regex works on UTF-16 code units, so <c>\p{L}</c>/<c>\p{N}</c> never
/// match a character outside the BMP (U+1D400 mathematical letters, CJK Ext-B, astral digits), and about 2 % of
/// multilingual strings split differently from the reference tokenizers. This scanner walks code points and applies
/// the alternatives in the regex's order with the regex's backtracking outcome (the same construction as llama.cpp's
/// <c>unicode_regex_split_custom_llama3</c>, but with exact regex semantics for unassigned code points).
/// Character classes follow Oniguruma/.NET: <c>\s</c> is <c>[\t\n\v\f\r\x85\p{Z}]</c>; letters and numbers are the
/// <c>L*</c> and <c>N*</c> general categories of the running .NET Unicode tables. The contraction alternative is
/// ASCII case-insensitive, as the JavaScript reference tokenizers implement it.
/// A lone surrogate is classed as "other" (it encodes as U+FFFD, which is a symbol).
/// </remarks>
internal sealed class Llama3PreTokenizer : PreTokenizer
{
    /// <summary>The pattern as Hugging Face's tokenizer.json spells it.</summary>
    public const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Qwen2's pattern (Qwen2 / Qwen3 / Bonsai vocabularies): Llama-3's with single digits, <c>\p{N}</c> for <c>\p{N}{1,3}</c>.</summary>
    public const string Qwen2Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The shared instance (stateless, thread-safe).</summary>
    public static readonly Llama3PreTokenizer Instance = new(3);

    /// <summary>The Qwen2 pattern's instance: numbers split into single digits.</summary>
    public static readonly Llama3PreTokenizer Qwen2 = new(1);

    private readonly int _maxDigits;

    private Llama3PreTokenizer(int maxDigits) => _maxDigits = maxDigits;

    private const byte Other = 0;
    private const byte Letter = 1;
    private const byte Number = 2;
    private const byte Space = 3;

    /// <inheritdoc/>
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var splits = new List<(int Offset, int Length)>();
        Split(text, splits, _maxDigits);
        return splits;
    }

    /// <inheritdoc/>
    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text)
    {
        var splits = new List<(int Offset, int Length)>();
        Split(text, splits, _maxDigits);
        return splits;
    }

    /// <summary>Appends the (offset, length) of every pre-token of <paramref name="text"/>, in UTF-16 units.</summary>
    public void SplitInto(ReadOnlySpan<char> text, List<(int Offset, int Length)> output) => Split(text, output, _maxDigits);

    /// <summary>Appends the (offset, length) of every pre-token of <paramref name="text"/> (Llama-3's pattern), in UTF-16 units.</summary>
    public static void Split(ReadOnlySpan<char> text, List<(int Offset, int Length)> output) => Split(text, output, 3);

    /// <summary>As <see cref="Split(ReadOnlySpan{char}, List{ValueTuple{int, int}})"/> with numbers cut into runs of at most <paramref name="maxDigits"/>.</summary>
    public static void Split(ReadOnlySpan<char> text, List<(int Offset, int Length)> output, int maxDigits)
    {
        if (text.IsEmpty)
        {
            return;
        }

        // Decode once into code points: start offset (UTF-16), value and class per code point.
        int[] starts = ArrayPool<int>.Shared.Rent(text.Length + 1);
        int[] cpts = ArrayPool<int>.Shared.Rent(text.Length);
        byte[] classes = ArrayPool<byte>.Shared.Rent(text.Length);
        try
        {
            int n = 0;
            for (int i = 0; i < text.Length;)
            {
                starts[n] = i;
                if (Rune.DecodeFromUtf16(text[i..], out Rune rune, out int consumed) == OperationStatus.Done)
                {
                    cpts[n] = rune.Value;
                    classes[n] = Classify(rune);
                }
                else
                {
                    cpts[n] = 0xFFFD;
                    classes[n] = Other;
                    consumed = 1;
                }

                i += consumed;
                n++;
            }

            starts[n] = text.Length;
            Scan(new ReadOnlySpan<int>(cpts, 0, n), new ReadOnlySpan<byte>(classes, 0, n), new ReadOnlySpan<int>(starts, 0, n + 1), output,
                maxDigits);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(starts);
            ArrayPool<int>.Shared.Return(cpts);
            ArrayPool<byte>.Shared.Return(classes);
        }
    }

    private static byte Classify(Rune rune)
    {
        if (Rune.IsLetter(rune))
        {
            return Letter;
        }

        if (Rune.IsNumber(rune))
        {
            return Number;
        }

        // .NET/Oniguruma \s: \t \n \v \f \r, U+0085 and the Z categories (Zs, Zl, Zp).
        int v = rune.Value;
        if ((v >= 0x09 && v <= 0x0D) || v == 0x85)
        {
            return Space;
        }

        UnicodeCategory category = Rune.GetUnicodeCategory(rune);
        return category is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            ? Space
            : Other;
    }

    private static bool IsCrOrLf(int cpt) => cpt == '\r' || cpt == '\n';

    private static int AsciiLower(int cpt) => cpt is >= 'A' and <= 'Z' ? cpt + 32 : cpt;

    // Code-point indices throughout; starts[] maps them back to UTF-16 offsets.
    private static void Scan(ReadOnlySpan<int> cpt, ReadOnlySpan<byte> cls, ReadOnlySpan<int> starts, List<(int Offset, int Length)> output,
        int maxDigits)
    {
        int n = cpt.Length;
        int pos = 0;
        while (pos < n)
        {
            int end = MatchAt(cpt, cls, pos, maxDigits);
            output.Add((starts[pos], starts[end] - starts[pos]));
            pos = end;
        }
    }

    /// <summary>End (exclusive, code points) of the regex match that starts at <paramref name="pos"/>.</summary>
    private static int MatchAt(ReadOnlySpan<int> cpt, ReadOnlySpan<byte> cls, int pos, int maxDigits)
    {
        int n = cpt.Length;
        int c = cpt[pos];
        byte k = cls[pos];
        byte next = pos + 1 < n ? cls[pos + 1] : (byte)255; // 255 = end of text

        // (?i:'s|'t|'re|'ve|'m|'ll|'d): the first alternative that matches wins, even if a longer match exists.
        if (c == '\'' && pos + 1 < n)
        {
            int c1 = AsciiLower(cpt[pos + 1]);
            if (c1 is 's' or 't' or 'm' or 'd')
            {
                return pos + 2;
            }

            if (pos + 2 < n)
            {
                int c2 = AsciiLower(cpt[pos + 2]);
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l'))
                {
                    return pos + 3;
                }
            }
        }

        // [^\r\n\p{L}\p{N}]?\p{L}+ : a letter run, optionally led by one character that is not CR, LF, L or N.
        if (k == Letter || (!IsCrOrLf(c) && k != Number && next == Letter))
        {
            int p = pos + 1;
            while (p < n && cls[p] == Letter)
            {
                p++;
            }

            return p;
        }

        // \p{N}{1,3} (Qwen2: \p{N})
        if (k == Number)
        {
            int p = pos + 1;
            while (p < n && p - pos < maxDigits && cls[p] == Number)
            {
                p++;
            }

            return p;
        }

        // ' ?[^\s\p{L}\p{N}]+[\r\n]*' : only U+0020 may lead.
        if (k == Other || (c == ' ' && next == Other))
        {
            int p = k == Other ? pos + 1 : pos + 2;
            while (p < n && cls[p] == Other)
            {
                p++;
            }

            while (p < n && IsCrOrLf(cpt[p]))
            {
                p++;
            }

            return p;
        }

        // Here cpt[pos] is whitespace. Measure the whitespace run and the last CR/LF in it.
        int runEnd = pos;
        int lastCrLfEnd = -1;
        while (runEnd < n && cls[runEnd] == Space)
        {
            if (IsCrOrLf(cpt[runEnd]))
            {
                lastCrLfEnd = runEnd + 1;
            }

            runEnd++;
        }

        // \s*[\r\n]+ : greedy \s* backtracks to the last CR/LF of the run.
        if (lastCrLfEnd > 0)
        {
            return lastCrLfEnd;
        }

        // \s+(?!\S) : the whole run at the end of the text, else all but the last whitespace (if that leaves one).
        if (runEnd == n)
        {
            return runEnd;
        }

        if (runEnd - pos > 1)
        {
            return runEnd - 1;
        }

        // \s+
        return runEnd;
    }
}
