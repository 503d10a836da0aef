using System.Text;
using BitNative.Tokenization;

namespace BitNative.Tests.Tokenization;

/// <summary>Small vocabularies whose ids are known without any reference tokenizer.</summary>
internal static class TestVocabularies
{
    /// <summary>
    /// 256 byte tokens (GPT-2 order, no merges) followed by <paramref name="specials"/> as CONTROL tokens, so text encodes
    /// to one id per UTF-8 byte: an independent oracle for segment-level tests.
    /// </summary>
    public static TokenizerData BytesOnly(string? chatTemplate, bool addBos, params string[] specials)
    {
        var tokens = ByteLevel.VocabularyOrder.Select(b => ByteLevel.ByteToChar[b].ToString()).ToList();
        var types = Enumerable.Repeat(TokenType.Normal, 256).ToList();
        tokens.AddRange(specials);
        types.AddRange(specials.Select(_ => TokenType.Control));
        int? Id(string s) => tokens.IndexOf(s) is var i and >= 0 ? i : null;
        int? bos = Id("<|begin_of_text|>");
        int? eos = Id("<|end_of_text|>") ?? Id("<|endoftext|>");
        int? eot = Id("<|eot_id|>") ?? Id("<|im_end|>");
        return new TokenizerData(tokens, types, [], bos, eos, eot, null, addBos && bos is not null, "llama-bpe", chatTemplate);
    }

    /// <summary>The ids <see cref="BytesOnly"/> gives a text: one per UTF-8 byte.</summary>
    public static int[] ByteIds(string text) =>
        Encoding.UTF8.GetBytes(text).Select(b => Array.IndexOf(ByteLevel.VocabularyOrder, b)).ToArray();

    /// <summary>A small English-and-more corpus for training tests.</summary>
    public static string Corpus()
    {
        var sb = new StringBuilder();
        string[] sentences =
        [
            "The quick brown fox jumps over the lazy dog.",
            "It's a truth universally acknowledged that a single model in possession of a good tokenizer must be in want of data.",
            "We'll train a byte-level BPE on this text, and then we'll check that it round-trips.",
            "Numbers like 12345 and 3.14159 and 2024-06-30 appear too.",
            "Größe, Straße, Übermut — naïve café résumé.",
            "Привет, мир! Это проверка токенизатора.",
            "你好，世界！这是一个测试。",
            "def train(corpus, vocab_size):\n    return merges\n",
            "  Indented line with    several   spaces.\n\n",
            "Emoji 😀🎉 and math 𝐀𝐁𝐂 𝟏𝟐𝟑𝟒 too.",
        ];
        var random = new Random(42);
        for (int i = 0; i < 400; i++)
        {
            sb.Append(sentences[random.Next(sentences.Length)]).Append(random.Next(4) == 0 ? "\n" : " ");
        }

        return sb.ToString();
    }
}
