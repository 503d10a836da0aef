using System.Text;
using System.Text.RegularExpressions;
using BitNative.Tokenization;
using Xunit;

namespace BitNative.Tests.Tokenization;

public sealed class Llama3PreTokenizerTests
{
    // The Llama-3 pattern with the contraction group spelled ASCII-case-insensitively (as the JS references do);
    // .NET's (?i) would also fold 'ſ' and 'K' (Kelvin) into 's' and 'k'.
    private static readonly Regex Reference = new(
        @"'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        RegexOptions.CultureInvariant);

    private static List<string> Split(string text)
    {
        var splits = new List<(int Offset, int Length)>();
        Llama3PreTokenizer.Split(text, splits);
        return splits.Select(s => text.Substring(s.Offset, s.Length)).ToList();
    }

    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("  two", new[] { " ", " two" })]
    [InlineData("a\n\nb", new[] { "a", "\n\n", "b" })]
    [InlineData("x   ", new[] { "x", "   " })]
    [InlineData("x   y", new[] { "x", "  ", " y" })]
    [InlineData("'sam", new[] { "'s", "am" })]
    [InlineData("I'LL", new[] { "I", "'LL" })]
    [InlineData("(hello) world!!\n", new[] { "(hello", ")", " world", "!!\n" })]
    [InlineData("1234567", new[] { "123", "456", "7" })]
    [InlineData("\t\tx", new[] { "\t", "\tx" })]
    [InlineData("a \n b", new[] { "a", " \n", " b" })]
    public void SplitsLikeTheLlama3Regex(string text, string[] expected)
    {
        Assert.Equal(expected, Split(text));
        Assert.Equal(expected, Reference.Matches(text).Select(m => m.Value));
    }

    [Theory]
    [InlineData("𝟏𝟐𝟑𝟒", new[] { "𝟏𝟐𝟑", "𝟒" })]               // astral digits count as one digit each
    [InlineData(" 𝐀𝐁", new[] { " 𝐀𝐁" })]                          // astral letters are letters
    [InlineData("a𝐀b c", new[] { "a𝐀b", " c" })]
    [InlineData("𠮷野家 x", new[] { "𠮷野家", " x" })]                // CJK Ext-B
    [InlineData("!😀!", new[] { "!😀!" })]                            // emoji are neither letters nor digits
    [InlineData("'𝐬", new[] { "'𝐬" })]                               // not a contraction, a prefixed letter run
    public void TreatsCharactersOutsideTheBmpAsCodePoints(string text, string[] expected)
    {
        Assert.Equal(expected, Split(text));
    }

    [Fact]
    public void AgreesWithTheRegex_OnRandomBmpText()
    {
        // On BMP-only text .NET's Regex is exact, so it is an oracle for the scanner's logic.
        char[] alphabet =
        [
            'a', 'b', 'Z', 'é', 'ß', 'Ж', 'λ', 'ש', 'ع', 'क', 'ก', '中', 'あ', '한', '0', '7', '٣', '½', 'Ⅳ',
            ' ', ' ', ' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u2028', '\u0085', '\v', '\f',
            '\'', 's', 't', 'l', 'L', 'r', 'e', 'v', 'm', 'd', 'D',
            '.', ',', '!', '?', '(', ')', '-', '_', '"', '€', '→', '\u0301', '\u200d', '\ufe0f', '\ufeff',
        ];
        var random = new Random(7);
        var text = new StringBuilder();
        for (int round = 0; round < 5000; round++)
        {
            text.Clear();
            int length = random.Next(1, 20);
            for (int i = 0; i < length; i++)
            {
                text.Append(alphabet[random.Next(alphabet.Length)]);
            }

            string s = text.ToString();
            Assert.Equal(Reference.Matches(s).Select(m => m.Value), Split(s));
        }
    }

    [Fact]
    public void CoversTheWholeText_AndWorksThroughThePreTokenizerApi()
    {
        string text = "Hi there 👋🏽 — it's 2024!\n\n  Done.";
        var viaApi = Llama3PreTokenizer.Instance.PreTokenize(text).ToList();
        Assert.Equal(text, string.Concat(viaApi.Select(s => text.Substring(s.Offset, s.Length))));
        Assert.Equal(viaApi, Llama3PreTokenizer.Instance.PreTokenize(text.AsSpan()).ToList());
        Assert.Empty(Split(""));
    }

    [Fact]
    public void LoneSurrogatesAreSymbols()
    {
        Assert.Equal(["a", "\uD800", " b"], Split("a\uD800 b"));
        Assert.Equal(["x", " \uDC00!"], Split("x \uDC00!"));
    }
}
