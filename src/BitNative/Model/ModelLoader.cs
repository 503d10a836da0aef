using BitNative.Tokenization;

namespace BitNative.Model;

/// <summary>Weights and tokenizer read from a model file or folder.</summary>
internal sealed record LoadedModel(ModelWeights Weights, TokenizerData Tokenizer);

/// <summary>Chooses the reader for a path: a GGUF file or a Hugging Face checkpoint folder.</summary>
internal static class ModelLoader
{
    public static LoadedModel Load(string path)
    {
        if (Directory.Exists(path))
        {
            throw new NotSupportedException("Hugging Face checkpoint folders are read by SafetensorsModelReader (pending formats merge).");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No model file at {Path.GetFullPath(path)}.", path);
        }

        throw new NotSupportedException("GGUF loading lands with the formats merge.");
    }
}
