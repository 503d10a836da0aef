using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>Hyperparameters of a model, independent of the file it came from.</summary>
/// <param name="Architecture">The transformer variant.</param>
/// <param name="ArchitectureName">The name the file used (e.g. <c>bitnet-b1.58</c>).</param>
/// <param name="VocabSize">Tokens in the vocabulary (rows of the embedding and the output head).</param>
/// <param name="EmbeddingLength">Width of the residual stream (d_model).</param>
/// <param name="BlockCount">Transformer layers.</param>
/// <param name="FeedForwardLength">Width of the FFN's hidden layer.</param>
/// <param name="HeadCount">Query heads.</param>
/// <param name="KvHeadCount">Key/value heads (grouped-query attention when fewer than query heads).</param>
/// <param name="RopeDimensions">Leading dimensions of each head that RoPE rotates.</param>
/// <param name="RopeFreqBase">RoPE base θ.</param>
/// <param name="RmsNormEpsilon">Epsilon of every RMSNorm.</param>
/// <param name="ContextLength">Positions the model was trained for; the default KV-cache size.</param>
/// <param name="Activation">FFN gate nonlinearity.</param>
/// <param name="Rope">Dimension pairing of RoPE.</param>
public sealed record ModelConfig(
    ModelArchitecture Architecture,
    string ArchitectureName,
    int VocabSize,
    int EmbeddingLength,
    int BlockCount,
    int FeedForwardLength,
    int HeadCount,
    int KvHeadCount,
    int RopeDimensions,
    float RopeFreqBase,
    float RmsNormEpsilon,
    int ContextLength,
    FeedForwardActivation Activation,
    RopeStyle Rope)
{
    private readonly int? _headDim;

    /// <summary>The hyperparameters a GGUF file's metadata states, read as loading reads them.</summary>
    /// <exception cref="InvalidDataException">A key is missing, has the wrong type, or states an impossible shape.</exception>
    public static ModelConfig FromGguf(Formats.Gguf.GgufFile file) => GgufModelReader.ReadConfig(file);

    /// <summary>
    /// Dimensions per attention head: EmbeddingLength / HeadCount unless the file says otherwise (Qwen3-4B's
    /// <c>qwen3.attention.key_length</c> is 128 with 32 heads over a 2560-wide residual stream).
    /// </summary>
    public int HeadDim
    {
        get => _headDim ?? (HeadCount > 0 ? EmbeddingLength / HeadCount : 0);
        init => _headDim = value;
    }

    /// <summary>Width of the Q projection and of the attention output: HeadCount × HeadDim.</summary>
    public int QueryDim => HeadCount * HeadDim;

    /// <summary>Width of the K and V projections.</summary>
    public int KvDim => KvHeadCount * HeadDim;

    /// <summary>
    /// Bytes of one session's keys and values for <paramref name="positions"/> positions cached as <paramref name="type"/>
    /// (one block per layer, KV head and position; <see cref="KvQuantizer.BlockBytes"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A quantized type and heads that are not a multiple of 32 dimensions.</exception>
    public long KvCacheBytes(int positions, KvCacheType type) => 2L * BlockCount * positions * KvRowBytes(type);

    /// <summary>Bytes of one position of one layer's keys (or values) in <paramref name="type"/>: a block per KV head.</summary>
    /// <exception cref="ArgumentException">A quantized type and heads that are not a multiple of 32 dimensions.</exception>
    internal long KvRowBytes(KvCacheType type) => (long)KvHeadCount * KvQuantizer.BlockBytes(type, HeadDim);

    /// <summary>What the architecture's block contains (sub-norms, QK-norm, how float projections are read).</summary>
    internal ArchitectureDescription Description => ArchitectureDescription.Of(Architecture);

    /// <summary>
    /// Whether the architecture is a BitNet one: ternary projections with their sub-norms. A <see cref="ModelArchitecture.Llama"/>
    /// or <see cref="ModelArchitecture.Qwen3"/> model has no sub-norms, and its projections are ternary or full precision as
    /// its file says (Falcon3-1.58bit: ternary tensor types in GGUF, a bitnet quantization_config in Hugging Face
    /// checkpoints; Bonsai: Q2_0 / Q1_0 blocks).
    /// </summary>
    public bool IsTernary => Description.TernaryProjections;

    /// <summary>Whether each query and key head is RMS-normalized before RoPE (Qwen3).</summary>
    public bool QueryKeyNorm => Description.QueryKeyNorm;

    /// <summary>Rejects impossible or absurd hyperparameters with a message naming the field.</summary>
    /// <exception cref="InvalidDataException">A value is out of range or inconsistent.</exception>
    public void Validate()
    {
        Require(VocabSize is > 0 and <= 4_000_000, nameof(VocabSize), VocabSize);
        Require(EmbeddingLength is > 0 and <= 65_536, nameof(EmbeddingLength), EmbeddingLength);
        Require(BlockCount is > 0 and <= 1_024, nameof(BlockCount), BlockCount);
        Require(FeedForwardLength is > 0 and <= 262_144, nameof(FeedForwardLength), FeedForwardLength);
        Require(HeadCount is > 0 and <= 1_024, nameof(HeadCount), HeadCount);
        Require(KvHeadCount > 0 && KvHeadCount <= HeadCount && HeadCount % KvHeadCount == 0, nameof(KvHeadCount), KvHeadCount,
            $"must divide head_count {HeadCount}");
        Require(_headDim is not null || EmbeddingLength % HeadCount == 0, nameof(EmbeddingLength), EmbeddingLength,
            $"must be a multiple of head_count {HeadCount}");
        Require(HeadDim is > 0 and <= 4_096, nameof(HeadDim), HeadDim);
        Require(HeadDim % 2 == 0, "head dimension", HeadDim, "must be even for RoPE");
        Require(RopeDimensions > 0 && RopeDimensions <= HeadDim && RopeDimensions % 2 == 0, nameof(RopeDimensions), RopeDimensions,
            $"must be even and at most the head dimension {HeadDim}");
        Require(float.IsFinite(RopeFreqBase) && RopeFreqBase > 1, nameof(RopeFreqBase), RopeFreqBase);
        Require(float.IsFinite(RmsNormEpsilon) && RmsNormEpsilon is > 0 and < 1, nameof(RmsNormEpsilon), RmsNormEpsilon);
        Require(ContextLength is > 0 and <= 16_777_216, nameof(ContextLength), ContextLength);
    }

    private static void Require(bool ok, string field, object value, string? rule = null)
    {
        if (!ok)
        {
            throw new InvalidDataException($"Model hyperparameter {field} = {value} is invalid{(rule is null ? "" : ": " + rule)}.");
        }
    }
}
