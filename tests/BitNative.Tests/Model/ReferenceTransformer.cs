namespace BitNative.Tests.Model;

/// <summary>
/// One projection as the reference sees it: plain values, no packing. Ternary (int8 input, times Scale), or Dense: float
/// input, or with <paramref name="QuantizeInput"/> the int8-quantized input (transformers' AutoBitLinear over float
/// weights), times Scale. <paramref name="InputNorm"/>: the module's own RMSNorm of its input (use_rms_norm), with
/// <paramref name="InputNormEps"/>.
/// </summary>
internal sealed record ReferenceLinear(int Out, int In, sbyte[]? Ternary, float Scale, float[]? Dense, float[]? InputNorm = null,
    float InputNormEps = 0, bool QuantizeInput = false);

internal sealed record ReferenceLayer(
    float[] AttnNorm, ReferenceLinear Q, ReferenceLinear K, ReferenceLinear V, float[]? AttnSubNorm, ReferenceLinear O,
    float[] FfnNorm, ReferenceLinear Gate, ReferenceLinear Up, float[]? FfnSubNorm, ReferenceLinear Down)
{
    /// <summary>Qwen3's QK-norm: an RMSNorm over each query / key head ([head_dim]) before RoPE.</summary>
    public float[]? QNorm { get; init; }

    public float[]? KNorm { get; init; }
}

/// <summary>
/// A plain, scalar forward pass written from the architecture description (formats.md section 4-5), one token at a
/// time, sharing no code with the engine's Transformer: double-precision norms and softmax, exact integer dots, the
/// same quantization rules (int8 absmax per token for ternary projections, fp16 KV cache, fp16 head; with
/// <paramref name="headReadsInt8"/>, a head of block-quantized values that reads int8 absmax rows, as the engine runs
/// Q8_0 and k-quant heads on their stored bytes).
/// </summary>
internal sealed class ReferenceTransformer(
    BitNative.Model.ModelConfig config, float[] embedding, ReferenceLayer[] layers, float[] outputNorm, float[] head,
    bool headReadsInt8 = false)
{
    private readonly List<float[]>[] _keys = Enumerable.Range(0, config.BlockCount).Select(_ => new List<float[]>()).ToArray();
    private readonly List<float[]>[] _values = Enumerable.Range(0, config.BlockCount).Select(_ => new List<float[]>()).ToArray();

    private int _nearTies;

    /// <summary>Activations quantized so far that sat within 1e-4 of a rounding midpoint.</summary>
    public int NearTies => _nearTies;

    /// <summary>Feeds one token at the next position and returns its logits.</summary>
    public float[] Step(int token)
    {
        int d = config.EmbeddingLength, pos = _keys[0].Count;
        float[] x = embedding.AsSpan(token * d, d).ToArray();
        for (int l = 0; l < config.BlockCount; l++)
        {
            ReferenceLayer w = layers[l];
            float[] n = RmsNorm(x, w.AttnNorm);
            float[] q = Apply(w.Q, n), k = Apply(w.K, n), v = Apply(w.V, n);
            if (w.QNorm is not null && w.KNorm is not null)
            {
                q = HeadNorm(q, w.QNorm);
                k = HeadNorm(k, w.KNorm);
            }

            Rope(q, pos);
            Rope(k, pos);
            _keys[l].Add(k.Select(f => (float)(Half)f).ToArray());
            _values[l].Add(v.Select(f => (float)(Half)f).ToArray());
            float[] att = Attention(q, l);
            if (w.AttnSubNorm is not null)
            {
                att = RmsNorm(att, w.AttnSubNorm);
            }

            Add(x, Apply(w.O, att));

            float[] m = RmsNorm(x, w.FfnNorm);
            float[] g = Apply(w.Gate, m), u = Apply(w.Up, m);
            var h = new float[g.Length];
            for (int i = 0; i < g.Length; i++)
            {
                double gi = g[i];
                double act = config.Activation == BitNative.Model.FeedForwardActivation.SquaredRelu
                    ? Math.Max(gi, 0) * Math.Max(gi, 0)
                    : gi / (1 + Math.Exp(-gi));
                h[i] = (float)(act * u[i]);
            }

            if (w.FfnSubNorm is not null)
            {
                h = RmsNorm(h, w.FfnSubNorm);
            }

            Add(x, Apply(w.Down, h));
        }

        float[] final = RmsNorm(x, outputNorm);
        double inputStep = 1;
        if (headReadsInt8)
        {
            (int[] codes, double step) = Quantize(final);
            final = codes.Select(v => (float)v).ToArray();
            inputStep = step;
        }

        var logits = new float[config.VocabSize];
        for (int t = 0; t < config.VocabSize; t++)
        {
            double s = 0;
            for (int j = 0; j < d; j++)
            {
                s += (double)head[t * d + j] * final[j];
            }

            logits[t] = (float)(s * inputStep);
        }

        return logits;
    }

    private float[] RmsNorm(float[] x, float[] w) => RmsNorm(x, w, config.RmsNormEpsilon);

    /// <summary>Each head_dim-long slice normalized on its own with the shared weight.</summary>
    private float[] HeadNorm(float[] heads, float[] w)
    {
        int hd = config.HeadDim;
        var result = new float[heads.Length];
        for (int h = 0; h < heads.Length / hd; h++)
        {
            RmsNorm(heads[(h * hd)..((h + 1) * hd)], w).CopyTo(result, h * hd);
        }

        return result;
    }

    private static float[] RmsNorm(float[] x, float[] w, float eps)
    {
        double ss = 0;
        foreach (float v in x)
        {
            ss += (double)v * v;
        }

        double r = 1.0 / Math.Sqrt(ss / x.Length + eps);
        return x.Select((v, i) => (float)(v * r * w[i])).ToArray();
    }

    /// <summary>
    /// Ternary: per-token int8 absmax of the input, exact integer dot, times both scales. Dense: float dot, over the
    /// dequantized int8 input when the projection quantizes it. Either after the projection's own input norm, if any.
    /// </summary>
    private float[] Apply(ReferenceLinear w, float[] x)
    {
        if (w.InputNorm is not null)
        {
            x = RmsNorm(x, w.InputNorm, w.InputNormEps);
        }

        var y = new float[w.Out];
        if (w.Dense is not null)
        {
            (int[] codes, double step) = w.QuantizeInput ? Quantize(x) : (null!, 0);
            for (int i = 0; i < w.Out; i++)
            {
                double s = 0;
                for (int j = 0; j < w.In; j++)
                {
                    s += (double)w.Dense[i * w.In + j] * (w.QuantizeInput ? codes[j] * step : x[j]);
                }

                y[i] = (float)(w.QuantizeInput ? s * w.Scale : s);
            }

            return y;
        }

        (int[] xq, double dequant) = Quantize(x);
        for (int i = 0; i < w.Out; i++)
        {
            long dot = 0;
            for (int j = 0; j < w.In; j++)
            {
                dot += w.Ternary![i * w.In + j] * xq[j];
            }

            y[i] = (float)(dot * dequant * w.Scale);
        }

        return y;
    }

    /// <summary>int8 absmax of one token: codes round(x · 127 / max|x|) (half to even), and the step max|x| / 127.</summary>
    private (int[] Codes, double Step) Quantize(float[] x)
    {
        float amax = Math.Max(x.Max(MathF.Abs), 1e-5f);
        float qs = 127f / amax;
        int[] xq = x.Select(v => (int)Math.Clamp(Math.Round(v * qs, MidpointRounding.ToEven), -128, 127)).ToArray();
        foreach (float v in x)
        {
            // A value this close to a rounding midpoint may round the other way in the engine, whose float sums
            // run in another order; every later logit then moves a little. Counted, so tests can tell the two apart.
            if (Math.Abs(Math.Abs(v * qs) % 1.0 - 0.5) < 1e-4)
            {
                _nearTies++;
            }
        }
        return (xq, amax / 127.0);
    }

    private void Rope(float[] heads, int pos)
    {
        int hd = config.HeadDim, half = config.RopeDimensions / 2;
        for (int h = 0; h < heads.Length / hd; h++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = pos / Math.Pow(config.RopeFreqBase, 2.0 * i / config.RopeDimensions);
                int a = h * hd + (config.Rope == BitNative.Model.RopeStyle.NeoX ? i : 2 * i);
                int b = h * hd + (config.Rope == BitNative.Model.RopeStyle.NeoX ? i + half : 2 * i + 1);
                double x0 = heads[a], x1 = heads[b];
                heads[a] = (float)(x0 * Math.Cos(angle) - x1 * Math.Sin(angle));
                heads[b] = (float)(x0 * Math.Sin(angle) + x1 * Math.Cos(angle));
            }
        }
    }

    private float[] Attention(float[] q, int layer)
    {
        int hd = config.HeadDim, group = config.HeadCount / config.KvHeadCount;
        var output = new float[config.QueryDim];
        int seen = _keys[layer].Count;
        for (int h = 0; h < config.HeadCount; h++)
        {
            int kvh = h / group;
            var scores = new double[seen];
            for (int p = 0; p < seen; p++)
            {
                double s = 0;
                for (int j = 0; j < hd; j++)
                {
                    s += (double)q[h * hd + j] * _keys[layer][p][kvh * hd + j];
                }

                scores[p] = s / Math.Sqrt(hd);
            }

            double max = scores.Max(), sum = 0;
            for (int p = 0; p < seen; p++)
            {
                scores[p] = Math.Exp(scores[p] - max);
                sum += scores[p];
            }

            for (int j = 0; j < hd; j++)
            {
                double acc = 0;
                for (int p = 0; p < seen; p++)
                {
                    acc += scores[p] / sum * _values[layer][p][kvh * hd + j];
                }

                output[h * hd + j] = (float)acc;
            }
        }

        return output;
    }

    private static void Add(float[] x, float[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            x[i] += y[i];
        }
    }
}
