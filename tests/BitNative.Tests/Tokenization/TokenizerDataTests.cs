using BitNative.Authoring.Tokenization;
using BitNative.Tokenization;
using Xunit;

namespace BitNative.Tests.Tokenization;

public sealed class TokenizerDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bitnative-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<string> ByteTokens() => ByteLevel.VocabularyOrder.Select(b => ByteLevel.ByteToChar[b].ToString()).ToList();

    private static TokenizerData Make(
        List<string>? tokens = null, List<TokenType>? types = null, List<string>? merges = null,
        int? bos = null, int? eos = null, int? eot = null, bool addBos = false)
    {
        tokens ??= ByteTokens();
        types ??= Enumerable.Repeat(TokenType.Normal, tokens.Count).ToList();
        return new TokenizerData(tokens, types, merges ?? [], bos, eos, eot, null, addBos, "llama-bpe", null);
    }

    private static void AssertRejected(TokenizerData data, params string[] fragments)
    {
        var e = Assert.Throws<InvalidDataException>(data.Validate);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, e.Message);
        }
    }

    [Fact]
    public void AcceptsAConsistentVocabulary()
    {
        var tokens = ByteTokens();
        tokens.Add("he");
        tokens.Add("<|end_of_text|>");
        var types = Enumerable.Repeat(TokenType.Normal, 257).Append(TokenType.Control).ToList();
        Make(tokens, types, ["h e"], eos: 257).Validate();
    }

    [Fact]
    public void RejectsLengthMismatch() =>
        AssertRejected(Make(types: Enumerable.Repeat(TokenType.Normal, 10).ToList()), "256 tokens", "10 token types");

    [Fact]
    public void RejectsEmptyVocabulary() => AssertRejected(Make(tokens: [], types: []), "empty");

    [Fact]
    public void RejectsDuplicateTokens()
    {
        var tokens = ByteTokens();
        tokens.Add("a");
        AssertRejected(Make(tokens), "Duplicate token 'a'", "64", "256");
    }

    [Fact]
    public void RejectsSpecialIdsOutsideTheVocabulary()
    {
        AssertRejected(Make(eos: 256), "EosId 256", "0..255");
        AssertRejected(Make(bos: -1), "BosId -1");
        AssertRejected(Make(eot: 1000), "EotId 1000");
    }

    [Fact]
    public void RejectsAddBosWithoutBos() => AssertRejected(Make(addBos: true), "AddBos");

    [Fact]
    public void RejectsMalformedMerges()
    {
        AssertRejected(Make(merges: ["ab"]), "Merge 0", "'left right'");
        AssertRejected(Make(merges: ["a b c"]), "Merge 0");
        AssertRejected(Make(merges: [" a"]), "Merge 0");
        AssertRejected(Make(merges: ["a b"]), "'ab'", "not in the vocabulary");
    }

    [Fact]
    public void RejectsMergesOverSpecialTokens()
    {
        var tokens = ByteTokens();
        tokens.Add("ab");
        var types = Enumerable.Repeat(TokenType.Normal, 256).Append(TokenType.Control).ToList();
        AssertRejected(Make(tokens, types, ["a b"]), "Control", "text tokens");
    }

    [Fact]
    public void RejectsDuplicateMerges()
    {
        var tokens = ByteTokens();
        tokens.Add("ab");
        AssertRejected(Make(tokens, merges: ["a b", "a b"]), "duplicate");
    }

    [Fact]
    public void RejectsMissingByteTokens()
    {
        var tokens = ByteTokens();
        tokens[10] = "xyz"; // byte 43 '+' is gone
        AssertRejected(Make(tokens), "0x2B");
    }

    [Fact]
    public void RejectsUnknownTokenTypes()
    {
        var types = Enumerable.Repeat(TokenType.Normal, 256).ToList();
        types[3] = (TokenType)9;
        AssertRejected(Make(types: types), "Token 3", "unknown token type 9");
    }

    [Fact]
    public void RejectsTextTokensOutsideTheByteLevelAlphabet()
    {
        var tokens = ByteTokens();
        tokens.Add("hello world"); // a raw space is not byte-level ('Ġ' is)
        AssertRejected(Make(tokens), "byte-level alphabet");
    }

    [Fact]
    public void RejectsNullAndEmptyTokens()
    {
        var tokens = ByteTokens();
        tokens.Add("");
        AssertRejected(Make(tokens), "Token 256 is empty");
    }

    [Fact]
    public void TokenizerRejectsUnsupportedPreTokenizers()
    {
        var data = new TokenizerData(ByteTokens(), Enumerable.Repeat(TokenType.Normal, 256).ToList(), [], null, null, null, null, false, "gpt-2", null);
        var e = Assert.Throws<NotSupportedException>(() => ByteLevelBpeTokenizer.Create(data));
        Assert.Contains("gpt-2", e.Message);
    }

    [Fact]
    public void FromHuggingFace_ReadsArrayMergesAddedTokensAndConfig()
    {
        string vocab = string.Join(",", ByteTokens().Select((t, i) => $"{System.Text.Json.JsonSerializer.Serialize(t)}:{i}"));
        string json = $$"""
        {
          "added_tokens": [
            {"id": 258, "content": "<|begin_of_text|>", "special": true},
            {"id": 259, "content": "<|eot_id|>", "special": true},
            {"id": 260, "content": "<think>", "special": false}
          ],
          "normalizer": null,
          "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": {{System.Text.Json.JsonSerializer.Serialize(Llama3PreTokenizer.Pattern)}}}, "behavior": "Isolated", "invert": false},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
          "model": {"type": "BPE", "ignore_merges": true, "vocab": { {{vocab}}, "he": 256, "hel": 257 }, "merges": [["h", "e"], "he l"]}
        }
        """;
        string config = """
        {"bos_token": {"content": "<|begin_of_text|>", "special": true}, "eos_token": "<|eot_id|>", "add_bos_token": false,
         "chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": "{{ '<|eot_id|>' }} Assistant: "}]}
        """;
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), json);
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), config);

        TokenizerData data = TokenizerData.FromHuggingFace(Path.Combine(_dir, "tokenizer.json"), Path.Combine(_dir, "tokenizer_config.json"));
        Assert.Equal(261, data.Count);
        Assert.Equal(["h e", "he l"], data.Merges);
        Assert.Equal(TokenType.Control, data.TokenTypes[258]);
        Assert.Equal(TokenType.UserDefined, data.TokenTypes[260]);
        Assert.Equal(258, data.BosId);
        Assert.Equal(259, data.EosId);
        Assert.Equal(259, data.EotId);
        Assert.False(data.AddBos);
        Assert.Equal("{{ '<|eot_id|>' }} Assistant: ", data.ChatTemplate);

        var tokenizer = ByteLevelBpeTokenizer.Create(data);
        Assert.Equal([257, 79], tokenizer.Encode("help", addBos: false)); // "hel" + "p" (byte 0x70 is id 79)
        Assert.Equal([260, 260], tokenizer.EncodeWithSpecialTokens("<think><think>", addBos: false));
        Assert.DoesNotContain(260, tokenizer.Encode("<think>", addBos: false));
    }

    [Fact]
    public void FromHuggingFace_RejectsGapsAndUnsupportedTokenizers()
    {
        string Write(string json)
        {
            string path = Path.Combine(_dir, Guid.NewGuid() + ".json");
            File.WriteAllText(path, json);
            return path;
        }

        string pre = $$$"""{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": {{{System.Text.Json.JsonSerializer.Serialize(Llama3PreTokenizer.Pattern)}}}}}, {"type": "ByteLevel", "use_regex": false}]}""";
        var gap = Assert.Throws<InvalidDataException>(() => TokenizerData.FromHuggingFace(
            Write($$$"""{"pre_tokenizer": {{{pre}}}, "model": {"type": "BPE", "vocab": {"a": 0, "b": 2}, "merges": []}}""")));
        Assert.Contains("id 1 has no token", gap.Message);

        Assert.Throws<NotSupportedException>(() => TokenizerData.FromHuggingFace(
            Write($$$"""{"normalizer": {"type": "NFC"}, "pre_tokenizer": {{{pre}}}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""")));
        Assert.Throws<NotSupportedException>(() => TokenizerData.FromHuggingFace(
            Write("""{"pre_tokenizer": {"type": "ByteLevel", "use_regex": true}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""")));
        Assert.Throws<NotSupportedException>(() => TokenizerData.FromHuggingFace(
            Write("""{"pre_tokenizer": null, "model": {"type": "Unigram", "vocab": []}}""")));
        Assert.Throws<InvalidDataException>(() => TokenizerData.FromHuggingFace(Write("{ not json")));
        // Strings the parser accepts but cannot read as text (found by fuzzing, fuzz/regressions/tokenizer).
        var surrogate = Assert.Throws<InvalidDataException>(() => TokenizerData.FromHuggingFace(
            Write("""{"model": {"type": "BPE", "vocab": {"a": 0, "\udc00": 1}, "merges": []}}""")));
        Assert.Contains("the string at model.vocab.(key) is not valid Unicode text", surrogate.Message);
        string invalidUtf8 = Path.Combine(_dir, "invalid-utf8.json");
        File.WriteAllBytes(invalidUtf8, [.. "{\"model\": {\"type\": \"B"u8, 0xC3, .. "\"}}"u8]);
        Assert.Contains("the string at model.type is not valid Unicode text",
            Assert.Throws<InvalidDataException>(() => TokenizerData.FromHuggingFace(invalidUtf8)).Message);
        // Wrong kinds where the reader once called JsonElement's typed getters unchecked (fuzzing, fuzz/regressions/tokenizer).
        string bpe = $$$"""{"pre_tokenizer": {{{pre}}}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}""";
        foreach (string added in new[] { """[{"id": "1", "content": "b"}]""", """[{"id": -1, "content": "b"}]""", """[{"id": 1, "content": 5}]""" })
        {
            Assert.Contains("added token", Assert.Throws<InvalidDataException>(() => TokenizerData.FromHuggingFace(
                Write(bpe + ", \"added_tokens\": " + added + "}"))).Message);
        }

        Assert.Contains("without a 'pretokenizers' array", Assert.Throws<InvalidDataException>(() => TokenizerData.FromHuggingFace(
            Write("""{"pre_tokenizer": {"type": "Sequence", "pretokenizers": 3}, "model": {"type": "BPE", "vocab": {"a": 0}}}"""))).Message);
    }

    [Fact]
    public void WriteHuggingFace_RoundTrips()
    {
        TokenizerData trained = ByteLevelBpeTrainer.Train(TestVocabularies.Corpus(), 400);
        string json = Path.Combine(_dir, "tokenizer.json");
        string config = Path.Combine(_dir, "tokenizer_config.json");
        trained.WriteHuggingFace(json, config);
        TokenizerData read = TokenizerData.FromHuggingFace(json, config);

        Assert.Equal(trained.Tokens, read.Tokens);
        Assert.Equal(trained.TokenTypes, read.TokenTypes);
        Assert.Equal(trained.Merges, read.Merges);
        Assert.Equal((trained.BosId, trained.EosId, trained.EotId, trained.PadId, trained.AddBos), (read.BosId, read.EosId, read.EotId, read.PadId, read.AddBos));
        Assert.Equal(trained.ChatTemplate, read.ChatTemplate);
        Assert.Equal(TokenizerData.Llama3PreTokenizerName, read.PreTokenizer);
    }
}
