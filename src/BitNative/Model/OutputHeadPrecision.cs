namespace BitNative.Model;

/// <summary>How the output head (the [embedding -> vocabulary] matrix, often the tied embedding) is stored and run.</summary>
public enum OutputHeadPrecision
{
    /// <summary>
    /// As the model file stores it: an F16 or F32 head runs as stored × float activations, a Q8_0, Q6_K, Q4_0, Q4_K or
    /// Q5_K head as stored × int8 activations (in place, no copy); other encodings (BF16) are converted to F16 once at load.
    /// </summary>
    Auto,

    /// <summary>Always F16 weights × float activations (8-bit heads are widened to F16 at load).</summary>
    F16,

    /// <summary>
    /// Always 8 bits: Q8_0 weights (converted at load when the file has another encoding) × per-row int8 activations.
    /// Reads half the bytes of an F16 head per token; its effect on quality is what <c>bitnative perplexity --head int8</c>
    /// measures.
    /// </summary>
    Int8,
}
