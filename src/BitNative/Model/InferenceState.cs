namespace BitNative.Model;

/// <summary>
/// Scratch buffers for a batch of up to <see cref="MaxTokens"/> tokens, sized once from the config so the forward pass
/// allocates nothing (llama2.c's RunState). Shapes: T = MaxTokens, d = embedding, f = FFN width, kv = KvDim.
/// </summary>
internal sealed class InferenceState
{
    public InferenceState(ModelConfig config, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        int d = config.EmbeddingLength, f = config.FeedForwardLength, kv = config.KvDim;
        int widest = Math.Max(d, f);
        MaxTokens = maxTokens;
        X = new float[maxTokens * d];
        Normed = new float[maxTokens * widest];
        Quantized = new sbyte[maxTokens * widest];
        QuantScales = new float[maxTokens];
        OwnQuantized = new sbyte[maxTokens * widest];
        OwnScales = new float[maxTokens];
        Query = new float[maxTokens * d];
        Key = new float[maxTokens * kv];
        Value = new float[maxTokens * kv];
        Attention = new float[maxTokens * d];
        Projected = new float[maxTokens * d];
        Gate = new float[maxTokens * f];
        Up = new float[maxTokens * f];
        RopeTable = new float[maxTokens * config.RopeDimensions];
        Logits = new float[config.VocabSize];
    }

    public int MaxTokens { get; }

    /// <summary>Times the forward passes that use this state when set (bench --profile); null in normal runs.</summary>
    public TransformerProfiler? Profiler { get; set; }

    public float[] X { get; }            // [T, d] residual stream
    public float[] Normed { get; }       // [T, max(d, f)] float projection input (dense projections, F16 head)
    public sbyte[] Quantized { get; }    // [T, max(d, f)] int8 projection input (ternary projections, 8-bit head)
    public float[] QuantScales { get; }  // [T]
    public sbyte[] OwnQuantized { get; } // [T, max(d, f)] input of a projection that quantizes its own (its own RMSNorm, or int8 beside int4)
    public float[] OwnScales { get; }    // [T]
    public float[] Query { get; }        // [T, d]
    public float[] Key { get; }          // [T, kv]
    public float[] Value { get; }        // [T, kv]
    public float[] Attention { get; }    // [T, d] attention output
    public float[] Projected { get; }    // [T, d] output of Output / Down before the residual add
    public float[] Gate { get; }         // [T, f] gate projection, then the hidden layer act(gate) · up
    public float[] Up { get; }           // [T, f]
    public float[] RopeTable { get; }    // [T, ropeDims] cos then sin of the batch's positions
    public float[] Logits { get; }       // [vocab] logits of the last token
}
