using System.Numerics.Tensors;
using BitNative.Kernels;
using static BitNative.Model.TransformerProfiler;

namespace BitNative.Model;

/// <summary>
/// The forward pass, one function per block in the spirit of llama2.c's run.c. A batch of T tokens at positions
/// [start, start + T) goes through every layer together, so prompt processing (T up to the state's MaxTokens) and
/// decoding (T = 1) share this one code path; so does batched decoding, where the T rows belong to several sequences
/// (<see cref="SequenceRows"/>), each with its own positions and KV cache. Every step of a layer is one native call (norm + quantize, each
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

        var sequence = new SequenceRows(cache, start, count);
        Run(state, new ReadOnlySpan<SequenceRows>(in sequence), tokens, state.Logits, allLogits);
    }

    /// <summary>
    /// Runs the rows of several sequences as one batch (batched decoding: one matmul over every sequence's rows per
    /// projection): <paramref name="tokens"/> holds each sequence's rows in the order of <paramref name="sequences"/>.
    /// Writes the logits of each sequence's last row to row i of <paramref name="logits"/> ([sequences, vocab]).
    /// A sequence's results do not depend on the other rows of the batch: every kernel computes a row on its own.
    /// </summary>
    public void Forward(InferenceState state, ReadOnlySpan<SequenceRows> sequences, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        int rows = 0;
        foreach (SequenceRows sequence in sequences)
        {
            if (sequence.Count < 1 || sequence.Start < 0 || sequence.Start + sequence.Count > sequence.Cache.Capacity)
            {
                throw new ArgumentOutOfRangeException(nameof(sequences), sequence.Start,
                    $"Positions {sequence.Start}..{sequence.Start + sequence.Count - 1} do not fit a context of {sequence.Cache.Capacity} positions.");
            }

            rows += sequence.Count;
        }

        if (sequences.IsEmpty || rows != tokens.Length || rows > state.MaxTokens)
        {
            throw new ArgumentException(
                $"{sequences.Length} sequences of {rows} rows for {tokens.Length} tokens: a batch holds 1..{state.MaxTokens} tokens, every one in a sequence.",
                nameof(sequences));
        }

        if (logits.Length < sequences.Length * _config.VocabSize)
        {
            throw new ArgumentException($"logits needs {sequences.Length} x {_config.VocabSize} values.", nameof(logits));
        }

        Run(state, sequences, tokens, logits, default);
    }

    private void Run(InferenceState state, ReadOnlySpan<SequenceRows> sequences, ReadOnlySpan<int> tokens, Span<float> lastLogits,
        Span<float> allLogits)
    {
        int count = tokens.Length, ropeDims = _config.RopeDimensions;
        using ForwardScope forward = TimeForward(state.Profiler, count);
        Embed(state, tokens);
        using (Time(state.Profiler, ForwardPart.RopeTable, sequences.Length))
        {
            // cos / sin of each row's position, shared by every layer: [T, ropeDims]
            int row = 0;
            foreach (SequenceRows sequence in sequences)
            {
                Attention.RopeTable(sequence.Start, sequence.Count, ropeDims, _config.RopeFreqBase,
                    state.RopeTable.AsSpan(row * ropeDims, sequence.Count * ropeDims));
                row += sequence.Count;
            }
        }

        for (int layer = 0; layer < _config.BlockCount; layer++)
        {
            AttentionBlock(state, sequences, layer, count);
            FeedForwardBlock(state, layer, count);
        }

        Head(state, sequences, count, lastLogits, allLogits);
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
    private void AttentionBlock(InferenceState s, ReadOnlySpan<SequenceRows> sequences, int layer, int count)
    {
        LayerWeights w = _weights.Layers[layer];
        int d = _config.EmbeddingLength, kv = _config.KvDim, ropeDims = _config.RopeDimensions;

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

        // Positions and caches are per sequence: RoPE + KV write and attention run once per sequence on its rows.
        using (Time(s.Profiler, ForwardPart.RopeKvWrite, sequences.Length))
        {
            int row = 0;
            foreach (SequenceRows seq in sequences)
            {
                // q rotated in place; rotated k and v to the sequence's cache rows [start, start + n) as fp16
                Attention.RopeAndStoreKv(s.Query.AsSpan(row * d, seq.Count * d), s.Key.AsSpan(row * kv, seq.Count * kv),
                    s.Value.AsSpan(row * kv, seq.Count * kv), s.RopeTable.AsSpan(row * ropeDims, seq.Count * ropeDims), seq.Count,
                    _config.HeadCount, _config.KvHeadCount, _config.HeadDim, ropeDims, _rotary, seq.Start, seq.Cache.Keys(layer),
                    seq.Cache.Values(layer), _pool);
                row += seq.Count;
            }
        }

        using (Time(s.Profiler, ForwardPart.Attention, sequences.Length))
        {
            int row = 0;
            foreach (SequenceRows seq in sequences)
            {
                // row t of the sequence attends to its cache rows [0, start + t]: [n, d]
                Attention.Attend(s.Query.AsSpan(row * d, seq.Count * d), seq.Cache.Keys(layer), seq.Cache.Values(layer), seq.Count,
                    _config.HeadCount, _config.KvHeadCount, _config.HeadDim, seq.Start, _attentionScale, s.Attention.AsSpan(row * d, seq.Count * d),
                    _pool);
                row += seq.Count;
            }
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

    /// <summary>
    /// Final norm and output head: logits of each sequence's last row into <paramref name="lastLogits"/> ([S, vocab]), or
    /// of every row of a single sequence into <paramref name="allLogits"/> ([T, vocab]).
    /// </summary>
    private void Head(InferenceState s, ReadOnlySpan<SequenceRows> sequences, int count, Span<float> lastLogits, Span<float> allLogits)
    {
        using Scope _ = Time(s.Profiler, ForwardPart.OutputHead, 2);
        int d = _config.EmbeddingLength, vocab = _config.VocabSize;
        Linear head = _weights.OutputHead;
        if (!allLogits.IsEmpty)
        {
            NormalizeInput(s, head, s.X, _weights.OutputNorm, count, d);
            Project(s, head, count, allLogits);                                     // [T, vocab]
            allLogits.Slice((count - 1) * vocab, vocab).CopyTo(lastLogits);
            return;
        }

        if (sequences.Length == 1)
        {
            NormalizeInput(s, head, s.X.AsSpan((count - 1) * d, d), _weights.OutputNorm, 1, d); // the last row: [1, d]
        }
        else
        {
            // the last row of each sequence, gathered into the (now free) attention buffer: [S, d]
            int end = 0;
            for (int i = 0; i < sequences.Length; i++)
            {
                end += sequences[i].Count;
                s.X.AsSpan((end - 1) * d, d).CopyTo(s.Attention.AsSpan(i * d, d));
            }

            NormalizeInput(s, head, s.Attention, _weights.OutputNorm, sequences.Length, d);
        }

        Project(s, head, sequences.Length, lastLogits);                             // [S, vocab]
    }

    /// <summary>
    /// Prepares the input of <paramref name="next"/> from rows of x: RMSNorm with <paramref name="weight"/> (when there is
    /// one), fused with the quantization when <paramref name="next"/> reads int8 or int4 (BitNet a4.8: Q/K/V and gate/up
    /// loaded with 4-bit inputs) activations (into Quantized / QuantScales),
    /// as floats otherwise (into Normed).
    /// </summary>
    private void NormalizeInput(InferenceState s, Linear next, ReadOnlySpan<float> x, float[]? weight, int rows, int width)
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
    private void Project(InferenceState s, Linear linear, int rows, Span<float> y)
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
