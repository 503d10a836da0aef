using System.Numerics.Tensors;

namespace BitNative.Trainer.Ops;

/// <summary>
/// Causal grouped-query attention over B sequences of T tokens: query head h reads key/value head h / (H / Hkv).
/// q is [B·T, H·hd], k and v are [B·T, Hkv·hd], probabilities P are [B, H, T, T] (row t uses columns 0..t).
/// Work is split over (sequence, KV head) pairs, so the heads that share a KV head (and write the same dk, dv rows)
/// always run on one thread.
/// </summary>
internal sealed class Attention(int heads, int kvHeads, int headDim)
{
    private readonly int _group = heads / kvHeads;
    private readonly float _scale = 1.0f / MathF.Sqrt(headDim);

    public void Forward(ReadOnlyMemory<float> q, ReadOnlyMemory<float> k, ReadOnlyMemory<float> v, Memory<float> probs, Memory<float> output,
        int batch, int context) =>
        Rows.For(batch * kvHeads, (first, last) =>
        {
            int d = heads * headDim, kv = kvHeads * headDim;
            ReadOnlySpan<float> qs = q.Span, ks = k.Span, vs = v.Span;
            Span<float> ps = probs.Span, os = output.Span;
            for (int item = first; item < last; item++)
            {
                int b = item / kvHeads, kvh = item % kvHeads;
                for (int h = kvh * _group; h < (kvh + 1) * _group; h++)
                {
                    for (int t = 0; t < context; t++)
                    {
                        int row = b * context + t;
                        ReadOnlySpan<float> qt = qs.Slice(row * d + h * headDim, headDim);
                        Span<float> p = ps.Slice(((b * heads + h) * context + t) * context, t + 1);
                        for (int j = 0; j <= t; j++)
                        {
                            p[j] = TensorPrimitives.Dot(qt, ks.Slice((b * context + j) * kv + kvh * headDim, headDim)) * _scale;
                        }

                        float max = TensorPrimitives.Max<float>(p);
                        TensorPrimitives.Subtract(p, max, p);
                        TensorPrimitives.Exp(p, p);
                        TensorPrimitives.Multiply(p, 1f / TensorPrimitives.Sum<float>(p), p);

                        Span<float> o = os.Slice(row * d + h * headDim, headDim);
                        o.Clear();
                        for (int j = 0; j <= t; j++)
                        {
                            TensorPrimitives.MultiplyAdd(vs.Slice((b * context + j) * kv + kvh * headDim, headDim), p[j], o, o);
                        }
                    }
                }
            }
        });

    /// <summary>
    /// dv_j = Σ_t P[t,j] do_t; dS = P ⊙ (dP − Σ_j P dP) with dP[t,j] = do_t · v_j; dq_t = s Σ_j dS[t,j] k_j;
    /// dk_j = s Σ_t dS[t,j] q_t. dq is overwritten, dk and dv are overwritten.
    /// </summary>
    public void Backward(ReadOnlyMemory<float> dOut, ReadOnlyMemory<float> q, ReadOnlyMemory<float> k, ReadOnlyMemory<float> v,
        ReadOnlyMemory<float> probs, Memory<float> dq, Memory<float> dk, Memory<float> dv, int batch, int context) =>
        Rows.For(batch * kvHeads, (first, last) =>
        {
            int d = heads * headDim, kv = kvHeads * headDim;
            ReadOnlySpan<float> dos = dOut.Span, qs = q.Span, ks = k.Span, vs = v.Span, ps = probs.Span;
            Span<float> dqs = dq.Span, dks = dk.Span, dvs = dv.Span;
            float[] dp = new float[context];
            for (int item = first; item < last; item++)
            {
                int b = item / kvHeads, kvh = item % kvHeads;
                for (int t = 0; t < context; t++)
                {
                    dks.Slice((b * context + t) * kv + kvh * headDim, headDim).Clear();
                    dvs.Slice((b * context + t) * kv + kvh * headDim, headDim).Clear();
                }

                for (int h = kvh * _group; h < (kvh + 1) * _group; h++)
                {
                    for (int t = 0; t < context; t++)
                    {
                        int row = b * context + t;
                        ReadOnlySpan<float> dot = dos.Slice(row * d + h * headDim, headDim);
                        ReadOnlySpan<float> qt = qs.Slice(row * d + h * headDim, headDim);
                        ReadOnlySpan<float> p = ps.Slice(((b * heads + h) * context + t) * context, t + 1);
                        Span<float> dpt = dp.AsSpan(0, t + 1);
                        for (int j = 0; j <= t; j++)
                        {
                            int kvRow = (b * context + j) * kv + kvh * headDim;
                            dpt[j] = TensorPrimitives.Dot(dot, vs.Slice(kvRow, headDim));
                            Span<float> dvj = dvs.Slice(kvRow, headDim);
                            TensorPrimitives.MultiplyAdd(dot, p[j], dvj, dvj);
                        }

                        float sum = TensorPrimitives.Dot(p, dpt);
                        Span<float> dqt = dqs.Slice(row * d + h * headDim, headDim);
                        dqt.Clear();
                        for (int j = 0; j <= t; j++)
                        {
                            float ds = p[j] * (dpt[j] - sum) * _scale;
                            int kvRow = (b * context + j) * kv + kvh * headDim;
                            TensorPrimitives.MultiplyAdd(ks.Slice(kvRow, headDim), ds, dqt, dqt);
                            Span<float> dkj = dks.Slice(kvRow, headDim);
                            TensorPrimitives.MultiplyAdd(qt, ds, dkj, dkj);
                        }
                    }
                }
            }
        });
}
