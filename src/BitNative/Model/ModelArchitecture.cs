namespace BitNative.Model;

/// <summary>The transformer variants the engine runs (each described by one <see cref="ArchitectureDescription"/>).</summary>
public enum ModelArchitecture
{
    /// <summary>
    /// BitNet b1.58 as in BitNet-b1.58-2B-4T (GGUF names <c>bitnet-b1.58</c> and <c>bitnet-25</c>; Hugging Face
    /// <c>BitNetForCausalLM</c>): ternary projections, attention and FFN sub-norms, ReLU² gated FFN.
    /// </summary>
    BitNetB158,

    /// <summary>llama.cpp's <c>bitnet</c> architecture: as <see cref="BitNetB158"/> but with a SiLU (SwiGLU) gate.</summary>
    BitNet,

    /// <summary>
    /// LLaMA: no sub-norms, SwiGLU. Full-precision projections (baselines), or ternary ones where the file says so
    /// (Falcon3-1.58bit, Falcon-E, Llama3-8B-1.58).
    /// </summary>
    Llama,

    /// <summary>
    /// Qwen3 (llama.cpp <c>qwen3</c>): LLaMA's block plus an RMSNorm over each query and key head before RoPE (QK-norm),
    /// NEOX RoPE, a head width of its own (<c>qwen3.attention.key_length</c>). PrismML's Ternary / binary Bonsai models.
    /// </summary>
    Qwen3,
}

/// <summary>The gate nonlinearity of the feed-forward block: down(act(gate(x)) · up(x)).</summary>
public enum FeedForwardActivation
{
    /// <summary>ReLU(x)² (BitNet-b1.58-2B-4T).</summary>
    SquaredRelu,

    /// <summary>x · sigmoid(x) (SwiGLU).</summary>
    Silu,
}

/// <summary>How rotary position embedding pairs the dimensions of a head.</summary>
public enum RopeStyle
{
    /// <summary>Dimension i pairs with i + d/2 ("rotate half", GPT-NeoX and Hugging Face order).</summary>
    NeoX,

    /// <summary>Dimension 2i pairs with 2i + 1 (original LLaMA; llama.cpp's converter permutes LLaMA Q/K rows into it).</summary>
    Interleaved,
}

/// <summary>
/// One transformer variant as data: the names files give it and what its block contains. The readers and the forward
/// pass take every architectural decision from this row, so an architecture is one row here (and its tensor names in
/// the readers), not branches through the forward pass.
/// </summary>
/// <param name="Architecture">The variant.</param>
/// <param name="GgufNames">Values of <c>general.architecture</c> that mean it (the first is the one written).</param>
/// <param name="Activation">The FFN gate: not stored in files, it follows from the architecture.</param>
/// <param name="Rope">The RoPE pairing the converters' Q/K row order implies (llama.cpp's LLaMA converter permutes
/// Q/K into the interleaved pairing; the BitNet and Qwen converters keep Hugging Face's rotate-half order).</param>
/// <param name="SubNorms">attn_sub_norm before the attention output and ffn_sub_norm before the down projection (required).</param>
/// <param name="QueryKeyNorm">attn_q_norm / attn_k_norm: an RMSNorm over each head of Q and K before RoPE (required).</param>
/// <param name="TernaryProjections">Float projections are BitNet masters (or ternary × scale) and are ternarized at load;
/// otherwise a projection runs as its file stores it (a ternary tensor type is ternary in every architecture).</param>
internal sealed record ArchitectureDescription(
    ModelArchitecture Architecture,
    string[] GgufNames,
    FeedForwardActivation Activation,
    RopeStyle Rope,
    bool SubNorms,
    bool QueryKeyNorm,
    bool TernaryProjections)
{
    /// <summary>Every architecture the engine runs.</summary>
    public static readonly IReadOnlyList<ArchitectureDescription> All =
    [
        new(ModelArchitecture.BitNetB158, ["bitnet-b1.58", "bitnet-25"], FeedForwardActivation.SquaredRelu, RopeStyle.NeoX,
            SubNorms: true, QueryKeyNorm: false, TernaryProjections: true),
        new(ModelArchitecture.BitNet, ["bitnet"], FeedForwardActivation.Silu, RopeStyle.NeoX,
            SubNorms: true, QueryKeyNorm: false, TernaryProjections: true),
        new(ModelArchitecture.Llama, ["llama"], FeedForwardActivation.Silu, RopeStyle.Interleaved,
            SubNorms: false, QueryKeyNorm: false, TernaryProjections: false),
        new(ModelArchitecture.Qwen3, ["qwen3"], FeedForwardActivation.Silu, RopeStyle.NeoX,
            SubNorms: false, QueryKeyNorm: true, TernaryProjections: false),
    ];

    /// <summary>The row of an architecture.</summary>
    public static ArchitectureDescription Of(ModelArchitecture architecture) => All.First(a => a.Architecture == architecture);

    /// <summary>The row a GGUF <c>general.architecture</c> value names, or null.</summary>
    public static ArchitectureDescription? FromGgufName(string name) => All.FirstOrDefault(a => a.GgufNames.Contains(name));

    /// <summary>Every GGUF architecture name the engine reads, for messages.</summary>
    public static string SupportedNames => string.Join(", ", All.SelectMany(a => a.GgufNames));
}
