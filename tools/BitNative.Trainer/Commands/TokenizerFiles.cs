using BitNative.Tokenization;

namespace BitNative.Trainer.Commands;

/// <summary>The trained vocabulary on disk (tokenizer.json + tokenizer_config.json beside it) and text -> token ids.</summary>
internal static class TokenizerFiles
{
    public static TokenizerData Load(string tokenizerJson)
    {
        if (!File.Exists(tokenizerJson))
        {
            throw new FileNotFoundException($"{tokenizerJson} does not exist; run the tokenizer command first.", tokenizerJson);
        }

        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJson))!, "tokenizer_config.json");
        return TokenizerData.FromHuggingFace(tokenizerJson, File.Exists(config) ? config : null);
    }

    /// <summary>Token ids of a whole file, as the engine's perplexity command encodes it.</summary>
    public static int[] Encode(TokenizerData tokenizer, string textFile, bool addBos) =>
        ByteLevelBpeTokenizer.Create(tokenizer).Encode(File.ReadAllText(textFile), addBos);
}
