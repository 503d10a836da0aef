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
    private readonly ModelRecipe _recipe;
    private readonly int _keepOutput; // top-K entries kept per o_proj input row (q: dense)
    private readonly int _keepDown;   // per down_proj input row (f: dense)

    /// <summary>The longest attention head the native attention kernels take (bitnative.h).</summary>
    public const int MaxHeadDim = 512;

    public Transformer(ModelWeights weights, KernelThreadPool? pool)
        : this(weights, pool, ModelRecipe.B158)
    {
    }

    /// <param name="weights">The model, its o_proj / down_proj inputs planned for <paramref name="recipe"/>.</param>
    /// <param name="pool">Kernel threads, or null.</param>
    /// <param name="recipe">BitNet a4.8 / v2 settings: the Hadamard transform and top-K of the o_proj / down_proj inputs, the KV cache type.</param>
    /// <exception cref="InvalidDataException">The recipe asks for what this model cannot do (a quantized KV cache with heads not a multiple of 32; Hadamard or top-K where o_proj / down_proj normalize their own inputs).</exception>
    public Transformer(ModelWeights weights, KernelThreadPool? pool, ModelRecipe recipe)
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
        _recipe = recipe;
        _keepOutput = ActivationTransforms.KeepCount(_config.QueryDim, recipe.AttentionOutputSparsity);
        _keepDown = ActivationTransforms.KeepCount(_config.FeedForwardLength, recipe.FeedForwardDownSparsity);
        if (recipe.KvCache != KvCacheType.F16 && _config.HeadDim % 32 != 0)
        {
            throw new InvalidDataException(
                $"A {ModelRecipe.KvName(recipe.KvCache)} KV cache needs attention heads of a multiple of 32 dimensions; this model's have {_config.HeadDim}.");
        }

        bool transformsOutputs = recipe.Hadamard || _keepOutput < _config.QueryDim || _keepDown < _config.FeedForwardLength;
        if (transformsOutputs && weights.Layers.Any(l => l.Output.InputNorm is not null || l.Down.InputNorm is not null ||
                                                         l.Output.HasInputTransform || l.Down.HasInputTransform ||
                                                         !l.Output.TakesQuantizedInput || !l.Down.TakesQuantizedInput))
        {
            throw new InvalidDataException(
                "The Hadamard transform and top-K sparsity need o_proj and down_proj to read quantized rows without norms or input transforms of their own (BitNet GGUF models).");
        }
    }

    public ModelConfig Config => _config;

    /// <summary>The a4.8 / v2 settings this transformer runs with.</summary>
    public ModelRecipe Recipe => _recipe;

    /// <summary>A KV cache of <paramref name="capacity"/> positions of this transformer's type.</summary>
    public KvCache CreateCache(int capacity) => new(_config, capacity, _recipe.KvCache);

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

    /// <summary>
    /// x += Output(subnorm(attention(rope(qnorm(Q n)), rope(knorm(K n)), V n))), n = attn_norm(x); the sub-norm (BitNet)
    /// and the per-head QK-norm (Qwen3) where the architecture has them.
    /// </summary>
    private void AttentionBlock(InferenceState s, ReadOnlySpan<SequenceRows> sequences, int layer, int count)
    {
        LayerWeights w = _weights.Layers[layer];
        int d = _config.EmbeddingLength, kv = _config.KvDim, q = _config.QueryDim, ropeDims = _config.RopeDimensions;
        ActivationType shared; // the quantized rows NormalizeInput prepared for the projections that follow

        using (Time(s.Profiler, ForwardPart.Norm, 1))
        {
            shared = NormalizeInput(s, s.X, w.AttentionNorm, count, d, w.Query, w.Key, w.Value); // n = attn_norm(x): [T, d]
            if (shared != ActivationType.F32)
            {
                s.Activity?.Count(ProjectionInput.AttentionInput, s.Quantized.AsSpan(0, count * d));
            }
        }

        using (Time(s.Profiler, ForwardPart.QkvProjection, 3))
        {
            Project(s, w.Query, shared, count, s.Query);                            // [T, q]
            Project(s, w.Key, shared, count, s.Key);                                // [T, kv]
            Project(s, w.Value, shared, count, s.Value);                             // [T, kv]
        }

        if (w.QueryNorm is not null && w.KeyNorm is not null)
        {
            using (Time(s.Profiler, ForwardPart.Norm, 2))
            {
                HeadNorm(s, s.Query.AsSpan(0, count * q), w.QueryNorm);             // every query head: [T * heads, head_dim]
                HeadNorm(s, s.Key.AsSpan(0, count * kv), w.KeyNorm);                // every key head: [T * kv_heads, head_dim]
            }
        }

        // Positions and caches are per sequence: RoPE + KV write and attention run once per sequence on its rows.
        using (Time(s.Profiler, ForwardPart.RopeKvWrite, sequences.Length))
        {
            int row = 0;
            foreach (SequenceRows seq in sequences)
            {
                // q rotated in place; rotated k and v to the sequence's cache rows [start, start + n) as fp16
                Attention.RopeAndStoreKv(s.Query.AsSpan(row * q, seq.Count * q), s.Key.AsSpan(row * kv, seq.Count * kv),
                    s.Value.AsSpan(row * kv, seq.Count * kv), s.RopeTable.AsSpan(row * ropeDims, seq.Count * ropeDims), seq.Count,
                    _config.HeadCount, _config.KvHeadCount, _config.HeadDim, ropeDims, _rotary, seq.Start, seq.Cache.Type,
                    seq.Cache.Keys(layer), seq.Cache.Values(layer), _pool);
                row += seq.Count;
            }
        }

        using (Time(s.Profiler, ForwardPart.Attention, sequences.Length))
        {
            int row = 0;
            foreach (SequenceRows seq in sequences)
            {
                // row t of the sequence attends to its cache rows [0, start + t]: [n, q]
                Attention.Attend(s.Query.AsSpan(row * q, seq.Count * q), seq.Cache.Type, seq.Cache.Keys(layer), seq.Cache.Values(layer),
                    seq.Count, _config.HeadCount, _config.KvHeadCount, _config.HeadDim, seq.Start, _attentionScale,
                    s.Attention.AsSpan(row * q, seq.Count * q), _pool);
                row += seq.Count;
            }
        }

        using (Time(s.Profiler, ForwardPart.Norm, 1))
        {
            // attn_sub_norm(attention) [T, q], Hadamard-transformed (v2), quantized, top-K sparsified (a4.8)
            shared = IntermediateInput(s, s.Attention, w.AttentionSubNorm, count, q, w.Output, _keepOutput, ProjectionInput.AttentionOutput);
        }

        using (Time(s.Profiler, ForwardPart.OutputProjection, 1))
        {
            Project(s, w.Output, shared, count, s.Projected);                       // [T, d]
        }

        AddResidual(s, count * d);
    }

    /// <summary>
    /// RMSNorm of every head of <paramref name="heads"/> ([rows, head_dim]) with one weight shared by all heads, in place
    /// (Qwen3's QK-norm, with the model's eps as llama.cpp applies it). The attention output buffer is free until
    /// attention runs, so it holds the normalized rows for one copy back.
    /// </summary>
    private void HeadNorm(InferenceState s, Span<float> heads, float[] weight)
    {
        int hd = _config.HeadDim, rows = heads.Length / hd;
        Span<float> scratch = s.Attention.AsSpan(0, heads.Length);
        Norms.RmsNorm(heads, weight, _config.RmsNormEpsilon, rows, hd, scratch, _pool);
        scratch.CopyTo(heads);
    }

    /// <summary>x += Down(subnorm(act(Gate m) · Up m)), m = ffn_norm(x).</summary>
    private void FeedForwardBlock(InferenceState s, int layer, int count)
    {
        LayerWeights w = _weights.Layers[layer];
        int d = _config.EmbeddingLength, f = _config.FeedForwardLength;
        ActivationType shared; // the quantized rows NormalizeInput prepared for the projections that follow

        using (Time(s.Profiler, ForwardPart.Norm, 1))
        {
            shared = NormalizeInput(s, s.X, w.FeedForwardNorm, count, d, w.Gate, w.Up); // m = ffn_norm(x): [T, d]
            if (shared != ActivationType.F32)
            {
                s.Activity?.Count(ProjectionInput.FeedForwardInput, s.Quantized.AsSpan(0, count * d));
            }
        }

        using (Time(s.Profiler, ForwardPart.GateUpProjection, 2))
        {
            Project(s, w.Gate, shared, count, s.Gate);                              // [T, f]
            Project(s, w.Up, shared, count, s.Up);                                  // [T, f]
        }

        using (Time(s.Profiler, ForwardPart.GatedActivation, 1))
        {
            Span<float> hidden = s.Gate.AsSpan(0, count * f);                       // h = act(gate) · up: [T, f]
            if (w.FeedForwardSubNorm is not null && w.Down is { Input: ActivationType.Int8, InputNorm: null, HasInputTransform: false } &&
                !_recipe.Hadamard)
            {
                // BitNet: h, its sub-norm and the down projection's int8 input in one call, then a4.8's top-K
                GatedActivations.ApplyRmsNormInt8(hidden, s.Up.AsSpan(0, count * f), _activation, w.FeedForwardSubNorm,
                    _config.RmsNormEpsilon, count, f, s.Quantized, s.QuantScales, _pool);
                shared = ActivationType.Int8;
                Sparsify(s, count, f, _keepDown, ProjectionInput.FeedForwardDown);
            }
            else if (_recipe.Hadamard)
            {
                // BitNet v2: h, then sub-norm, Hadamard transform and quantization
                GatedActivations.Apply(hidden, s.Up.AsSpan(0, count * f), _activation, count, f, s.Normed, _pool);
                s.Normed.AsSpan(0, count * f).CopyTo(hidden);
                shared = IntermediateInput(s, hidden, w.FeedForwardSubNorm, count, f, w.Down, _keepDown, ProjectionInput.FeedForwardDown);
            }
            else
            {
                // float projections (LLaMA baselines): h into Normed, which is their input unless a sub-norm follows
                GatedActivations.Apply(hidden, s.Up.AsSpan(0, count * f), _activation, count, f, s.Normed, _pool);
                shared = ActivationType.F32;
                if (w.FeedForwardSubNorm is not null || w.Down.TakesQuantizedInput)
                {
                    s.Normed.AsSpan(0, count * f).CopyTo(hidden);
                    shared = NormalizeInput(s, hidden, w.FeedForwardSubNorm, count, f, w.Down);
                }
            }
        }

        using (Time(s.Profiler, ForwardPart.DownProjection, 1))
        {
            Project(s, w.Down, shared, count, s.Projected);                         // [T, d]
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
        WeightMatrix head = _weights.OutputHead;
        if (!allLogits.IsEmpty)
        {
            ActivationType shared = NormalizeInput(s, s.X, _weights.OutputNorm, count, d, head);
            Project(s, head, shared, count, allLogits);                             // [T, vocab]
            allLogits.Slice((count - 1) * vocab, vocab).CopyTo(lastLogits);
            return;
        }

        ActivationType last;
        if (sequences.Length == 1)
        {
            last = NormalizeInput(s, s.X.AsSpan((count - 1) * d, d), _weights.OutputNorm, 1, d, head); // the last row: [1, d]
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

            last = NormalizeInput(s, s.Attention, _weights.OutputNorm, sequences.Length, d, head);
        }

        Project(s, head, last, sequences.Length, lastLogits);                       // [S, vocab]
    }

    /// <summary>
    /// Prepares the input rows of the projections that read rows of x (Q/K/V, gate/up, or one projection) after RMSNorm
    /// with <paramref name="weight"/> (when there is one), and returns the activation type of the quantized rows the
    /// members share (F32: none). When they all read the same int8 or int4 rows (BitNet a4.8: Q/K/V and gate/up loaded
    /// with 4-bit inputs), that is one fused norm + quantize call into Quantized / QuantScales; when they all read floats,
    /// the norm into Normed. Otherwise the group gets the union of what its members read: a Hugging Face checkpoint may
    /// keep some projections full precision (modules_to_not_convert), give each its own norm (use_rms_norm), or pair
    /// float weights with int8 rows beside int4 ternary ones. Then the float rows go into Normed and the shared quantized
    /// rows, those of the first member that reads quantized rows without its own norm, are quantized from them; a member
    /// that reads other rows makes its own in <see cref="Project"/>.
    /// </summary>
    private ActivationType NormalizeInput(InferenceState s, ReadOnlySpan<float> x, float[]? weight, int rows, int width,
        WeightMatrix first, WeightMatrix? second = null, WeightMatrix? third = null)
    {
        ReadOnlySpan<float> input = x[..(rows * width)];
        ActivationType shared = SharedRows(first) ?? SharedRows(second) ?? SharedRows(third) ?? ActivationType.F32;
        if (!ReadsFloats(first, shared) && !ReadsFloats(second, shared) && !ReadsFloats(third, shared))
        {
            Quantize(input, weight, _config.RmsNormEpsilon, shared, rows, width, s.Quantized, s.QuantScales);
            return shared;
        }

        if (weight is not null)
        {
            Norms.RmsNorm(input, weight, _config.RmsNormEpsilon, rows, width, s.Normed, _pool);
        }
        else
        {
            input.CopyTo(s.Normed);
        }

        if (shared != ActivationType.F32)
        {
            Quantize(s.Normed.AsSpan(0, rows * width), null, 0f, shared, rows, width, s.Quantized, s.QuantScales);
        }

        return shared;
    }

    /// <summary>
    /// Prepares the input rows of o_proj or down_proj from <paramref name="x"/>: RMSNorm with the sub-norm
    /// <paramref name="weight"/>, then for BitNet v2 the Walsh-Hadamard transform (its weights live in the rotated basis)
    /// before quantizing at the matrix's bits, and for a4.8 top-K of the int8 rows (<paramref name="keep"/> entries per
    /// row; the matrix then runs on the transposed layout that skips the zeroed columns). Returns the shared rows' type.
    /// </summary>
    private ActivationType IntermediateInput(InferenceState s, ReadOnlySpan<float> x, float[]? weight, int rows, int width,
        WeightMatrix matrix, int keep, ProjectionInput which)
    {
        ActivationType shared;
        if (!_recipe.Hadamard)
        {
            shared = NormalizeInput(s, x, weight, rows, width, matrix);
        }
        else
        {
            Span<float> normed = s.Normed.AsSpan(0, rows * width);
            if (weight is not null)
            {
                Norms.RmsNorm(x[..(rows * width)], weight, _config.RmsNormEpsilon, rows, width, normed, _pool);
            }
            else
            {
                x[..(rows * width)].CopyTo(normed);
            }

            ActivationTransforms.Hadamard(normed, rows, width, _pool);
            shared = matrix.Input;
            Quantize(normed, null, 0f, shared, rows, width, s.Quantized, s.QuantScales);
        }

        if (shared == ActivationType.Int8)
        {
            Sparsify(s, rows, width, keep, which);
        }
        else if (shared == ActivationType.Int4)
        {
            s.Activity?.Count(which, s.Quantized.AsSpan(0, rows * width));
        }

        return shared;
    }

    /// <summary>a4.8's top-K of the shared int8 rows (when <paramref name="keep"/> &lt; width), and the count of their nonzero entries when measured.</summary>
    private void Sparsify(InferenceState s, int rows, int width, int keep, ProjectionInput which)
    {
        Span<sbyte> q = s.Quantized.AsSpan(0, rows * width);
        if (keep < width)
        {
            ActivationTransforms.TopK(q, rows, width, keep, _pool);
        }

        s.Activity?.Count(which, q);
    }

    /// <summary>
    /// y = linear · (its prepared input rows): the floats in Normed, or the group's <paramref name="shared"/> quantized
    /// rows, or, for a matrix with its own input norm or another activation type, its own quantized rows made from the
    /// floats first (into OwnQuantized / OwnScales, so the shared rows stay for the members after it).
    /// </summary>
    private void Project(InferenceState s, WeightMatrix linear, ActivationType shared, int rows, Span<float> y)
    {
        int width = linear.InFeatures, count = rows * width;
        ReadOnlySpan<float> x = s.Normed.AsSpan(0, count);
        if (s.InputObserver is { } observer && ReadsFloats(linear, shared))
        {
            observer(linear, x, rows);
        }

        if (linear.HasInputTransform)
        {
            ProjectTransformed(s, linear, x, rows, y);
            return;
        }

        if (ReadsOwnRows(linear, shared))
        {
            Quantize(x, linear.InputNorm?.Weight, linear.InputNorm?.Epsilon ?? 0f, linear.Input, rows, width, s.OwnQuantized, s.OwnScales);
            linear.Forward(x, s.OwnQuantized.AsSpan(0, count), s.OwnScales.AsSpan(0, rows), rows, y, _pool);
            return;
        }

        linear.Forward(x, s.Quantized.AsSpan(0, count), s.QuantScales.AsSpan(0, rows), rows, y, _pool);
    }

    /// <summary>
    /// y = W · x_rest + Side · x[split columns] for a matrix that transforms its own input (<see cref="WeightMatrix.InputScale"/>,
    /// <see cref="WeightMatrix.Split"/>), LLM.int8()'s decomposition when the side matrix is fp16: the rows are scaled
    /// (OneBit), the split columns gathered into SideFloats ([T, c]) and zeroed in OwnFloats, so they leave the main
    /// product and the absmax its int8 rows are quantized with; the side matrix reads the gathered floats, or int8 rows
    /// quantized from them with their own scale; its product is added to y.
    /// </summary>
    private void ProjectTransformed(InferenceState s, WeightMatrix linear, ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        int width = linear.InFeatures, count = rows * width, n = linear.OutFeatures;
        Span<float> own = s.OwnFloats.AsSpan(0, count);                             // [T, k]
        if (linear.InputScale is { } scale)
        {
            for (int t = 0; t < rows; t++)
            {
                TensorPrimitives.Multiply(x.Slice(t * width, width), scale, own.Slice(t * width, width));
            }
        }
        else
        {
            x.CopyTo(own);
        }

        SplitColumns? split = linear.Split;
        int c = split?.Columns.Length ?? 0;
        if (split is not null)
        {
            if (c > s.SplitColumns)
            {
                throw new InvalidOperationException($"{linear.Name}: {c} split columns, but the inference state holds {s.SplitColumns}.");
            }

            Span<float> side = s.SideFloats.AsSpan(0, rows * c);                    // [T, c]
            for (int t = 0; t < rows; t++)
            {
                ReadOnlySpan<float> row = own.Slice(t * width, width);
                for (int j = 0; j < c; j++)
                {
                    int column = split.Columns[j];
                    side[t * c + j] = column >= 0 ? row[column] : 0f;
                }
            }

            for (int t = 0; t < rows; t++)
            {
                foreach (int column in split.Excluded)
                {
                    own[t * width + column] = 0f;
                }
            }
        }

        if (linear.TakesQuantizedInput)
        {
            Quantize(own, null, 0f, linear.Input, rows, width, s.OwnQuantized, s.OwnScales);
        }

        linear.Forward(own, s.OwnQuantized.AsSpan(0, linear.TakesQuantizedInput ? count : 0), s.OwnScales.AsSpan(0, rows), rows, y, _pool);
        if (split is null)
        {
            return;
        }

        WeightMatrix sideMatrix = split.Side;
        ReadOnlySpan<float> sideRows = s.SideFloats.AsSpan(0, rows * c);
        if (sideMatrix.TakesQuantizedInput)
        {
            Quantize(sideRows, null, 0f, sideMatrix.Input, rows, c, s.SideQuantized, s.SideScales);
        }

        Span<float> sideOut = s.SideOutput.AsSpan(0, rows * n);                     // [T, n]
        sideMatrix.Forward(sideRows, s.SideQuantized.AsSpan(0, sideMatrix.TakesQuantizedInput ? rows * c : 0), s.SideScales.AsSpan(0, rows),
            rows, sideOut, _pool);
        TensorPrimitives.Add(y[..(rows * n)], sideOut, y[..(rows * n)]);
    }

    /// <summary>The type of the shared quantized rows <paramref name="m"/> reads, or null when it reads floats or makes its own.</summary>
    private static ActivationType? SharedRows(WeightMatrix? m) =>
        m is { TakesQuantizedInput: true, InputNorm: null, HasInputTransform: false } ? m.Input : null;

    /// <summary>Whether <paramref name="m"/> quantizes rows of its own instead of reading the group's shared ones.</summary>
    private static bool ReadsOwnRows(WeightMatrix m, ActivationType shared) =>
        m.HasInputTransform || (m.TakesQuantizedInput && (m.InputNorm is not null || m.Input != shared));

    /// <summary>Whether <paramref name="m"/> needs the float rows in Normed: it reads them, or makes its own quantized rows from them.</summary>
    private static bool ReadsFloats(WeightMatrix? m, ActivationType shared) =>
        m is not null && (!m.TakesQuantizedInput || ReadsOwnRows(m, shared));

    /// <summary>Rows into int8 or int4 (<paramref name="type"/>) with one scale each, after RMSNorm with <paramref name="weight"/> when there is one (one native call).</summary>
    private void Quantize(ReadOnlySpan<float> input, float[]? weight, float eps, ActivationType type, int rows, int width,
        Span<sbyte> q, Span<float> scales)
    {
        switch (type, weight)
        {
            case (ActivationType.Int4, not null): Norms.RmsNormInt4(input, weight, eps, rows, width, q, scales, _pool); break;
            case (ActivationType.Int4, null): ActivationQuantizer.QuantizeInt4(input, rows, width, q, scales, _pool); break;
            case (ActivationType.Int8, not null): Norms.RmsNormInt8(input, weight, eps, rows, width, q, scales, _pool); break;
            case (ActivationType.Int8, null): ActivationQuantizer.QuantizeInt8(input, rows, width, q, scales, _pool); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "Float rows are not quantized.");
        }
    }

    /// <summary>x += projected over the batch's n = T · d values.</summary>
    private static void AddResidual(InferenceState s, int n)
    {
        using Scope _ = Time(s.Profiler, ForwardPart.Residual, 0);
        TensorPrimitives.Add(s.X.AsSpan(0, n), s.Projected.AsSpan(0, n), s.X.AsSpan(0, n));
    }
}
