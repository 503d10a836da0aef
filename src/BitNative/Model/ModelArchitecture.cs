namespace BitNative.Model;

/// <summary>The transformer variants the engine runs.</summary>
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
    /// (Falcon3-1.58bit style).
    /// </summary>
    Llama,
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
