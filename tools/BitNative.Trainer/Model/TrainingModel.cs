using System.Numerics.Tensors;
using ActivationBits = BitNative.Kernels.ActivationBits;
using ActivationTransforms = BitNative.Kernels.ActivationTransforms;
using KvCacheType = BitNative.Kernels.KvCacheType;
using KvQuantizer = BitNative.Kernels.KvQuantizer;
using BitNative.Model;
using BitNative.Trainer.Ops;

namespace BitNative.Trainer.Model;

/// <summary>The seven projections of one block.</summary>
internal sealed record LayerProjections(BitLinear Q, BitLinear K, BitLinear V, BitLinear O, BitLinear Gate, BitLinear Up, BitLinear Down)
{
    public IEnumerable<BitLinear> All => [Q, K, V, O, Gate, Up, Down];
}

/// <summary>
/// BitNet b1.58 (2B-4T architecture) with a hand-written backward pass, in the spirit of llm.c:
/// x = embed(token); per layer
///   x += O(attn_sub_norm(attention(rope(Q n), rope(K n), V n))),  n = attn_norm(x)
///   x += Down(ffn_sub_norm(relu(Gate m)² · Up m)),                m = ffn_norm(x)
/// then logits = output_norm(x) · Eᵀ with the tied embedding E (float, like the engine's F16 head), softmax
/// cross-entropy. The projections are <see cref="BitLinear"/> (ternary + int8 in <see cref="QuantMode.Ternary"/>).
/// One forward and one backward function per block; shapes in comments (N = batch · T rows).
/// </summary>
internal sealed class TrainingModel
{
    private readonly Rope _rope;
    private readonly Attention _attention;
    private readonly float[] _embeddingT; // [d, V] Eᵀ for the head product
    private Activations? _acts;
    private int[] _inputs = [];
    private int[] _targets = [];
    private int _batch;
    private int _scored;

    public TrainingModel(ModelShape shape)
    {
        shape.Validate();
        Shape = shape;
        Layout = new ParameterLayout(shape);
        Parameters = new float[Layout.Count];
        Gradients = new float[Layout.Count];
        _rope = new Rope(shape.HeadDim, shape.Context, shape.RopeBase);
        _attention = new Attention(shape.Heads, shape.KvHeads, shape.HeadDim);
        _embeddingT = new float[shape.Vocab * shape.Dim];
        Projections = Enumerable.Range(0, shape.Layers).Select(l =>
        {
            BitLinear P(string name)
            {
                ParameterTensor t = Layout[$"blk.{l}.{name}.weight"];
                return new BitLinear(t.Name, t.Offset, t.Rows, t.Columns);
            }

            return new LayerProjections(P("attn_q"), P("attn_k"), P("attn_v"), P("attn_output"), P("ffn_gate"), P("ffn_up"), P("ffn_down"));
        }).ToArray();
    }

    public ModelShape Shape { get; }

    public ParameterLayout Layout { get; }

    /// <summary>Latent (full-precision) parameters, flat in <see cref="Layout"/> order.</summary>
    public float[] Parameters { get; }

    public float[] Gradients { get; }

    public LayerProjections[] Projections { get; }

    public QuantMode Mode { get; set; } = QuantMode.Ternary;

    /// <summary>
    /// Rounds keys and values to fp16 as the engine's KV cache stores them (evaluation only: training keeps fp32).
    /// With it, the trainer reproduces the engine's losses to float precision; without it they differ by the KV rounding.
    /// </summary>
    public bool HalfPrecisionKv { get; set; }

    /// <summary>
    /// The activation / KV recipe of the forward pass (BitNet b1.58, a4.8, v2; see ModelRecipe), in ternary mode: int4 or
    /// int8 Q/K/V and gate/up inputs; for o_proj and down_proj the Hadamard transform (v2) before quantizing, top-K
    /// sparsification of the int8 rows (a4.8); keys and values stored as the KV cache type (fp32 stands for f16 in
    /// training unless <see cref="HalfPrecisionKv"/>). Every quantizer is the engine's own kernel, so the forward pass is
    /// the engine's numerics; the backward pass is the straight-through estimator through all of them (top-K passes the
    /// gradient of every entry, as Q-Sparse does; the Hadamard transform is orthonormal and symmetric, so its gradient is
    /// the transform of the gradient).
    /// </summary>
    public ModelRecipe Recipe { get; set; } = ModelRecipe.B158;

    /// <summary>
    /// Evaluation of H-BitLinear's quantization on a model whose weights were not trained in the rotated basis (a b1.58
    /// model, post-training): the o_proj / down_proj inputs are transformed, quantized at the recipe's bits, read back and
    /// transformed back, then quantized to int8 as the model expects. Measures what the Hadamard-domain quantization
    /// costs without changing the weights. Evaluation only.
    /// </summary>
    public bool HadamardRoundTrip { get; set; }

    /// <summary>
    /// Bits of the o_proj / down_proj inputs instead of the recipe's (evaluation of one piece alone: 4-bit intermediates
    /// with or without the Hadamard transform while Q/K/V and gate/up keep theirs). Null: the recipe's.
    /// </summary>
    public ActivationBits? OutputBits { get; set; }

    /// <summary>
    /// Set for a model read back from a file: its forward weights are the file's ternary codes and scales, which
    /// <see cref="Prepare"/> would replace by a re-ternarization of their dequantized values (a different γ).
    /// </summary>
    public bool Frozen { get; set; }

    /// <summary>Every buffer of the last forward pass (null before the first).</summary>
    public Activations? LastActivations => _acts;

    /// <summary>Per-token losses of the last forward pass (0 where the target was −1).</summary>
    public ReadOnlySpan<float> Losses => _acts!.Losses.AsSpan(0, _batch * Shape.Context);

    /// <summary>Logits [N, V] of the last forward pass (until <see cref="Backward"/> overwrites them).</summary>
    public ReadOnlySpan<float> Logits => _acts!.Logits.AsSpan(0, _batch * Shape.Context * Shape.Vocab);

    /// <summary>GPT-2 style initialization: N(0, 0.02) matrices (seeded per tensor), norms at 1.</summary>
    public void Initialize(ulong seed)
    {
        for (int i = 0; i < Layout.Tensors.Count; i++)
        {
            ParameterTensor t = Layout.Tensors[i];
            Span<float> values = Parameters.AsSpan(t.Offset, t.Length);
            if (t.Kind == TensorKind.Norm)
            {
                values.Fill(1f);
                continue;
            }

            var rng = new Rng(seed, (ulong)i);
            for (int j = 0; j < values.Length; j++)
            {
                values[j] = 0.02f * rng.NextGaussian();
            }
        }
    }

    /// <summary>Derives every forward weight from the latent parameters (after each optimizer step).</summary>
    public void Prepare()
    {
        if (Frozen)
        {
            throw new InvalidOperationException("This model holds a file's ternary weights; it has no latent weights to prepare.");
        }

        foreach (LayerProjections layer in Projections)
        {
            foreach (BitLinear p in layer.All)
            {
                p.Prepare(Parameters, Mode);
            }
        }

        PrepareHead();
    }

    /// <summary>Refreshes Eᵀ from the embedding (also used by a model read back from a file).</summary>
    public void PrepareHead() =>
        Gemm.Transpose(Parameters.AsSpan(Layout["token_embd.weight"].Offset, Shape.Vocab * Shape.Dim), _embeddingT, Shape.Vocab, Shape.Dim);

    private Span<float> P(string name) => Parameters.AsSpan(Layout[name].Offset, Layout[name].Length);

    private Memory<float> PM(string name) => Parameters.AsMemory(Layout[name].Offset, Layout[name].Length);

    private Memory<float> GM(string name) => Gradients.AsMemory(Layout[name].Offset, Layout[name].Length);

    /// <summary>
    /// Runs <paramref name="batch"/> sequences of T tokens (inputs [batch, T]); targets −1 are not scored.
    /// Returns the mean loss over scored tokens, summed in double and not rounded to float, so that two nearby losses
    /// can be subtracted (finite differences) without losing the difference to the float spacing of the loss.
    /// Call <see cref="Prepare"/> first.
    /// </summary>
    public double Forward(int[] inputs, int[] targets, int batch)
    {
        int t = Shape.Context, n = batch * t, d = Shape.Dim, vocab = Shape.Vocab;
        if (inputs.Length < n || targets.Length < n)
        {
            throw new ArgumentException($"Need {n} inputs and targets for {batch} sequences of {t}.");
        }

        if (_acts is null || _acts.Batch < batch)
        {
            _acts = new Activations(Shape, batch);
        }

        _batch = batch;
        _inputs = inputs;
        _targets = targets;
        Activations a = _acts;

        Span<float> x0 = a.Residual[0];
        ReadOnlySpan<float> embedding = P("token_embd.weight");
        for (int i = 0; i < n; i++)
        {
            if ((uint)inputs[i] >= (uint)vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(inputs), inputs[i], $"Token {i} is outside the vocabulary.");
            }

            embedding.Slice(inputs[i] * d, d).CopyTo(x0.Slice(i * d, d)); // x[i] = E[token]
        }

        for (int l = 0; l < Shape.Layers; l++)
        {
            AttentionForward(l, n);
            FeedForwardForward(l, n);
        }

        RmsNorm.Forward(a.Residual[Shape.Layers], PM("output_norm.weight"), Shape.NormEps, n, d, a.Final, a.FinalRstd);
        Gemm.Multiply(a.Final, _embeddingT, a.Logits, n, d, vocab, accumulate: false); // [N, V]
        CrossEntropy.Forward(a.Logits, targets, a.Losses, n, vocab);

        _scored = 0;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            if (targets[i] >= 0)
            {
                _scored++;
                sum += a.Losses[i];
            }
        }

        return _scored == 0 ? 0 : sum / _scored;
    }

    /// <summary>Quantizes the input of Q/K/V or gate/up: int8, or int4 when the recipe says so.</summary>
    private void QuantizeWideInput(float[] x, int n, int width, float[] xq, float[] scale)
    {
        if (Recipe.ActivationBits == ActivationBits.Int4 && Mode == QuantMode.Ternary)
        {
            ActivationQuant.ApplyInt4(x, n, width, xq, scale);
        }
        else
        {
            ActivationQuant.Apply(Mode, x, n, width, xq, scale);
        }
    }

    /// <summary>
    /// Prepares the input of o_proj or down_proj from its normalized rows <paramref name="x"/> (overwritten): the Hadamard
    /// transform (v2), quantization at the recipe's bits, top-K of the int8 rows (a4.8: <paramref name="sparsity"/>).
    /// </summary>
    private void QuantizeOutputInput(float[] x, int n, int width, float sparsity, float[] xq, float[] scale)
    {
        if (Mode != QuantMode.Ternary)
        {
            // float mode keeps the architecture (a v2 model's weights live in the rotated basis), not the quantizers
            if (Recipe.Hadamard && !HadamardRoundTrip)
            {
                ActivationTransforms.Hadamard(x.AsSpan(0, n * width), n, width, null);
            }

            ActivationQuant.Apply(Mode, x, n, width, xq, scale);
            return;
        }

        if (Recipe.Hadamard && HadamardRoundTrip)
        {
            // H x quantized at the recipe's bits and read back, then back to the model's basis (H is its own inverse)
            ActivationTransforms.Hadamard(x.AsSpan(0, n * width), n, width, null);
            QuantizeAt(OutputBits ?? Recipe.OutputInputBits, x, n, width, xq, scale);
            ActivationQuant.Dequantize(xq, scale, n, width, x);
            ActivationTransforms.Hadamard(x.AsSpan(0, n * width), n, width, null);
            ActivationQuant.Apply(Mode, x, n, width, xq, scale);
        }
        else
        {
            if (Recipe.Hadamard)
            {
                ActivationTransforms.Hadamard(x.AsSpan(0, n * width), n, width, null);
            }

            QuantizeAt(OutputBits ?? Recipe.OutputInputBits, x, n, width, xq, scale);
        }

        int keep = ActivationTransforms.KeepCount(width, sparsity);
        if (keep < width && (OutputBits ?? Recipe.OutputInputBits) == ActivationBits.Int8)
        {
            ActivationQuant.TopK(xq, n, width, keep);
        }
    }

    private static void QuantizeAt(ActivationBits bits, float[] x, int n, int width, float[] xq, float[] scale)
    {
        if (bits == ActivationBits.Int4)
        {
            ActivationQuant.ApplyInt4(x, n, width, xq, scale);
        }
        else
        {
            ActivationQuant.Apply(QuantMode.Ternary, x, n, width, xq, scale);
        }
    }

    /// <summary>Keys or values [N, kv] as the KV cache stores and reads them back, per head (quantized types), or rounded to fp16.</summary>
    private void StoreAsCache(float[] values, int count)
    {
        if (Recipe.KvCache != KvCacheType.F16 && Mode == QuantMode.Ternary)
        {
            int hd = Shape.HeadDim, rows = count / hd;
            var blocks = new byte[rows * KvQuantizer.BlockBytes(Recipe.KvCache, hd)];
            KvQuantizer.Quantize(values.AsSpan(0, count), rows, hd, Recipe.KvCache, blocks);
            KvQuantizer.Dequantize(blocks, rows, hd, Recipe.KvCache, values.AsSpan(0, count));
        }
        else if (HalfPrecisionKv)
        {
            RoundToHalf(values.AsSpan(0, count));
        }
    }

    private static void RoundToHalf(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(Half)values[i];
        }
    }

    /// <summary>XMid = x + O(attn_sub_norm(attention(rope(Q n), rope(K n), V n))), n = attn_norm(x).</summary>
    private void AttentionForward(int l, int n)
    {
        Activations a = _acts!;
        LayerActivations s = a.Layers[l];
        LayerProjections w = Projections[l];
        int d = Shape.Dim, kv = Shape.KvDim;
        float eps = Shape.NormEps;
        string p = $"blk.{l}.";

        RmsNorm.Forward(a.Residual[l], PM(p + "attn_norm.weight"), eps, n, d, a.Normed, s.AttnRstd);
        QuantizeWideInput(a.Normed, n, d, s.NQ, s.NScale);
        w.Q.Forward(s.NQ, s.NScale, n, s.Q); // [N, d]
        w.K.Forward(s.NQ, s.NScale, n, s.K); // [N, kv]
        w.V.Forward(s.NQ, s.NScale, n, s.V); // [N, kv]
        _rope.Apply(s.Q, n, d, Shape.Context, inverse: false);
        _rope.Apply(s.K, n, kv, Shape.Context, inverse: false);
        StoreAsCache(s.K, n * kv);
        StoreAsCache(s.V, n * kv);

        _attention.Forward(s.Q, s.K, s.V, s.Probs, s.Att, _batch, Shape.Context);

        RmsNorm.Forward(s.Att, PM(p + "attn_sub_norm.weight"), eps, n, d, a.Normed, s.SubRstd);
        QuantizeOutputInput(a.Normed, n, d, Recipe.AttentionOutputSparsity, s.AQ, s.AScale);
        w.O.Forward(s.AQ, s.AScale, n, a.Projected);
        TensorPrimitives.Add(a.Residual[l].AsSpan(0, n * d), a.Projected.AsSpan(0, n * d), s.XMid);
    }

    /// <summary>x_{l+1} = XMid + Down(ffn_sub_norm(relu(Gate m)² · Up m)), m = ffn_norm(XMid).</summary>
    private void FeedForwardForward(int l, int n)
    {
        Activations a = _acts!;
        LayerActivations s = a.Layers[l];
        LayerProjections w = Projections[l];
        int d = Shape.Dim, f = Shape.FeedForward;
        float eps = Shape.NormEps;
        string p = $"blk.{l}.";

        RmsNorm.Forward(s.XMid, PM(p + "ffn_norm.weight"), eps, n, d, a.Normed, s.FfnRstd);
        QuantizeWideInput(a.Normed, n, d, s.MQ, s.MScale);
        w.Gate.Forward(s.MQ, s.MScale, n, s.G); // [N, f]
        w.Up.Forward(s.MQ, s.MScale, n, s.U);   // [N, f]
        SquaredReluGate.Forward(s.G, s.U, s.H, n * f);

        RmsNorm.Forward(s.H, PM(p + "ffn_sub_norm.weight"), eps, n, f, a.Normed, s.FfnSubRstd);
        QuantizeOutputInput(a.Normed, n, f, Recipe.FeedForwardDownSparsity, s.HQ, s.HScale);
        w.Down.Forward(s.HQ, s.HScale, n, a.Projected); // [N, d]
        TensorPrimitives.Add(s.XMid.AsSpan(0, n * d), a.Projected.AsSpan(0, n * d), a.Residual[l + 1]);
    }

    /// <summary>Gradients of the mean loss of the last <see cref="Forward"/> into <see cref="Gradients"/> (overwritten).</summary>
    public void Backward()
    {
        Activations a = _acts ?? throw new InvalidOperationException("Backward needs a forward pass first.");
        int n = _batch * Shape.Context, d = Shape.Dim, vocab = Shape.Vocab;
        Array.Clear(Gradients);
        if (_scored == 0)
        {
            return;
        }

        // Head: logits = Final · Eᵀ.
        CrossEntropy.Backward(a.Logits, _targets, n, vocab, 1f / _scored); // logits -> dlogits
        Gemm.Multiply(a.Logits, PM("token_embd.weight"), a.DFinal, n, vocab, d, accumulate: false); // dFinal = dlogits · E
        Gemm.Transpose(a.Logits.AsSpan(0, n * vocab), a.Transposed, n, vocab);
        Gemm.Multiply(a.Transposed, a.Final, GM("token_embd.weight"), vocab, n, d, accumulate: true); // dE += dlogitsᵀ · Final

        Array.Clear(a.DResidual, 0, n * d);
        RmsNorm.Backward(a.DFinal, a.Residual[Shape.Layers], PM("output_norm.weight"), a.FinalRstd, n, d, a.DResidual,
            GM("output_norm.weight"));

        for (int l = Shape.Layers - 1; l >= 0; l--)
        {
            FeedForwardBackward(l, n);
            AttentionBackward(l, n);
        }

        Span<float> dEmbedding = Gradients.AsSpan(Layout["token_embd.weight"].Offset, vocab * d);
        for (int i = 0; i < n; i++) // dE[token] += dx[i], in token order: deterministic
        {
            Span<float> row = dEmbedding.Slice(_inputs[i] * d, d);
            TensorPrimitives.Add(row, a.DResidual.AsSpan(i * d, d), row);
        }
    }

    /// <summary>
    /// The gradient of a transformed input back to the norm's output: with the Hadamard transform y = H x, dx = Hᵀ dy = H dy
    /// (H is symmetric and orthonormal); the quantizers and top-K pass it unchanged (straight-through).
    /// </summary>
    private void TransformBack(float[] gradient, int n, int width)
    {
        if (Recipe.Hadamard && !HadamardRoundTrip)
        {
            ActivationTransforms.Hadamard(gradient.AsSpan(0, n * width), n, width, null);
        }
    }

    /// <summary>DResidual holds dL/dx_{l+1} on entry and dL/dXMid on exit.</summary>
    private void FeedForwardBackward(int l, int n)
    {
        Activations a = _acts!;
        LayerActivations s = a.Layers[l];
        LayerProjections w = Projections[l];
        int d = Shape.Dim, f = Shape.FeedForward;
        string p = $"blk.{l}.";

        w.Down.BackwardInput(a.DResidual, n, a.DWide, accumulate: false); // d(down input) [N, f]
        TransformBack(a.DWide, n, f);                                      // d(sub_norm output)
        ActivationQuant.Dequantize(s.HQ, s.HScale, n, f, a.Dequantized);
        w.Down.BackwardWeight(a.DResidual, a.Dequantized, n, Gradients, a.Transposed);

        Array.Clear(a.DWide2, 0, n * f);
        RmsNorm.Backward(a.DWide, s.H, PM(p + "ffn_sub_norm.weight"), s.FfnSubRstd, n, f, a.DWide2, GM(p + "ffn_sub_norm.weight"));
        SquaredReluGate.Backward(a.DWide2, s.G, s.U, a.DGate, a.DUp, n * f);

        w.Up.BackwardInput(a.DUp, n, a.DNarrow, accumulate: false);
        w.Gate.BackwardInput(a.DGate, n, a.DNarrow, accumulate: true); // d(ffn_norm output) [N, d]
        ActivationQuant.Dequantize(s.MQ, s.MScale, n, d, a.Dequantized);
        w.Up.BackwardWeight(a.DUp, a.Dequantized, n, Gradients, a.Transposed);
        w.Gate.BackwardWeight(a.DGate, a.Dequantized, n, Gradients, a.Transposed);

        RmsNorm.Backward(a.DNarrow, s.XMid, PM(p + "ffn_norm.weight"), s.FfnRstd, n, d, a.DResidual, GM(p + "ffn_norm.weight"));
    }

    /// <summary>DResidual holds dL/dXMid on entry and dL/dx_l on exit.</summary>
    private void AttentionBackward(int l, int n)
    {
        Activations a = _acts!;
        LayerActivations s = a.Layers[l];
        LayerProjections w = Projections[l];
        int d = Shape.Dim, kv = Shape.KvDim;
        string p = $"blk.{l}.";

        w.O.BackwardInput(a.DResidual, n, a.DNarrow, accumulate: false); // d(O input) [N, d]
        TransformBack(a.DNarrow, n, d);                                  // d(sub_norm output)
        ActivationQuant.Dequantize(s.AQ, s.AScale, n, d, a.Dequantized);
        w.O.BackwardWeight(a.DResidual, a.Dequantized, n, Gradients, a.Transposed);

        Array.Clear(a.DNarrow2, 0, n * d);
        RmsNorm.Backward(a.DNarrow, s.Att, PM(p + "attn_sub_norm.weight"), s.SubRstd, n, d, a.DNarrow2, GM(p + "attn_sub_norm.weight"));
        _attention.Backward(a.DNarrow2, s.Q, s.K, s.V, s.Probs, a.DQ, a.DK, a.DV, _batch, Shape.Context);
        _rope.Apply(a.DQ, n, d, Shape.Context, inverse: true);
        _rope.Apply(a.DK, n, kv, Shape.Context, inverse: true);

        w.Q.BackwardInput(a.DQ, n, a.DNarrow, accumulate: false);
        w.K.BackwardInput(a.DK, n, a.DNarrow, accumulate: true);
        w.V.BackwardInput(a.DV, n, a.DNarrow, accumulate: true); // d(attn_norm output) [N, d]
        ActivationQuant.Dequantize(s.NQ, s.NScale, n, d, a.Dequantized);
        w.Q.BackwardWeight(a.DQ, a.Dequantized, n, Gradients, a.Transposed);
        w.K.BackwardWeight(a.DK, a.Dequantized, n, Gradients, a.Transposed);
        w.V.BackwardWeight(a.DV, a.Dequantized, n, Gradients, a.Transposed);

        RmsNorm.Backward(a.DNarrow, a.Residual[l], PM(p + "attn_norm.weight"), s.AttnRstd, n, d, a.DResidual, GM(p + "attn_norm.weight"));
    }
}
