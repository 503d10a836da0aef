using BitNative.Kernels;

namespace BitNative.Authoring.Quantization;

/// <summary>What <c>bitnative quantize --type</c> makes of a model's projections (the rungs of the precision ladder).</summary>
public enum QuantizationType
{
    /// <summary>IEEE half.</summary>
    F16,

    /// <summary>bfloat16.</summary>
    BF16,

    /// <summary>FP8 E4M3 with one fp16 scale per 32 weights.</summary>
    F8,

    /// <summary>ggml Q8_0: int8 with one fp16 scale per 32 weights, over int8 activations (plain absmax int8).</summary>
    Q8_0,

    /// <summary>LLM.int8(): Q8_0 for every input column but the outlier features, which an fp16 side matrix multiplies.</summary>
    Int8Outlier,

    /// <summary>ggml Q4_0.</summary>
    Q4_0,

    /// <summary>ggml Q4_K.</summary>
    Q4_K,

    /// <summary>llama.cpp TQ2_0: absmean ternary per 256 weights.</summary>
    TQ2_0,

    /// <summary>llama.cpp TQ1_0: the same values in base 3.</summary>
    TQ1_0,

    /// <summary>bitnet.cpp I2_S: absmean ternary with one scale per tensor (BitNet b1.58's rule, post-training).</summary>
    I2_S,

    /// <summary>ggml Q2_0: four levels (-1, 0, 1, 2) times an fp16 scale per 64 weights.</summary>
    Q2_0,

    /// <summary>BiLLM-style binarization: signs with a scale per 128 weights, salient columns binarized twice (residual).</summary>
    Binary,

    /// <summary>OneBit's form: sign(W) ⊙ a bᵀ, a and b from a rank-1 decomposition of |W| (no distillation).</summary>
    OneBit,
}

public static class QuantizationTypes
{
    private static readonly (QuantizationType Type, string Name)[] Names =
    [
        (QuantizationType.F16, "f16"), (QuantizationType.BF16, "bf16"), (QuantizationType.F8, "f8"), (QuantizationType.Q8_0, "q8_0"),
        (QuantizationType.Int8Outlier, "int8-outlier"), (QuantizationType.Q4_0, "q4_0"), (QuantizationType.Q4_K, "q4_k"),
        (QuantizationType.TQ2_0, "tq2_0"), (QuantizationType.TQ1_0, "tq1_0"), (QuantizationType.I2_S, "i2_s"),
        (QuantizationType.Q2_0, "q2_0"), (QuantizationType.Binary, "binary"), (QuantizationType.OneBit, "binary-onebit"),
    ];

    /// <summary>The --type spellings (binary with --onebit is <see cref="QuantizationType.OneBit"/>).</summary>
    public static IEnumerable<string> CommandLineNames => Names.Where(n => n.Type != QuantizationType.OneBit).Select(n => n.Name);

    public static string NameOf(QuantizationType type) => Names.First(n => n.Type == type).Name;

    /// <exception cref="ArgumentException">Not a type name.</exception>
    public static QuantizationType Parse(string name, bool oneBit)
    {
        foreach (var (type, spelling) in Names)
        {
            if (string.Equals(spelling, name, StringComparison.OrdinalIgnoreCase) && type != QuantizationType.OneBit)
            {
                if (oneBit && type != QuantizationType.Binary)
                {
                    throw new ArgumentException("--onebit goes with --type binary.");
                }

                return oneBit ? QuantizationType.OneBit : type;
            }
        }

        throw new ArgumentException($"--type {name} is not one of {string.Join(", ", CommandLineNames)}.");
    }

    /// <summary>The weight type the main matrix of a projection is stored in.</summary>
    public static WeightType StorageOf(QuantizationType type) => type switch
    {
        QuantizationType.F16 => WeightType.F16,
        QuantizationType.BF16 => WeightType.BF16,
        QuantizationType.F8 => WeightType.F8,
        QuantizationType.Q8_0 or QuantizationType.Int8Outlier => WeightType.Q8_0,
        QuantizationType.Q4_0 => WeightType.Q4_0,
        QuantizationType.Q4_K => WeightType.Q4_K,
        QuantizationType.TQ2_0 => WeightType.Tq2,
        QuantizationType.TQ1_0 => WeightType.Tq1,
        QuantizationType.I2_S => WeightType.I2S,
        QuantizationType.Q2_0 => WeightType.Q2_0,
        _ => WeightType.Q1_0,
    };

    /// <summary>Whether the projections become ternary (they then run on the ternary kernels in every architecture).</summary>
    public static bool IsTernary(QuantizationType type) => type is QuantizationType.TQ2_0 or QuantizationType.TQ1_0 or QuantizationType.I2_S;

    /// <summary>llama.cpp's general.file_type (llama_ftype) where one describes the result, else null.</summary>
    public static uint? FileType(QuantizationType type) => type switch
    {
        QuantizationType.F16 => 1,
        QuantizationType.Q4_0 => 2,
        QuantizationType.Q8_0 => 7,
        QuantizationType.Q4_K => 14, // MOSTLY_Q4_K_S: Q4_K throughout
        QuantizationType.BF16 => 32,
        QuantizationType.TQ1_0 => 36,
        QuantizationType.TQ2_0 => 37,
        QuantizationType.I2_S => 40, // bitnet.cpp's
        _ => null,
    };
}
