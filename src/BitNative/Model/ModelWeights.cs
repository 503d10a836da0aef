namespace BitNative.Model;

/// <summary>The weights of one transformer block. Shapes in comments: d = EmbeddingLength, f = FeedForwardLength.</summary>
internal sealed record LayerWeights(
    float[] AttentionNorm,          // [d]
    WeightMatrix Query,             // [d -> q], q = heads x head_dim (= d except Qwen3-4B style heads)
    WeightMatrix Key,               // [d -> kv]
    WeightMatrix Value,             // [d -> kv]
    float[]? AttentionSubNorm,      // [q], BitNet only: normalizes the attention output before Output
    WeightMatrix Output,            // [q -> d]
    float[] FeedForwardNorm,        // [d]
    WeightMatrix Gate,              // [d -> f]
    WeightMatrix Up,                // [d -> f]
    float[]? FeedForwardSubNorm,    // [f], BitNet only: normalizes act(gate) * up before Down
    WeightMatrix Down)              // [f -> d]
{
    /// <summary>[head_dim], Qwen3 only: RMSNorm of each query head before RoPE.</summary>
    public float[]? QueryNorm { get; init; }

    /// <summary>[head_dim], Qwen3 only: RMSNorm of each key head before RoPE.</summary>
    public float[]? KeyNorm { get; init; }

    /// <summary>The seven projections, in the order a block runs them.</summary>
    public IEnumerable<WeightMatrix> Projections => [Query, Key, Value, Output, Gate, Up, Down];
}

/// <summary>All weights of a model, typed and checked against its <see cref="ModelConfig"/>.</summary>
internal sealed class ModelWeights : IDisposable
{
    private readonly IDisposable? _owner;

    /// <param name="config">Hyperparameters the shapes were checked against.</param>
    /// <param name="tokenEmbedding">[vocab, d].</param>
    /// <param name="layers">BlockCount blocks.</param>
    /// <param name="outputNorm">[d].</param>
    /// <param name="outputHead">[d -> vocab]; the embedding itself when tied.</param>
    /// <param name="owner">Keeps the memory map / native buffers behind the weights alive; disposed with the weights.</param>
    public ModelWeights(ModelConfig config, EmbeddingTable tokenEmbedding, IReadOnlyList<LayerWeights> layers, float[] outputNorm,
        WeightMatrix outputHead, IDisposable? owner)
    {
        Config = config;
        TokenEmbedding = tokenEmbedding;
        Layers = layers;
        OutputNorm = outputNorm;
        OutputHead = outputHead;
        _owner = owner;
        CheckShapes();
    }

    public ModelConfig Config { get; }

    public EmbeddingTable TokenEmbedding { get; }

    public IReadOnlyList<LayerWeights> Layers { get; }

    public float[] OutputNorm { get; }

    public WeightMatrix OutputHead { get; }

    /// <summary>Whether some projection transforms its own input rows (the inference state's OwnFloats).</summary>
    public bool TransformsInputs => Layers.Any(l => l.Projections.Any(p => p.HasInputTransform));

    /// <summary>The widest side matrix of a projection with split columns, or 0 (the inference state's side buffers).</summary>
    public int SplitColumns => Layers.SelectMany(l => l.Projections).Max(p => p.Split?.Columns.Length ?? 0);

    /// <summary>True when some projection reads int8-quantized activations.</summary>
    public bool NeedsQuantizedActivations => Layers.Any(l => l.Query.TakesQuantizedInput || l.Gate.TakesQuantizedInput);

    /// <summary>Bytes of weights one decoded token reads (every projection and the head; one embedding row is negligible).</summary>
    public long BytesPerToken =>
        OutputHead.WeightBytes + Layers.Sum(l => l.Projections.Sum(p => p.WeightBytes));

    public void Dispose() => _owner?.Dispose();

    private void CheckShapes()
    {
        ModelConfig c = Config;
        int d = c.EmbeddingLength, f = c.FeedForwardLength, kv = c.KvDim, q = c.QueryDim;
        ArchitectureDescription arch = c.Description;
        Expect(TokenEmbedding.Rows == c.VocabSize && TokenEmbedding.Columns == d, TokenEmbedding.Name,
            $"[{c.VocabSize}, {d}]", $"[{TokenEmbedding.Rows}, {TokenEmbedding.Columns}]");
        Expect(Layers.Count == c.BlockCount, "layers", c.BlockCount.ToString(), Layers.Count.ToString());
        Vector(OutputNorm, d, "output_norm.weight");
        Matrix(OutputHead, d, c.VocabSize);
        for (int i = 0; i < Layers.Count; i++)
        {
            LayerWeights l = Layers[i];
            string p = $"blk.{i}.";
            Vector(l.AttentionNorm, d, p + "attn_norm.weight");
            Matrix(l.Query, d, q);
            Matrix(l.Key, d, kv);
            Matrix(l.Value, d, kv);
            Matrix(l.Output, q, d);
            Vector(l.FeedForwardNorm, d, p + "ffn_norm.weight");
            Matrix(l.Gate, d, f);
            Matrix(l.Up, d, f);
            Matrix(l.Down, f, d);
            if (arch.SubNorms)
            {
                Expect(l.AttentionSubNorm is not null, p + "attn_sub_norm.weight", "present", "missing");
                Expect(l.FeedForwardSubNorm is not null, p + "ffn_sub_norm.weight", "present", "missing");
            }

            if (arch.QueryKeyNorm)
            {
                Expect(l.QueryNorm is not null, p + "attn_q_norm.weight", "present", "missing");
                Expect(l.KeyNorm is not null, p + "attn_k_norm.weight", "present", "missing");
            }

            if (l.QueryNorm is not null)
            {
                Vector(l.QueryNorm, c.HeadDim, p + "attn_q_norm.weight");
            }

            if (l.KeyNorm is not null)
            {
                Vector(l.KeyNorm, c.HeadDim, p + "attn_k_norm.weight");
            }

            if (l.AttentionSubNorm is not null)
            {
                Vector(l.AttentionSubNorm, q, p + "attn_sub_norm.weight");
            }

            if (l.FeedForwardSubNorm is not null)
            {
                Vector(l.FeedForwardSubNorm, f, p + "ffn_sub_norm.weight");
            }
        }
    }

    private static void Vector(float[] v, int length, string name) => Expect(v.Length == length, name, $"[{length}]", $"[{v.Length}]");

    private static void Matrix(WeightMatrix m, int inFeatures, int outFeatures) =>
        Expect(m.InFeatures == inFeatures && m.OutFeatures == outFeatures, m.Name, $"[{inFeatures}, {outFeatures}]",
            $"[{m.InFeatures}, {m.OutFeatures}]");

    private static void Expect(bool ok, string name, string expected, string actual)
    {
        if (!ok)
        {
            throw new InvalidDataException($"Tensor {name} has shape {actual}, but the hyperparameters need {expected}.");
        }
    }
}
