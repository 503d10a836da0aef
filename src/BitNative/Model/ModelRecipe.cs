using System.Globalization;
using BitNative.Formats.Gguf;
using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>
/// The activation and KV-cache recipe a model was trained for (BitNet b1.58, a4.8, v2), as a file states it in its
/// <c>bitnative.*</c> metadata (the trainer writes them), so the engine runs a model with the numerics it was trained
/// with unless the user overrides a setting. A file without the keys is a b1.58 model.
/// <list type="bullet">
/// <item><see cref="ActivationBits"/>: the Q/K/V and gate/up inputs (a4.8 and v2: int4).</item>
/// <item><see cref="Hadamard"/>: BitNet v2's H-BitLinear: the o_proj and down_proj inputs pass through the Walsh-Hadamard
/// transform before they are quantized, and then take the same bits as the other inputs (v2 with int4: 4 bits
/// everywhere). The weights of such a model are learned in the rotated basis: it needs the transform.</item>
/// <item><see cref="AttentionOutputSparsity"/>, <see cref="FeedForwardDownSparsity"/>: a4.8's top-K, the share of each
/// o_proj / down_proj int8 input row set to zero (0: dense).</item>
/// <item><see cref="KvCache"/>: how keys and values are cached (a4.8: 3 bits).</item>
/// </list>
/// </summary>
/// <param name="Name">The recipe's name as the file states it (b1.58, a4.8, v2-a8, v2).</param>
/// <param name="ActivationBits">Input precision of the Q/K/V and gate/up projections.</param>
/// <param name="Hadamard">Whether the o_proj and down_proj inputs pass through the Walsh-Hadamard transform (BitNet v2).</param>
/// <param name="AttentionOutputSparsity">Share of each o_proj int8 input row set to zero by top-K, in [0, 1).</param>
/// <param name="FeedForwardDownSparsity">Share of each down_proj int8 input row set to zero by top-K, in [0, 1).</param>
/// <param name="KvCache">How sessions cache keys and values.</param>
public sealed record ModelRecipe(string Name, ActivationBits ActivationBits, bool Hadamard, float AttentionOutputSparsity,
    float FeedForwardDownSparsity, KvCacheType KvCache)
{
    /// <summary>GGUF key of <see cref="Name"/> (string).</summary>
    public const string NameKey = "bitnative.recipe";

    /// <summary>GGUF key of <see cref="ActivationBits"/> (uint32: 8 or 4).</summary>
    public const string ActivationBitsKey = "bitnative.activation_bits";

    /// <summary>GGUF key of <see cref="Hadamard"/> (bool).</summary>
    public const string HadamardKey = "bitnative.hadamard";

    /// <summary>GGUF key of <see cref="AttentionOutputSparsity"/> (float32).</summary>
    public const string AttentionOutputSparsityKey = "bitnative.sparsity.attn_output";

    /// <summary>GGUF key of <see cref="FeedForwardDownSparsity"/> (float32).</summary>
    public const string FeedForwardDownSparsityKey = "bitnative.sparsity.ffn_down";

    /// <summary>GGUF key of <see cref="KvCache"/> (string: f16, q8, q4, q3).</summary>
    public const string KvCacheKey = "bitnative.kv_cache";

    /// <summary>BitNet b1.58: int8 inputs everywhere, dense, fp16 KV cache.</summary>
    public static readonly ModelRecipe B158 = new("b1.58", ActivationBits.Int8, false, 0f, 0f, KvCacheType.F16);

    /// <summary>
    /// BitNet a4.8: int4 Q/K/V and gate/up inputs; int8 o_proj and down_proj inputs sparsified by top-K (the paper's 50 %
    /// for o_proj; 80 % for down_proj, the share its Table 2 measures there); 3-bit KV cache.
    /// </summary>
    public static readonly ModelRecipe A48 = new("a4.8", ActivationBits.Int4, false, 0.5f, 0.8f, KvCacheType.Q3);

    /// <summary>BitNet v2's first stage: H-BitLinear on o_proj / down_proj, int8 inputs everywhere.</summary>
    public static readonly ModelRecipe V2A8 = new("v2-a8", ActivationBits.Int8, true, 0f, 0f, KvCacheType.F16);

    /// <summary>BitNet v2: H-BitLinear, int4 inputs everywhere, 3-bit KV cache.</summary>
    public static readonly ModelRecipe V2 = new("v2", ActivationBits.Int4, true, 0f, 0f, KvCacheType.Q3);

    /// <summary>The recipes by name: <see cref="B158"/>, <see cref="A48"/>, <see cref="V2A8"/>, <see cref="V2"/>.</summary>
    public static IReadOnlyList<ModelRecipe> Known { get; } = [B158, A48, V2A8, V2];

    /// <summary>Bits of the o_proj and down_proj inputs: int4 only after the Hadamard transform with int4 inputs (v2).</summary>
    public ActivationBits OutputInputBits => Hadamard && ActivationBits == ActivationBits.Int4 ? ActivationBits.Int4 : ActivationBits.Int8;

    /// <summary>A known recipe by name (b1.58, a4.8, v2-a8, v2).</summary>
    /// <exception cref="ArgumentException">No recipe has that name.</exception>
    public static ModelRecipe Parse(string name) =>
        Known.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown recipe '{name}': use {string.Join(", ", Known.Select(r => r.Name))}.");

    /// <summary>A KV cache type's name in files and on the command line (f16, q8, q4, q3).</summary>
    public static string KvName(KvCacheType type) => type.ToString().ToLowerInvariant();

    /// <summary>The KV cache type a name (<see cref="KvName"/>) stands for.</summary>
    /// <exception cref="ArgumentException">Not f16, q8, q4 or q3.</exception>
    public static KvCacheType ParseKv(string name) => name.ToLowerInvariant() switch
    {
        "f16" => KvCacheType.F16,
        "q8" => KvCacheType.Q8,
        "q4" => KvCacheType.Q4,
        "q3" => KvCacheType.Q3,
        _ => throw new ArgumentException($"KV cache type '{name}' is not f16, q8, q4 or q3."),
    };

    /// <summary>The recipe a file's metadata states (b1.58 when it states none).</summary>
    /// <exception cref="InvalidDataException">A key has the wrong type or an impossible value.</exception>
    public static ModelRecipe Read(GgufMetadata m)
    {
        int bits = m.GetInt(ActivationBitsKey, 8);
        if (bits is not (4 or 8))
        {
            throw new InvalidDataException($"Metadata key {ActivationBitsKey} = {bits}: BitNative runs 8- or 4-bit activations.");
        }

        float Share(string key)
        {
            float v = m.GetFloat(key, 0f);
            return v is >= 0f and < 1f ? v : throw new InvalidDataException($"Metadata key {key} = {v} must be in [0, 1).");
        }

        string kv = m.GetStringOrNull(KvCacheKey) ?? "f16";
        KvCacheType kvType;
        try
        {
            kvType = ParseKv(kv);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Metadata key {KvCacheKey}: {e.Message}", e);
        }

        return new ModelRecipe(m.GetStringOrNull(NameKey) ?? "b1.58", bits == 4 ? ActivationBits.Int4 : ActivationBits.Int8,
            m.GetBool(HadamardKey, false), Share(AttentionOutputSparsityKey), Share(FeedForwardDownSparsityKey), kvType);
    }

    /// <summary>One line for logs and <c>inspect</c>.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Name}: {(ActivationBits == ActivationBits.Int4 ? 4 : 8)}-bit inputs, o/down {(OutputInputBits == ActivationBits.Int4 ? 4 : 8)}-bit{(Hadamard ? " after Hadamard" : "")}, top-K sparsity o {AttentionOutputSparsity:P0} / down {FeedForwardDownSparsity:P0}, KV cache {KvName(KvCache)}");
}
