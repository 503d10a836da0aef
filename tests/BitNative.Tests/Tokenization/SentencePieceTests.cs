using BitNative.Tokenization;
using Xunit;

namespace BitNative.Tests.Tokenization;

/// <summary>
/// SentencePiece BPE ("llama" vocabularies: 1bitLLM's bitnet_b1_58) as llama.cpp's llm_tokenizer_spm runs it, on a
/// hand-made vocabulary whose answers follow from the rules; build/compare-families-llama.sh checks the same tokenizer
/// against llama.cpp's ids on a real text.
/// </summary>
public sealed class SentencePieceTests
{
    private static ByteLevelBpeTokenizer Tokenizer(params (string Piece, float Score)[] pieces)
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<TokenType> { TokenType.Unknown, TokenType.Control, TokenType.Control };
        var scores = new List<float> { 0, 0, 0 };
        for (int b = 0; b < 256; b++)
        {
            tokens.Add(TokenizerData.SentencePieceByte(b));
            types.Add(TokenType.Byte);
            scores.Add(0);
        }

        foreach (var (piece, score) in pieces)
        {
            tokens.Add(piece);
            types.Add(TokenType.Normal);
            scores.Add(score);
        }

        return ByteLevelBpeTokenizer.Create(new TokenizerData(tokens, types, [], 1, 2, null, null, true, "default", null)
        {
            Model = "llama",
            Scores = scores,
        });
    }

    private static string[] Pieces(ByteLevelBpeTokenizer t, string text) => t.Encode(text, addBos: false).Select(t.GetTokenString).ToArray();

    [Fact]
    public void TheHighestScoringPairMergesFirst_WithASpacePrefix()
    {
        (string, float)[] chars = [("\u2581", -10), ("a", -10), ("b", -10)];
        var abFirst = Tokenizer([.. chars, ("ab", -1), ("\u2581a", -2), ("\u2581ab", -3)]);
        Assert.Equal(["\u2581ab"], Pieces(abFirst, "ab"));            // ab, then ▁ + ab
        var spaceFirst = Tokenizer([.. chars, ("ab", -2), ("\u2581a", -1)]);
        Assert.Equal(["\u2581a", "b"], Pieces(spaceFirst, "ab"));     // ▁a wins; ▁a + b is no piece
        Assert.Equal(["\u2581a", "\u2581", "b"], Pieces(spaceFirst, "a b"));
    }

    [Fact]
    public void UnknownCharactersFallBackToBytes_AndDecodeRoundTrips()
    {
        var t = Tokenizer(("\u2581", -1), ("h", -1), ("i", -1), ("hi", -0.8f), ("\u2581hi", -0.5f));
        string[] pieces = Pieces(t, "hi é");
        Assert.Equal(["\u2581hi", "\u2581", "<0xC3>", "<0xA9>"], pieces);
        Assert.Equal(" hi é", t.Detokenize(t.Encode("hi é", addBos: false)));
        Assert.Equal(1, t.Encode("hi", addBos: true)[0]);
        Assert.Equal("<s>", t.GetTokenString(t.EncodeWithSpecialTokens("<s>hi", addBos: false)[0]));
    }

    [Fact]
    public void AVocabularyWithoutByteFallbackIsRefused()
    {
        var data = new TokenizerData(["<unk>", "a"], [TokenType.Unknown, TokenType.Normal], [], null, null, null, null, false, "default", null)
        {
            Model = "llama",
            Scores = [0f, 0f],
        };
        var e = Assert.Throws<InvalidDataException>(() => ByteLevelBpeTokenizer.Create(data));
        Assert.Contains("byte token <0x00>", e.Message);
    }
}
