using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>A projection y = W x for a batch of token rows; W has OutFeatures rows of InFeatures columns.</summary>
internal abstract class Linear
{
    protected Linear(string name, int outFeatures, int inFeatures)
    {
        Name = name;
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
    }

    /// <summary>The tensor name in the model file, for messages.</summary>
    public string Name { get; }

    public int OutFeatures { get; }

    public int InFeatures { get; }

    /// <summary>True if <see cref="Forward"/> reads the quantized activations; false if it reads the floats.</summary>
    public abstract bool TakesQuantizedInput { get; }

    /// <summary>Bytes of weight data read per token.</summary>
    public abstract long WeightBytes { get; }

    /// <summary>
    /// y[t, :] = W · x[t, :] for t in [0, tokens). x is tokens × InFeatures floats; xq/xScales are the same rows quantized
    /// (valid when <see cref="TakesQuantizedInput"/>); y is tokens × OutFeatures.
    /// </summary>
    public abstract void Forward(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int tokens,
        Span<float> y, KernelThreadPool? pool);
}

/// <summary>Ternary weights (I2_S or TQ2_0) × int8 activations through the native kernels.</summary>
internal sealed class TernaryLinear : Linear
{
    private readonly ReadOnlyMemory<byte> _packed;

    /// <param name="name">Tensor name.</param>
    /// <param name="format">I2S or Tq2 (TQ1 is repacked to TQ2 or I2S at load).</param>
    /// <param name="packed">OutFeatures rows of InFeatures packed weights.</param>
    /// <param name="scale">Multiplies the output: I2_S's tensor scale (times any extra scale), or TQ2's extra scale.</param>
    /// <param name="outFeatures">Rows.</param>
    /// <param name="inFeatures">Columns.</param>
    public TernaryLinear(string name, TernaryFormat format, ReadOnlyMemory<byte> packed, float scale, int outFeatures, int inFeatures)
        : base(name, outFeatures, inFeatures)
    {
        if (format == TernaryFormat.Tq1)
        {
            throw new ArgumentException("TQ1_0 weights are repacked before use.", nameof(format));
        }

        long need = WeightPacker.PackedBytes(format, outFeatures, inFeatures);
        if (packed.Length < need)
        {
            throw new InvalidDataException($"{name}: {packed.Length} bytes of {format} data, but {outFeatures}x{inFeatures} needs {need}.");
        }

        if (!float.IsFinite(scale))
        {
            throw new InvalidDataException($"{name}: the weight scale {scale} is not finite.");
        }

        Format = format;
        _packed = packed[..(int)need];
        Scale = scale;
    }

    public TernaryFormat Format { get; }

    public float Scale { get; }

    public ReadOnlyMemory<byte> Packed => _packed;

    public override bool TakesQuantizedInput => true;

    public override long WeightBytes => _packed.Length;

    public override void Forward(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int tokens,
        Span<float> y, KernelThreadPool? pool)
    {
        if (Format == TernaryFormat.I2S)
        {
            TernaryMatmul.I2S(_packed.Span, Scale, xq, xScales, OutFeatures, InFeatures, tokens, y, pool);
        }
        else
        {
            TernaryMatmul.Tq2(_packed.Span, Scale, xq, xScales, OutFeatures, InFeatures, tokens, y, pool);
        }
    }
}
