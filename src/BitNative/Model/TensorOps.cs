using System.Numerics.Tensors;

namespace BitNative.Model;

/// <summary>The non-matmul steps of a transformer block on float rows (vectorized through TensorPrimitives).</summary>
internal static class TensorOps
{
    /// <summary>y = x / sqrt(mean(x²) + eps) · w.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        float meanSquare = TensorPrimitives.SumOfSquares(x) / x.Length;
        float scale = 1.0f / MathF.Sqrt(meanSquare + eps);
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Multiply(y, weight, y);
    }

    /// <summary>Applies RMSNorm to each of <paramref name="rows"/> rows of <paramref name="width"/> values.</summary>
    public static void RmsNormRows(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, int rows, int width, Span<float> y)
    {
        for (int t = 0; t < rows; t++)
        {
            RmsNorm(x.Slice(t * width, width), weight, eps, y.Slice(t * width, width));
        }
    }

    /// <summary>Softmax in place.</summary>
    public static void Softmax(Span<float> x)
    {
        float max = TensorPrimitives.Max<float>(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        float sum = TensorPrimitives.Sum<float>(x);
        TensorPrimitives.Multiply(x, 1.0f / sum, x);
    }

    /// <summary>gate = act(gate) · up, elementwise (the gated FFN's hidden layer).</summary>
    public static void GatedActivation(FeedForwardActivation activation, Span<float> gate, ReadOnlySpan<float> up)
    {
        if (activation == FeedForwardActivation.SquaredRelu)
        {
            TensorPrimitives.Max(gate, 0f, gate);
            TensorPrimitives.Multiply(gate, gate, gate);
        }
        else
        {
            // silu(g) = g · sigmoid(g)
            for (int i = 0; i < gate.Length; i++)
            {
                float g = gate[i];
                gate[i] = g / (1.0f + MathF.Exp(-g));
            }
        }

        TensorPrimitives.Multiply(gate, up, gate);
    }
}

/// <summary>Rotary position embedding with precomputed inverse frequencies.</summary>
internal sealed class Rope
{
    private readonly float[] _inverseFrequency;
    private readonly RopeStyle _style;
    private readonly int _headDim;

    public Rope(ModelConfig config)
    {
        _style = config.Rope;
        _headDim = config.HeadDim;
        int pairs = config.RopeDimensions / 2;
        _inverseFrequency = new float[pairs];
        for (int i = 0; i < pairs; i++)
        {
            _inverseFrequency[i] = (float)(1.0 / Math.Pow(config.RopeFreqBase, 2.0 * i / config.RopeDimensions));
        }
    }

    /// <summary>Rotates every head of <paramref name="heads"/> (heads × headDim values) for <paramref name="position"/>.</summary>
    public void Apply(Span<float> heads, int position)
    {
        int pairs = _inverseFrequency.Length;
        for (int h = 0; h < heads.Length / _headDim; h++)
        {
            Span<float> head = heads.Slice(h * _headDim, _headDim);
            for (int i = 0; i < pairs; i++)
            {
                float angle = position * _inverseFrequency[i];
                float cos = MathF.Cos(angle), sin = MathF.Sin(angle);
                int a = _style == RopeStyle.NeoX ? i : 2 * i;
                int b = _style == RopeStyle.NeoX ? i + pairs : 2 * i + 1;
                float x0 = head[a], x1 = head[b];
                head[a] = x0 * cos - x1 * sin;
                head[b] = x0 * sin + x1 * cos;
            }
        }
    }
}
