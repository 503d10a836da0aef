namespace BitNative.Kernels.Tests;

/// <summary>
/// Managed references of the decode-step operations, written from the numerics in bitnative.h: norms, gated
/// activations and RoPE with the same float expressions in the same order (the native variants must match bit for
/// bit); attention and the dense heads in double precision (the native variants must be within the documented
/// tolerances).
/// </summary>
internal static class DecodeReference
{
    /// <summary>Σ x² in 16 lanes (element j in lane j % 16), lanes combined by the halving tree.</summary>
    public static float SumSquares(ReadOnlySpan<float> x)
    {
        Span<float> lane = stackalloc float[16];
        lane.Clear();
        for (int j = 0; j < x.Length; j++)
        {
            lane[j % 16] += x[j] * x[j];
        }

        for (int width = 8; width >= 1; width /= 2)
        {
            for (int i = 0; i < width; i++)
            {
                lane[i] += lane[i + width];
            }
        }

        return lane[0];
    }

    /// <summary>y = (x · r) · w with r = 1 / sqrt(Σx² / k + eps); null when Σx² is not finite.</summary>
    public static float[]? RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, float eps)
    {
        float ss = SumSquares(x);
        if (!float.IsFinite(ss))
        {
            return null;
        }

        float r = 1.0f / MathF.Sqrt(ss / x.Length + eps);
        var y = new float[x.Length];
        for (int j = 0; j < x.Length; j++)
        {
            y[j] = x[j] * r * w[j];
        }

        return y;
    }

    /// <summary>exp as bitnative.h specifies it: Cephes' expf as plain float operations.</summary>
    public static float Exp(float x)
    {
        if (float.IsNaN(x))
        {
            return x;
        }

        if (x < -87.3365478515625f)
        {
            return 0f;
        }

        if (x > 88.3762626647949f)
        {
            return float.PositiveInfinity;
        }

        float n = MathF.Round(x * 1.44269504088896341f, MidpointRounding.ToEven);
        float r = x - n * 0.693359375f;
        r -= n * -2.12194440e-4f;
        float p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        float y = p * (r * r) + r + 1.0f;
        return y * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    public static float Glu(float g, float u, GateActivation activation)
    {
        if (activation == GateActivation.ReluSquared)
        {
            float a = g > 0f ? g : 0f;
            return a * a * u;
        }

        return g / (1.0f + Exp(-g)) * u;
    }

    /// <summary>
    /// Rotates the first ropeDims dimensions of every head of a row in place, from a table row (cos[half], sin[half]).
    /// </summary>
    public static void Rotate(Span<float> row, int headDim, int ropeDims, RotaryLayout layout, ReadOnlySpan<float> tableRow)
    {
        int half = ropeDims / 2;
        for (int h = 0; h < row.Length / headDim; h++)
        {
            Span<float> head = row.Slice(h * headDim, headDim);
            for (int i = 0; i < half; i++)
            {
                int a = layout == RotaryLayout.NeoX ? i : 2 * i, b = layout == RotaryLayout.NeoX ? i + half : 2 * i + 1;
                float x0 = head[a], x1 = head[b], c = tableRow[i], s = tableRow[half + i];
                head[a] = x0 * c - x1 * s;
                head[b] = x0 * s + x1 * c;
            }
        }
    }

    /// <summary>Textbook causal grouped-query attention in double precision over fp16 keys and values.</summary>
    public static double[] Attention(ReadOnlySpan<float> q, ReadOnlySpan<Half> keys, ReadOnlySpan<Half> values, int tokens, int heads,
        int kvHeads, int headDim, int position, float scale)
    {
        int kvDim = kvHeads * headDim, qDim = heads * headDim, group = heads / kvHeads;
        var output = new double[tokens * qDim];
        for (int t = 0; t < tokens; t++)
        {
            int seen = position + t + 1;
            var scores = new double[seen];
            for (int h = 0; h < heads; h++)
            {
                int kvh = h / group;
                double max = double.NegativeInfinity;
                for (int p = 0; p < seen; p++)
                {
                    double dot = 0;
                    for (int j = 0; j < headDim; j++)
                    {
                        dot += (double)q[t * qDim + h * headDim + j] * (double)keys[p * kvDim + kvh * headDim + j];
                    }

                    scores[p] = dot * scale;
                    max = Math.Max(max, scores[p]);
                }

                double z = 0;
                for (int p = 0; p < seen; p++)
                {
                    scores[p] = Math.Exp(scores[p] - max);
                    z += scores[p];
                }

                for (int j = 0; j < headDim; j++)
                {
                    double acc = 0;
                    for (int p = 0; p < seen; p++)
                    {
                        acc += scores[p] / z * (double)values[p * kvDim + kvh * headDim + j];
                    }

                    output[t * qDim + h * headDim + j] = acc;
                }
            }
        }

        return output;
    }
}
