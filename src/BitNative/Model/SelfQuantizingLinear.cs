using System.Buffers;
using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>
/// A projection over quantized activations that prepares its own input from the float rows it is given, instead of
/// sharing the one quantized input the Transformer prepares for Q/K/V (or gate/up). Needed where that sharing would
/// be wrong:
/// <list type="bullet">
/// <item>transformers' BitLinear / AutoBitLinear with <c>use_rms_norm</c>: each module RMS-normalizes its own input
/// with its own weight and eps, then quantizes it (integrations/bitnet.py, forward), so Q, K and V see different
/// quantized inputs;</item>
/// <item>a group whose members do not all read the same quantized input: a converted projection next to an unconverted
/// full-precision one (modules_to_not_convert), or next to a dense weight over int8 activations.</item>
/// </list>
/// The normalization + quantization is the same native kernel the Transformer uses (int8 absmax per token, or int4 when
/// the inner projection was loaded with int4 inputs).
/// </summary>
internal sealed class SelfQuantizingLinear : Linear
{
    /// <param name="inner">A projection that takes quantized input.</param>
    /// <param name="inputNorm">RMSNorm weight applied to the input first ([InFeatures]), or null for none.</param>
    /// <param name="inputNormEps">Epsilon of that norm.</param>
    public SelfQuantizingLinear(Linear inner, float[]? inputNorm, float inputNormEps)
        : base(inner.Name, inner.OutFeatures, inner.InFeatures)
    {
        if (!inner.TakesQuantizedInput)
        {
            throw new ArgumentException($"{inner.Name} reads float input; it needs no quantizing wrapper.", nameof(inner));
        }

        if (inputNorm is not null && (inputNorm.Length != inner.InFeatures || !(inputNormEps > 0)))
        {
            throw new InvalidDataException(
                $"{inner.Name}: an input norm of {inputNorm.Length} values with eps {inputNormEps} for rows of {inner.InFeatures}.");
        }

        Inner = inner;
        InputNorm = inputNorm;
        InputNormEps = inputNormEps;
    }

    /// <summary>The projection that runs on the quantized rows.</summary>
    public Linear Inner { get; }

    /// <summary>[InFeatures] RMSNorm weight of this projection's own input, or null.</summary>
    public float[]? InputNorm { get; }

    public float InputNormEps { get; }

    public override bool TakesQuantizedInput => false;

    public override long WeightBytes => Inner.WeightBytes;

    /// <summary>The same input preparation around another inner projection (e.g. the inner one repacked for other kernels).</summary>
    public SelfQuantizingLinear With(Linear inner) => new(inner, InputNorm, InputNormEps);

    /// <summary>The projection that holds the weights: the inner one of a wrapper, else <paramref name="linear"/> itself.</summary>
    public static Linear Unwrap(Linear linear) => linear is SelfQuantizingLinear s ? s.Inner : linear;

    /// <summary>
    /// Projections that read one prepared input (Q/K/V, or gate/up): unchanged when all are ternary projections on the
    /// shared quantized input (the fast path, one quantization for the group) or all read floats; otherwise every member
    /// that takes quantized input gets its own, so no member reads an input prepared for another.
    /// </summary>
    public static Linear[] ForSharedInput(params Linear[] group)
    {
        if (group.All(l => l is TernaryLinear) || group.All(l => !l.TakesQuantizedInput))
        {
            return group;
        }

        return group.Select(l => l.TakesQuantizedInput ? new SelfQuantizingLinear(l, null, 0f) : l).ToArray();
    }

    public override void Forward(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int tokens,
        Span<float> y, KernelThreadPool? pool)
    {
        int count = tokens * InFeatures;
        ReadOnlySpan<float> rows = x[..count];
        // Pooled buffers: the weights are shared by concurrent sessions, so the scratch cannot live in this object.
        sbyte[] quantized = ArrayPool<sbyte>.Shared.Rent(count);
        float[] scales = ArrayPool<float>.Shared.Rent(tokens);
        try
        {
            Span<sbyte> q = quantized.AsSpan(0, count);
            Span<float> s = scales.AsSpan(0, tokens);
            bool int4 = Inner.InputBits == 4;
            if (InputNorm is not null)
            {
                if (int4)
                {
                    Norms.RmsNormInt4(rows, InputNorm, InputNormEps, tokens, InFeatures, q, s, pool);
                }
                else
                {
                    Norms.RmsNormInt8(rows, InputNorm, InputNormEps, tokens, InFeatures, q, s, pool);
                }
            }
            else if (int4)
            {
                ActivationQuantizer.QuantizeInt4(rows, tokens, InFeatures, q, s, pool);
            }
            else
            {
                ActivationQuantizer.QuantizeInt8(rows, tokens, InFeatures, q, s, pool);
            }

            Inner.Forward(rows, q, s, tokens, y, pool);
        }
        finally
        {
            ArrayPool<sbyte>.Shared.Return(quantized);
            ArrayPool<float>.Shared.Return(scales);
        }
    }
}
