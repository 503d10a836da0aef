using BitNative.Model.Planning;
using BitNative.Tokenization;

namespace BitNative.Model;

/// <summary>Weights and tokenizer read from a model file or folder.</summary>
internal sealed record LoadedModel(ModelWeights Weights, TokenizerData Tokenizer, IReadOnlyList<KernelPlanEntry> Plan, ModelRecipe Recipe);

/// <summary>Chooses the reader for a path: a GGUF file or a Hugging Face checkpoint (folder or safetensors file).</summary>
internal static class ModelLoader
{
    public static LoadedModel Load(string path, ModelLoadOptions options)
    {
        if (Directory.Exists(path))
        {
            return SafetensorsModelReader.Read(path, options);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No model file or folder at {Path.GetFullPath(path)}.", path);
        }

        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return SafetensorsModelReader.Read(path, options);
        }

        return GgufModelReader.Read(path, options);
    }
}
