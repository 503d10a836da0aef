namespace BitNative.Trainer.Ops;

/// <summary>
/// The projection inputs: in ternary mode the engine's int8 absmax rule per token (row), s = 127 / max(max|x|, 1e-5),
/// q = round_half_even(clamp(x·s, −128, 127)), kept as float-valued integers with the row scale amax/127; in float
/// mode the values themselves with scale 1. <see cref="Dequantize"/> gives x̂ = q · scale for the weight gradient.
/// </summary>
internal static class ActivationQuant
{
    public static void Apply(QuantMode mode, ReadOnlyMemory<float> x, int rows, int width, Memory<float> xq, Memory<float> rowScale) =>
        Rows.For(rows, (first, last) =>
        {
            ReadOnlySpan<float> xs = x.Span;
            Span<float> qs = xq.Span, ss = rowScale.Span;
            for (int t = first; t < last; t++)
            {
                ReadOnlySpan<float> row = xs.Slice(t * width, width);
                Span<float> q = qs.Slice(t * width, width);
                if (mode == QuantMode.Float)
                {
                    row.CopyTo(q);
                    ss[t] = 1f;
                    continue;
                }

                float amax = MathF.Max(MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(row)), 1e-5f);
                float s = 127.0f / amax;
                for (int j = 0; j < width; j++)
                {
                    q[j] = MathF.Round(Math.Clamp(row[j] * s, -128f, 127f), MidpointRounding.ToEven);
                }

                ss[t] = amax / 127.0f;
            }
        });

    public static void Dequantize(ReadOnlyMemory<float> xq, ReadOnlyMemory<float> rowScale, int rows, int width, Memory<float> x) =>
        Rows.For(rows, (first, last) =>
        {
            for (int t = first; t < last; t++)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(xq.Span.Slice(t * width, width), rowScale.Span[t], x.Span.Slice(t * width, width));
            }
        });

    /// <summary>
    /// BitNet a4.8's int4 rule for evaluation (never trained with here): the engine's own kernel
    /// (<see cref="BitNative.Kernels.ActivationQuantizer.QuantizeInt4(ReadOnlySpan{float}, int, int, Span{sbyte}, Span{float})"/>: β = mean|x|, s = √7 / max(β, 1e-5),
    /// q = round_half_even(clamp(x·s, −8, 7))), so the simulated mode is the engine's rule bit for bit.
    /// </summary>
    /// <summary>
    /// a4.8's top-K of the int8 codes of each row (float-valued integers), with the engine's kernel
    /// (<see cref="BitNative.Kernels.ActivationTransforms.TopK"/>): the <paramref name="keep"/> largest |q| stay, ties to
    /// the lower columns, the rest become 0. The row scales are unchanged.
    /// </summary>
    public static void TopK(float[] xq, int rows, int width, int keep)
    {
        var q = new sbyte[rows * width];
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = (sbyte)xq[i];
        }

        BitNative.Kernels.ActivationTransforms.TopK(q, rows, width, keep, null);
        for (int i = 0; i < q.Length; i++)
        {
            xq[i] = q[i];
        }
    }

    public static void ApplyInt4(ReadOnlyMemory<float> x, int rows, int width, Memory<float> xq, Memory<float> rowScale)
    {
        var q = new sbyte[rows * width];
        BitNative.Kernels.ActivationQuantizer.QuantizeInt4(x.Span[..(rows * width)], rows, width, q, rowScale.Span[..rows]);
        Span<float> qs = xq.Span;
        for (int i = 0; i < q.Length; i++)
        {
            qs[i] = q[i];
        }
    }
}
