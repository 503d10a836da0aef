using BitNative.Formats.Gguf;
using BitNative.Kernels;
using BitNative.Model;

namespace BitNative.Authoring.Gguf;

/// <summary>
/// Writes a <see cref="ModelRecipe"/> as the <c>bitnative.*</c> metadata <see cref="ModelRecipe.Read"/> reads: the
/// trainer's exports and the synthetic models that state a recipe share it.
/// </summary>
internal static class GgufRecipeMetadata
{
    /// <summary>Every key of the recipe, so a reader never guesses.</summary>
    public static void Add(GgufWriter w, ModelRecipe r) =>
        w.AddString(ModelRecipe.NameKey, r.Name)
         .AddUInt32(ModelRecipe.ActivationBitsKey, r.ActivationBits == ActivationBits.Int4 ? 4u : 8u)
         .AddBool(ModelRecipe.HadamardKey, r.Hadamard)
         .AddFloat32(ModelRecipe.AttentionOutputSparsityKey, r.AttentionOutputSparsity)
         .AddFloat32(ModelRecipe.FeedForwardDownSparsityKey, r.FeedForwardDownSparsity)
         .AddString(ModelRecipe.KvCacheKey, ModelRecipe.KvName(r.KvCache));
}
