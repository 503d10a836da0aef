namespace BitNative.Model;

/// <summary>The four quantized inputs of a block's projections.</summary>
public enum ProjectionInput
{
    /// <summary>attn_norm(x): read by Q, K and V.</summary>
    AttentionInput,

    /// <summary>attn_sub_norm(attention): read by o_proj.</summary>
    AttentionOutput,

    /// <summary>ffn_norm(x): read by gate and up.</summary>
    FeedForwardInput,

    /// <summary>ffn_sub_norm(h): read by down_proj.</summary>
    FeedForwardDown,
}

/// <summary>
/// Counts the nonzero entries of the projections' quantized inputs over the tokens a forward pass runs (set on an
/// <see cref="InferenceState"/> by <c>perplexity</c> and <c>bench</c>; null, and free, otherwise). A weight whose
/// activation is zero contributes nothing, and the sparse (I2ST) kernels skip it, so the share of parameters active per
/// token is sum over inputs of nonzero inputs x the rows they feed, over all projection weights: BitNet a4.8's measure
/// (its Table 2, 55 % active for 7B), here counted without skipping up_proj rows whose gate is zero, which BitNet a4.8
/// also counts and these kernels do not exploit.
/// </summary>
public sealed class ActivityCounter
{
    private readonly long[] _nonzero = new long[4];
    private readonly long[] _entries = new long[4];

    /// <summary>Adds the entries of quantized input rows of <paramref name="which"/>, and how many of them are nonzero.</summary>
    public void Count(ProjectionInput which, ReadOnlySpan<sbyte> rows)
    {
        _nonzero[(int)which] += rows.Length - rows.Count((sbyte)0);
        _entries[(int)which] += rows.Length;
    }

    /// <summary>Share of the input entries of <paramref name="which"/> that were nonzero.</summary>
    public double Density(ProjectionInput which) => _entries[(int)which] == 0 ? 1.0 : (double)_nonzero[(int)which] / _entries[(int)which];

    /// <summary>Share of the projection weights active per token (the output head and embedding not counted).</summary>
    public double ActiveShare(ModelConfig c)
    {
        double d = c.EmbeddingLength, f = c.FeedForwardLength, kv = c.KvDim, q = c.QueryDim;
        double qkv = d * (q + 2 * kv), o = q * d, gateUp = 2 * d * f, down = f * d;
        double active = Density(ProjectionInput.AttentionInput) * qkv + Density(ProjectionInput.AttentionOutput) * o +
                        Density(ProjectionInput.FeedForwardInput) * gateUp + Density(ProjectionInput.FeedForwardDown) * down;
        return active / (qkv + o + gateUp + down);
    }
}
