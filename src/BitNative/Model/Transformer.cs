using System.Numerics.Tensors;
using BitNative.Kernels;
using static BitNative.Model.TransformerProfiler;

namespace BitNative.Model;

/// <summary>
/// The forward pass, one function per block in the spirit of llama2.c's run.c. A batch of T tokens at positions
/// [start, start + T) goes through every layer together, so prompt processing (T up to the state's MaxTokens) and
/// decoding (T = 1) share this one code path. Every step of a layer is one native call (norm + quantize, each
/// projection, RoPE + KV write, attention, activation + sub-norm + quantize); only the embedding lookup and the
/// residual additions run in managed code. Shapes in comments: d = embedding, f = FFN width, kv = KV width.
/// </summary>
internal sealed class Transformer
{
    private readonly ModelWeights _weights;
    private readonly ModelConfig _config;
    private readonly KernelThreadPool? _pool;
    private readonly GateActivation _activation;
    private readonly RotaryLayout _rotary;
    private readonly float _attentionScale;

    /// <summary>The longest attention head the native attention kernels take (bitnative.h).</summary>
    public const int MaxHeadDim = 512;

    public Transformer(ModelWeights weights, KernelThreadPool? pool)
    {
        if (weights.Config.HeadDim > MaxHeadDim)
        {
            throw new InvalidDataException(
                $"Attention heads of {weights.Config.HeadDim} dimensions are not supported; the attention kernels take up to {MaxHeadDim}.");
        }

        _weights = weights;
        _config = weights.Config;
        _pool = pool;
        _activation = _config.Activation == FeedForwardActivation.SquaredRelu ? GateActivation.ReluSquared : GateActivation.Silu;
        _rotary = _config.Rope == RopeStyle.NeoX ? RotaryLayout.NeoX : RotaryLayout.Interleaved;
        _attentionScale = 1.0f / MathF.Sqrt(_config.HeadDim);
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

        using ForwardScope forward = TimeForward(state.Profiler, count);
        Embed(state, tokens);
        using (Time(state.Profiler, ForwardPart.RopeTable, 1))
        {
            // cos / sin of the batch's positions, shared by every layer: [T, ropeDims]
            Attention.RopeTable(start, count, _config.RopeDimensions, _config.RopeFreqBase, state.RopeTable);
        }

        for (int layer = 0; layer < _config.BlockCount; layer++)
        {
            AttentionBlock(state, cache, layer, count, start);
            FeedForwardBlock(state, layer, count);
        }

        Head(state, count, allLogits);
    }

    /// <summary>x[t] = embedding[token t]: [T, d].</summary>
    private void Embed(InferenceState s, ReadOnlySpan<int> tokens)
    {
        using Scope _ = Time(s.Profiler, ForwardPart.Embedding, 0);
        int d = _config.EmbeddingLength;
        for (int t = 0; t < tokens.Length; t++)
        {
            _weights.TokenEmbedding.ReadRow(tokens[t], s.X.AsSpan(t * d, d));
        }
    }

    /// <summary>x += Output(subnorm(attention(rope(Q n), rope(K n), V n))), n = attn_norm(x).</summary>
    private void AttentionBlock(InferenceState s, KvCache cache, int layer, int count, int start)
    {
        LayerWeights w = _weights.Layers[layer];
        int d = _config.EmbeddingLength, kv = _config.KvDim;

        using (Time(s.Profiler, ForwardPart.Norm, 1))
        {
            NormalizeInput(s, w.Query, s.X, w.AttentionNorm, count, d);             // n = attn_norm(x): [T, d]
        }

        using (Time(s.Profiler, ForwardPart.QkvProjection, 3))
        {
            Project(s, w.Query, count, s.Query);                                    // [T, d]
            Project(s, w.Key, count, s.Key);                                        // [T, kv]
            Project(s, w.Value, count, s.Value);                                    // [T, kv]
        }

        using (Time(s.Profiler, ForwardPart.RopeKvWrite, 1))
        {
            // q rotated in place; rotated k and v to cache rows [start, start + T) as fp16
            Attention.RopeAndStoreKv(s.Query, s.Key.AsSpan(0, count * kv), s.Value.AsSpan(0, count * kv), s.RopeTable, count,
                _config.HeadCount, _config.KvHeadCount, _config.HeadDim, _config.RopeDimensions, _rotary, start, cache.Keys(layer),
                cache.Values(layer), _pool);
        }

        using (Time(s.Profiler, ForwardPart.Attention, 1))
        {
            // token t attends to cache rows [0, start + t]: [T, d]
            Attention.Attend(s.Query.AsSpan(0, count * d), cache.Keys(layer), cache.Values(layer), count, _config.HeadCount,
                _config.KvHeadCount, _config.HeadDim, start, _attentionScale, s.Attention.AsSpan(0, count * d), _pool);
        }

        using (Time(s.Profiler, ForwardPart.Norm, 1))
        {
            NormalizeInput(s, w.Output, s.Attention, w.AttentionSubNorm, count, d); // attn_sub_norm(attention): [T, d]
        }

        using (Time(s.Profiler, ForwardPart.OutputProjection, 1))
        {
            Project(s, w.Output, count, s.Projected);                               // [T, d]
        }

        AddResidual(s, count * d);
    }

    /// <summary>x += Down(subnorm(act(Gate m) · Up m)), m = ffn_norm(x).</summary>
    private void FeedForwardBlock(InferenceState s, int layer, int count)
    {
        LayerWeights w = _weights.Layers[layer];
        int d = _config.EmbeddingLength, f = _config.FeedForwardLength;

        using (Time(s.Profiler, ForwardPart.Norm, 1))
        {
            NormalizeInput(s, w.Gate, s.X, w.FeedForwardNorm, count, d);            // m = ffn_norm(x): [T, d]
        }

        using (Time(s.Profiler, ForwardPart.GateUpProjection, 2))
        {
            Project(s, w.Gate, count, s.Gate);                                      // [T, f]
            Project(s, w.Up, count, s.Up);                                          // [T, f]
        }

        using (Time(s.Profiler, ForwardPart.GatedActivation, 1))
        {
            Span<float> hidden = s.Gate.AsSpan(0, count * f);                       // h = act(gate) · up: [T, f]
            if (w.FeedForwardSubNorm is not null && w.Down.TakesQuantizedInput)
            {
                // BitNet: h, its sub-norm and the down projection's int8 input in one call
                GatedActivations.ApplyRmsNormInt8(hidden, s.Up.AsSpan(0, count * f), _activation, w.FeedForwardSubNorm,
                    _config.RmsNormEpsilon, count, f, s.Quantized, s.QuantScales, _pool);
            }
            else
            {
                // float projections (LLaMA baselines): h into Normed, which is their input unless a sub-norm follows
                GatedActivations.Apply(hidden, s.Up.AsSpan(0, count * f), _activation, count, f, s.Normed, _pool);
                if (w.FeedForwardSubNorm is not null || w.Down.TakesQuantizedInput)
                {
                    s.Normed.AsSpan(0, count * f).CopyTo(hidden);
                    NormalizeInput(s, w.Down, hidden, w.FeedForwardSubNorm, count, f);
                }
            }
        }

        using (Time(s.Profiler, ForwardPart.DownProjection, 1))
        {
            Project(s, w.Down, count, s.Projected);                                 // [T, d]
        }

        AddResidual(s, count * d);
    }

    /// <summary>Final norm and output head: logits of the last token, or of every token.</summary>
    private void Head(InferenceState s, int count, Span<float> allLogits)
    {
        using Scope _ = Time(s.Profiler, ForwardPart.OutputHead, 2);
        int d = _config.EmbeddingLength, vocab = _config.VocabSize;
        WeightMatrix head = _weights.OutputHead;
        if (allLogits.IsEmpty)
        {
            NormalizeInput(s, head, s.X.AsSpan((count - 1) * d, d), _weights.OutputNorm, 1, d); // the last token: [1, d]
            Project(s, head, 1, s.Logits);                                          // [vocab]
            return;
        }

        NormalizeInput(s, head, s.X, _weights.OutputNorm, count, d);
        Project(s, head, count, allLogits);                                         // [T, vocab]
        allLogits.Slice((count - 1) * vocab, vocab).CopyTo(s.Logits);
    }

    /// <summary>
    /// Prepares the input of <paramref name="next"/> from rows of x: RMSNorm with <paramref name="weight"/> (when there is
    /// one), fused with the quantization when <paramref name="next"/> reads int8 or int4 (BitNet a4.8: Q/K/V and gate/up
    /// loaded with 4-bit inputs) activations (into Quantized / QuantScales),
    /// as floats otherwise (into Normed).
    /// </summary>
    private void NormalizeInput(InferenceState s, WeightMatrix next, ReadOnlySpan<float> x, float[]? weight, int rows, int width)
    {
        ReadOnlySpan<float> input = x[..(rows * width)];
        float eps = _config.RmsNormEpsilon;
        if (next.TakesQuantizedInput && next.InputBits == 4)
        {
            if (weight is not null)
            {
                Norms.RmsNormInt4(input, weight, eps, rows, width, s.Quantized, s.QuantScales, _pool);
            }
            else
            {
                ActivationQuantizer.QuantizeInt4(input, rows, width, s.Quantized, s.QuantScales, _pool);
            }
        }
        else if (next.TakesQuantizedInput)
        {
            if (weight is not null)
            {
                Norms.RmsNormInt8(input, weight, eps, rows, width, s.Quantized, s.QuantScales, _pool);
            }
            else
            {
                ActivationQuantizer.QuantizeInt8(input, rows, width, s.Quantized, s.QuantScales, _pool);
            }
        }
        else if (weight is not null)
        {
            Norms.RmsNorm(input, weight, eps, rows, width, s.Normed, _pool);
        }
        else
        {
            input.CopyTo(s.Normed);
        }
    }

    /// <summary>y = linear · (the prepared input rows).</summary>
    private void Project(InferenceState s, WeightMatrix linear, int rows, Span<float> y)
    {
        int width = linear.InFeatures;
        linear.Forward(s.Normed.AsSpan(0, rows * width), s.Quantized.AsSpan(0, rows * width), s.QuantScales.AsSpan(0, rows), rows, y,
            _pool);
    }

    /// <summary>x += projected over the batch's n = T · d values.</summary>
    private static void AddResidual(InferenceState s, int n)
    {
        using Scope _ = Time(s.Profiler, ForwardPart.Residual, 0);
        TensorPrimitives.Add(s.X.AsSpan(0, n), s.Projected.AsSpan(0, n), s.X.AsSpan(0, n));
    }
}
