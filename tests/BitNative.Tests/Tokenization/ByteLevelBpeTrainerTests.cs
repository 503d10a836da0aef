using BitNative.Authoring.Tokenization;
using System.Text;
using BitNative.Tokenization;
using Xunit;

namespace BitNative.Tests.Tokenization;

public sealed class ByteLevelBpeTrainerTests
{
    private static readonly Lazy<TokenizerData> Trained = new(() => ByteLevelBpeTrainer.Train(TestVocabularies.Corpus(), 600));

    [Fact]
    public void IsDeterministic()
    {
        TokenizerData again = ByteLevelBpeTrainer.Train(TestVocabularies.Corpus(), 600);
        Assert.Equal(Trained.Value.Tokens, again.Tokens);
        Assert.Equal(Trained.Value.Merges, again.Merges);
    }

    [Fact]
    public void LaysOutBytesThenMergesThenSpecialTokens()
    {
        TokenizerData data = Trained.Value;
        Assert.Equal(600, data.Count);
        Assert.Equal(600 - 256 - 5, data.Merges.Count);
        Assert.Equal("!", data.Tokens[0]);          // GPT-2 / Llama-3 order: byte 0x21 first
        Assert.Equal("Ā", data.Tokens[188]);        // byte 0x00
        Assert.Equal("Ġ", data.Tokens[220]);        // byte 0x20, as in Llama-3
        Assert.Equal(ByteLevelBpeTrainer.SpecialTokens, data.Tokens.Skip(595));
        Assert.All(data.TokenTypes.Skip(595), t => Assert.Equal(TokenType.Control, t));
        Assert.All(data.TokenTypes.Take(595), t => Assert.Equal(TokenType.Normal, t));
        Assert.Equal((595, 596, 597), (data.BosId, data.EosId, data.EotId));
        Assert.True(data.AddBos);
        Assert.Equal(TokenizerData.Llama3PreTokenizerName, data.PreTokenizer);
        Assert.Equal(ChatFormat.BitNet, ChatFormatter.DetectBySignature(data.ChatTemplate).Format);
    }

    [Fact]
    public void BreaksTiesByLowerIds()
    {
        // "ab", " cd", " ab", " cd": (a,b), (c,d) and (Ġ,c) all occur twice; 'a' has the lowest id.
        TokenizerData data = ByteLevelBpeTrainer.Train("ab cd ab cd", 256 + 5 + 2);
        Assert.Equal(["a b", "c d"], data.Merges);
    }

    [Fact]
    public void RoundTripsTrainingAndUnseenText()
    {
        ByteLevelBpeTokenizer tokenizer = ByteLevelBpeTokenizer.Create(Trained.Value);
        string corpus = TestVocabularies.Corpus();
        int[] ids = tokenizer.Encode(corpus, addBos: false);
        Assert.Equal(corpus, tokenizer.Detokenize(ids));
        Assert.True(ids.Length * 3 < Encoding.UTF8.GetByteCount(corpus), "the merges should compress the training text");

        foreach (var golden in TokenizerTestData.Load().Plain)
        {
            Assert.Equal(golden.Text, tokenizer.Detokenize(tokenizer.Encode(golden.Text, addBos: false)));
        }
    }

    [Fact]
    public void MergesNeverCrossPreTokenBoundaries()
    {
        ByteLevelBpeTokenizer tokenizer = ByteLevelBpeTokenizer.Create(Trained.Value);
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var splits = new List<(int, int)>();
        for (int id = 256; id < 595; id++)
        {
            string text;
            try
            {
                text = strict.GetString(tokenizer.GetTokenBytes(id));
            }
            catch (DecoderFallbackException)
            {
                continue; // part of a multi-byte character
            }

            splits.Clear();
            Llama3PreTokenizer.Split(text, splits);
            Assert.True(splits.Count == 1, $"token {id} '{text}' spans {splits.Count} pre-tokens");
        }
    }

    [Fact]
    public void WrittenTokenizerJson_ReadsBackToIdenticalIds()
    {
        string dir = Directory.CreateTempSubdirectory("bitnative-bpe-").FullName;
        try
        {
            Trained.Value.WriteHuggingFace(Path.Combine(dir, "tokenizer.json"), Path.Combine(dir, "tokenizer_config.json"));
            var original = ByteLevelBpeTokenizer.Create(Trained.Value);
            var reread = ByteLevelBpeTokenizer.Create(
                TokenizerData.FromHuggingFace(Path.Combine(dir, "tokenizer.json"), Path.Combine(dir, "tokenizer_config.json")));
            foreach (string text in TokenizerTestData.Load().Plain.Select(g => g.Text).Append(TestVocabularies.Corpus()))
            {
                Assert.Equal(original.Encode(text, addBos: true), reread.Encode(text, addBos: true));
            }

            ChatTurn[] chat = [new("system", "Be brief."), new("user", "Hi")];
            Assert.Equal(original.Chat.Render(chat, true).TokenIds, reread.Chat.Render(chat, true).TokenIds);
            Assert.True(reread.IsStopToken(597));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void SpecialTokenTextInTheCorpus_StaysOrdinaryText()
    {
        string corpus = string.Concat(Enumerable.Repeat("<|eot_id|> hello <|begin_of_text|> world ", 200));
        TokenizerData data = ByteLevelBpeTrainer.Train(corpus, 400);
        var tokenizer = ByteLevelBpeTokenizer.Create(data);
        int[] ids = tokenizer.Encode(corpus, addBos: false);
        Assert.DoesNotContain(ids, tokenizer.IsSpecialToken);
        Assert.Equal(corpus, tokenizer.Detokenize(ids));
    }

    [Fact]
    public void StopsEarlyWhenPairsRunOut_AndRejectsTinyTargets()
    {
        TokenizerData data = ByteLevelBpeTrainer.Train("abcabc", 1000);
        Assert.True(data.Count < 1000);
        Assert.Equal(data.Count - 261, data.Merges.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteLevelBpeTrainer.Train("abc", 260));
    }
}
