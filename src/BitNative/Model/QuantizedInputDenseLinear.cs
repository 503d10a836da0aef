using System.Buffers;
using System.Numerics.Tensors;
using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>
/// Float weights over int8 activations: y[t] = scale · s_x[t] · (W · xq[t]). transformers' AutoBitLinear in
/// quantization_mode "offline" uses its nn.Linear weight as loaded (only a packed uint8 weight is unpacked first) and
/// quantizes only the activations (ActQuant, int8 absmax per token), then multiplies by weight_scale; a checkpoint that
/// stores such weights as floats which are not one scale times ternary values runs exactly so here. Managed dot
/// products: no kernel pairs float weights with int8 activations, and such checkpoints are rare enough that exactness,
/// not speed, is the point.
/// </summary>
internal sealed class QuantizedInputDenseLinear : Linear
{
    private readonly float[] _weights; // [OutFeatures, InFeatures]

    public QuantizedInputDenseLinear(string name, float[] weights, float scale, int outFeatures, int inFeatures)
        : base(name, outFeatures, inFeatures)
    {
        if (weights.Length != (long)outFeatures * inFeatures)
        {
            throw new InvalidDataException($"{name}: {weights.Length} weights for a {outFeatures}x{inFeatures} matrix.");
        }

        if (!float.IsFinite(scale))
        {
            throw new InvalidDataException($"{name}: the weight scale {scale} is not finite.");
        }

        _weights = weights;
        Scale = scale;
    }

    /// <summary>Multiplies every output (the checkpoint's weight_scale).</summary>
    public float Scale { get; }

    public override bool TakesQuantizedInput => true;

    public override long WeightBytes => (long)_weights.Length * sizeof(float);

    public override void Forward(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int tokens,
        Span<float> y, KernelThreadPool? pool)
    {
        int k = InFeatures, n = OutFeatures;
        float[] row = ArrayPool<float>.Shared.Rent(k);
        try
        {
            Span<float> input = row.AsSpan(0, k);
            for (int t = 0; t < tokens; t++)
            {
                ReadOnlySpan<sbyte> codes = xq.Slice(t * k, k);
                for (int j = 0; j < k; j++)
                {
                    input[j] = codes[j];
                }

                float outputScale = Scale * xScales[t];
                for (int i = 0; i < n; i++)
                {
                    y[t * n + i] = TensorPrimitives.Dot(_weights.AsSpan(i * k, k), input) * outputScale;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(row);
        }
    }
}
