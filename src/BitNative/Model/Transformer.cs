using System.Numerics.Tensors;
using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>
/// The forward pass, one function per block in the spirit of llama2.c's run.c. A batch of T tokens at positions
/// [start, start + T) goes through every layer together, so prompt processing (T up to the state's MaxTokens) and
/// decoding (T = 1) share this one code path. Shapes in comments: d = embedding, f = FFN width, kv = KV width.
/// </summary>
internal sealed class Transformer
{
    private readonly ModelWeights _weights;
    private readonly ModelConfig _config;
    private readonly Rope _rope;
    private readonly KernelThreadPool? _pool;

    public Transformer(ModelWeights weights, KernelThreadPool? pool)
    {
        _weights = weights;
        _config = weights.Config;
        _rope = new Rope(_config);
        _pool = pool;
    }

    public ModelConfig Config => _config;

    public ModelWeights Weights => _weights;

    /// <summary>
    /// Runs <paramref name="tokens"/> at positions [start, start + T), writing their keys and values into
    /// <paramref name="cache"/>. Writes the last token's logits to <c>state.Logits</c>, and, when
    /// <paramref name="allLogits"/> is not empty, every token's logits there ([T, vocab]).
    /// </summary>
    public void Forward(InferenceState state, KvCache cache, ReadOnlySpan<int> tokens, int start, Span<float> allLogits)
    {
        int count = tokens.Length;
        if (count < 1 || count > state.MaxTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), count, $"A batch holds 1..{state.MaxTokens} tokens.");
        }

        if (start < 0 || start + count > cache.Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start,
                $"Positions {start}..{start + count - 1} do not fit the context of {cache.Capacity} positions.");
        }

        if (!allLogits.IsEmpty && allLogits.Length < count * _config.VocabSize)
        {
            throw new ArgumentException($"allLogits needs {count} x {_config.VocabSize} values.", nameof(allLogits));
        }

        int d = _config.EmbeddingLength;
        for (int t = 0; t < count; t++)
        {
            _weights.TokenEmbedding.ReadRow(tokens[t], state.X.AsSpan(t * d, d)); // x[t] = embedding[token]
        }

        for (int layer = 0; layer < _config.BlockCount; layer++)
        {
            AttentionBlock(state, cache, layer, count, start);
            FeedForwardBlock(state, layer, count);
        }

        Head(state, count, allLogits);
    }

    /// <summary>x += Output(subnorm(attention(rope(Q n), rope(K n), V n))), n = attn_norm(x).</summary>
    private void AttentionBlock(InferenceState s, KvCache cache, int layer, int count, int start)
    {
        LayerWeights w = _weights.Layers[layer];
        int d = _config.EmbeddingLength, kv = _config.KvDim;
        float eps = _config.RmsNormEpsilon;

        TensorOps.RmsNormRows(s.X, w.AttentionNorm, eps, count, d, s.Normed);
        PrepareInput(w.Query, s, count, d);
        Project(w.Query, s, count, s.Query);   // [T, d]
        Project(w.Key, s, count, s.Key);       // [T, kv]
        Project(w.Value, s, count, s.Value);   // [T, kv]

        for (int t = 0; t < count; t++)
        {
            _rope.Apply(s.Query.AsSpan(t * d, d), start + t);
            _rope.Apply(s.Key.AsSpan(t * kv, kv), start + t);
            cache.Write(layer, start + t, s.Key.AsSpan(t * kv, kv), s.Value.AsSpan(t * kv, kv));
        }

        for (int t = 0; t < count; t++)
        {
            Attend(s, cache, layer, s.Query.AsSpan(t * d, d), start + t, s.Attention.AsSpan(t * d, d));
        }

        ReadOnlySpan<float> attention = s.Attention.AsSpan(0, count * d);
        if (w.AttentionSubNorm is not null)
        {
            TensorOps.RmsNormRows(attention, w.AttentionSubNorm, eps, count, d, s.Normed);
            attention = s.Normed.AsSpan(0, count * d);
        }
        else
        {
            attention.CopyTo(s.Normed);
        }

        PrepareInput(w.Output, s, count, d);
        Project(w.Output, s, count, s.Projected);
        TensorPrimitives.Add(s.X.AsSpan(0, count * d), s.Projected.AsSpan(0, count * d), s.X.AsSpan(0, count * d));
    }

    /// <summary>x += Down(subnorm(act(Gate m) · Up m)), m = ffn_norm(x).</summary>
    private void FeedForwardBlock(InferenceState s, int layer, int count)
    {
        LayerWeights w = _weights.Layers[layer];
        int d = _config.EmbeddingLength, f = _config.FeedForwardLength;
        float eps = _config.RmsNormEpsilon;

        TensorOps.RmsNormRows(s.X, w.FeedForwardNorm, eps, count, d, s.Normed);
        PrepareInput(w.Gate, s, count, d);
        Project(w.Gate, s, count, s.Gate);     // [T, f]
        Project(w.Up, s, count, s.Up);         // [T, f]
        Span<float> hidden = s.Gate.AsSpan(0, count * f);
        TensorOps.GatedActivation(_config.Activation, hidden, s.Up.AsSpan(0, count * f));

        if (w.FeedForwardSubNorm is not null)
        {
            TensorOps.RmsNormRows(hidden, w.FeedForwardSubNorm, eps, count, f, s.Normed);
        }
        else
        {
            hidden.CopyTo(s.Normed);
        }

        PrepareInput(w.Down, s, count, f);
        Project(w.Down, s, count, s.Projected); // [T, d]
        TensorPrimitives.Add(s.X.AsSpan(0, count * d), s.Projected.AsSpan(0, count * d), s.X.AsSpan(0, count * d));
    }

    /// <summary>Final norm and output head: logits of the last token, or of every token.</summary>
    private void Head(InferenceState s, int count, Span<float> allLogits)
    {
        int d = _config.EmbeddingLength, vocab = _config.VocabSize;
        Linear head = _weights.OutputHead;
        if (allLogits.IsEmpty)
        {
            ReadOnlySpan<float> last = s.X.AsSpan((count - 1) * d, d);
            TensorOps.RmsNorm(last, _weights.OutputNorm, _config.RmsNormEpsilon, s.Normed.AsSpan(0, d));
            PrepareInput(head, s, 1, d);
            Project(head, s, 1, s.Logits);
            return;
        }

        TensorOps.RmsNormRows(s.X, _weights.OutputNorm, _config.RmsNormEpsilon, count, d, s.Normed);
        PrepareInput(head, s, count, d);
        Project(head, s, count, allLogits);
        allLogits.Slice((count - 1) * vocab, vocab).CopyTo(s.Logits);
    }

    /// <summary>
    /// Grouped-query attention of one query (all heads) at <paramref name="position"/> over the cached positions
    /// [0, position]: out_h = Σ_p softmax_p(q_h · k_p / √hd) v_p, with kv head = h / (heads / kvHeads).
    /// </summary>
    private void Attend(InferenceState s, KvCache cache, int layer, ReadOnlySpan<float> query, int position, Span<float> output)
    {
        int hd = _config.HeadDim, kvDim = _config.KvDim, seen = position + 1;
        int group = _config.HeadCount / _config.KvHeadCount;
        float scale = 1.0f / MathF.Sqrt(hd);
        ReadOnlySpan<Half> keys = cache.Keys(layer, seen), values = cache.Values(layer, seen);
        Span<float> k = s.KeysF32.AsSpan(0, seen * hd), v = s.ValuesF32.AsSpan(0, seen * hd);
        Span<float> scores = s.Scores.AsSpan(0, seen);
        for (int kvHead = 0; kvHead < _config.KvHeadCount; kvHead++)
        {
            for (int p = 0; p < seen; p++) // this KV head's rows, converted once for the whole group
            {
                TensorPrimitives.ConvertToSingle(keys.Slice(p * kvDim + kvHead * hd, hd), k.Slice(p * hd, hd));
                TensorPrimitives.ConvertToSingle(values.Slice(p * kvDim + kvHead * hd, hd), v.Slice(p * hd, hd));
            }

            for (int h = kvHead * group; h < (kvHead + 1) * group; h++)
            {
                ReadOnlySpan<float> q = query.Slice(h * hd, hd);
                for (int p = 0; p < seen; p++)
                {
                    scores[p] = TensorPrimitives.Dot(q, k.Slice(p * hd, hd)) * scale;
                }

                TensorOps.Softmax(scores);
                Span<float> o = output.Slice(h * hd, hd);
                o.Clear();
                for (int p = 0; p < seen; p++)
                {
                    TensorPrimitives.MultiplyAdd(v.Slice(p * hd, hd), scores[p], o, o);
                }
            }
        }
    }

    /// <summary>
    /// Quantizes the projection input rows in <c>state.Normed</c> when the projection reads quantized activations: int8
    /// absmax, or int4 absmean (BitNet a4.8) for the projections loaded with 4-bit inputs (Q/K/V and gate/up; the
    /// projections sharing an input share its precision).
    /// </summary>
    private void PrepareInput(Linear next, InferenceState s, int count, int width)
    {
        if (!next.TakesQuantizedInput)
        {
            return;
        }

        ReadOnlySpan<float> rows = s.Normed.AsSpan(0, count * width);
        if (next.InputBits == 4)
        {
            ActivationQuantizer.QuantizeInt4(rows, count, width, s.Quantized, s.QuantScales, _pool);
        }
        else
        {
            ActivationQuantizer.QuantizeInt8(rows, count, width, s.Quantized, s.QuantScales, _pool);
        }
    }

    private void Project(Linear linear, InferenceState s, int count, Span<float> y) =>
        linear.Forward(s.Normed.AsSpan(0, count * linear.InFeatures), s.Quantized.AsSpan(0, count * linear.InFeatures),
            s.QuantScales.AsSpan(0, count), count, y, _pool);
}
