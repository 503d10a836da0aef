namespace BitNative.Model;

/// <summary>Receives a projection's float input rows: <paramref name="count"/> rows of <c>matrix.InFeatures</c> values.</summary>
internal delegate void ProjectionInputObserver(WeightMatrix matrix, ReadOnlySpan<float> rows, int count);

/// <summary>
/// Scratch buffers for a batch of up to <see cref="MaxTokens"/> tokens, sized once from the config so the forward pass
/// allocates nothing (llama2.c's RunState). Shapes: T = MaxTokens, d = embedding, f = FFN width, kv = KvDim.
/// </summary>
internal sealed class InferenceState
{
    /// <param name="config">The model's shapes.</param>
    /// <param name="maxTokens">Tokens a batch holds.</param>
    /// <param name="transformsInputs">Whether some projection transforms its own input rows (input scale, split columns).</param>
    /// <param name="splitColumns">The widest side matrix of a projection with split columns (<see cref="SplitColumns"/>), or 0.</param>
    public InferenceState(ModelConfig config, int maxTokens, bool transformsInputs = false, int splitColumns = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        int d = config.EmbeddingLength, f = config.FeedForwardLength, kv = config.KvDim, q = config.QueryDim;
        int widest = Math.Max(Math.Max(d, f), q);
        MaxTokens = maxTokens;
        X = new float[maxTokens * d];
        Normed = new float[maxTokens * widest];
        Quantized = new sbyte[maxTokens * widest];
        QuantScales = new float[maxTokens];
        OwnQuantized = new sbyte[maxTokens * widest];
        OwnScales = new float[maxTokens];
        OwnFloats = new float[transformsInputs ? maxTokens * widest : 0];
        SplitColumns = splitColumns;
        SideFloats = new float[maxTokens * splitColumns];
        SideQuantized = new sbyte[maxTokens * splitColumns];
        SideScales = new float[splitColumns > 0 ? maxTokens : 0];
        SideOutput = new float[splitColumns > 0 ? maxTokens * widest : 0];
        Query = new float[maxTokens * q];
        Key = new float[maxTokens * kv];
        Value = new float[maxTokens * kv];
        Attention = new float[maxTokens * q];
        Projected = new float[maxTokens * d];
        Gate = new float[maxTokens * f];
        Up = new float[maxTokens * f];
        RopeTable = new float[maxTokens * config.RopeDimensions];
        Logits = new float[config.VocabSize];
    }

    public int MaxTokens { get; }

    /// <summary>
    /// Sees the float input rows of every projection that reads floats when set (the calibration of
    /// <c>bitnative quantize</c>: LLM.int8()'s outlier columns, BiLLM's Hessian diagonal); null in normal runs.
    /// </summary>
    public ProjectionInputObserver? InputObserver { get; set; }

    /// <summary>Times the forward passes that use this state when set (bench --profile); null in normal runs.</summary>
    public TransformerProfiler? Profiler { get; set; }

    /// <summary>Counts the nonzero projection inputs when set (the share of parameters active per token); null in normal runs.</summary>
    public ActivityCounter? Activity { get; set; }

    public float[] X { get; }            // [T, d] residual stream
    public float[] Normed { get; }       // [T, max(d, f, q)] float projection input (dense projections, F16 head)
    public sbyte[] Quantized { get; }    // [T, max(d, f, q)] int8 projection input (ternary projections, 8-bit head)
    public float[] QuantScales { get; }  // [T]
    public sbyte[] OwnQuantized { get; } // [T, max(d, f, q)] input of a projection that quantizes its own (its own RMSNorm, or int8 beside int4)
    public float[] OwnScales { get; }    // [T]
    public float[] OwnFloats { get; }    // [T, max(d, f, q)] input of a projection that transforms its own (input scale, split columns)
    public int SplitColumns { get; }     // c: the widest side matrix the side buffers hold
    public float[] SideFloats { get; }   // [T, c] the split columns gathered for a side matrix
    public sbyte[] SideQuantized { get; }// [T, c] the same as int8, when the side matrix reads quantized rows
    public float[] SideScales { get; }   // [T]
    public float[] SideOutput { get; }   // [T, max(d, f, q)] the side matrix's product before it is added
    public float[] Query { get; }        // [T, q], q = heads x head_dim
    public float[] Key { get; }          // [T, kv]
    public float[] Value { get; }        // [T, kv]
    public float[] Attention { get; }    // [T, q] attention output (QK-norm's scratch before it)
    public float[] Projected { get; }    // [T, d] output of Output / Down before the residual add
    public float[] Gate { get; }         // [T, f] gate projection, then the hidden layer act(gate) · up
    public float[] Up { get; }           // [T, f]
    public float[] RopeTable { get; }    // [T, ropeDims] cos then sin of the batch's positions
    public float[] Logits { get; }       // [vocab] logits of the last token
}
