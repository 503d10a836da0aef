using BitNative.Model;
using BitNative.Formats.Gguf;
using BitNative.Tokenization;

namespace BitNative.Authoring.Gguf;

/// <summary>
/// Writes a byte-level BPE tokenizer as the <c>tokenizer.ggml.*</c> metadata llama.cpp and <see cref="GgufModelReader"/>
/// read: the synthetic models and the trainer's exports share it.
/// </summary>
internal static class GgufTokenizerMetadata
{
    /// <param name="w">The file being written.</param>
    /// <param name="t">The vocabulary.</param>
    /// <param name="defaultTemplate">Write the BitNet template when <paramref name="t"/> has none (base models of a
    /// family, such as 1bitLLM's, are written without one, as their converter does).</param>
    public static void Add(GgufWriter w, TokenizerData t, bool defaultTemplate = true)
    {
        w.AddString("tokenizer.ggml.model", t.Model)
         .AddString("tokenizer.ggml.pre", t.PreTokenizer ?? (t.IsSentencePiece ? "default" : TokenizerData.Llama3PreTokenizerName))
         .AddStringArray("tokenizer.ggml.tokens", t.Tokens)
         .AddArray<int>("tokenizer.ggml.token_type", t.TokenTypes.Select(x => (int)x).ToArray());
        if (t.IsSentencePiece)
        {
            // llama.cpp's _set_vocab_sentencepiece: scores, no merges
            w.AddArray<float>("tokenizer.ggml.scores", t.Scores.ToArray()).AddBool("tokenizer.ggml.add_space_prefix", t.AddSpacePrefix);
        }
        else
        {
            w.AddStringArray("tokenizer.ggml.merges", t.Merges);
        }

        w.AddBool("tokenizer.ggml.add_bos_token", t.AddBos);
        if ((t.ChatTemplate ?? (defaultTemplate ? ChatFormatter.BitNetTemplate : null)) is { } template)
        {
            w.AddString("tokenizer.chat_template", template);
        }

        if (t.BosId is int bos) w.AddUInt32("tokenizer.ggml.bos_token_id", (uint)bos);
        if (t.EosId is int eos) w.AddUInt32("tokenizer.ggml.eos_token_id", (uint)eos);
        if (t.EotId is int eot) w.AddUInt32("tokenizer.ggml.eot_token_id", (uint)eot);
        if ((t.PadId ?? t.EosId) is int pad) w.AddUInt32("tokenizer.ggml.padding_token_id", (uint)pad);
    }
}
