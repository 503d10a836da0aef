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

    /// <summary>
    /// Bits of the quantized activations <see cref="Forward"/> expects when <see cref="TakesQuantizedInput"/>: 8 (int8
    /// absmax), or 4 (BitNet a4.8 int4 absmean, values in [-8, 7]) for projections loaded with int4 inputs.
    /// </summary>
    public virtual int InputBits => 8;

    /// <summary>Bytes of weight data read per token.</summary>
    public abstract long WeightBytes { get; }

    /// <summary>
    /// y[t, :] = W · x[t, :] for t in [0, tokens). x is tokens × InFeatures floats; xq/xScales are the same rows quantized
    /// (valid when <see cref="TakesQuantizedInput"/>); y is tokens × OutFeatures.
    /// </summary>
    public abstract void Forward(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int tokens,
        Span<float> y, KernelThreadPool? pool);
}

/// <summary>
/// Ternary weights × quantized activations through the native kernels: multiply-add on I2_S / TQ2_0, or lookup tables on
/// the TL1 layout (<see cref="UsesLookupTables"/>).
/// </summary>
internal sealed class TernaryLinear : Linear
{
    private readonly ReadOnlyMemory<byte> _packed;
    private readonly int _inputBits;

    /// <summary>A multiply-add projection on a file layout.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="format">I2S or Tq2 (TQ1 is repacked to TQ2 or I2S at load).</param>
    /// <param name="packed">OutFeatures rows of InFeatures packed weights.</param>
    /// <param name="scale">Multiplies the output: I2_S's tensor scale (times any extra scale), or TQ2's extra scale.</param>
    /// <param name="outFeatures">Rows.</param>
    /// <param name="inFeatures">Columns.</param>
    /// <param name="inputBits">8, or 4 for int4 (BitNet a4.8) inputs, which the multiply-add kernels take unchanged.</param>
    public TernaryLinear(string name, TernaryFormat format, ReadOnlyMemory<byte> packed, float scale, int outFeatures, int inFeatures,
        int inputBits = 8)
        : base(name, outFeatures, inFeatures)
    {
        if (format == TernaryFormat.Tq1)
        {
            throw new ArgumentException("TQ1_0 weights are repacked before use.", nameof(format));
        }

        long need = WeightPacker.PackedBytes(format, outFeatures, inFeatures);
        _packed = Checked(name, packed, need, format.ToString(), outFeatures, inFeatures);
        Format = format;
        Scale = CheckedScale(name, scale);
        _inputBits = CheckedBits(inputBits);
    }

    private TernaryLinear(string name, ReadOnlyMemory<byte> tl1, float scale, int outFeatures, int inFeatures, int inputBits)
        : base(name, outFeatures, inFeatures)
    {
        _packed = Checked(name, tl1, LutMatmul.PackedBytes(outFeatures, inFeatures), "TL1", outFeatures, inFeatures);
        Format = TernaryFormat.I2S; // the math (one scale per tensor) of the layout it was repacked from
        Scale = CheckedScale(name, scale);
        _inputBits = CheckedBits(inputBits);
        UsesLookupTables = true;
    }

    /// <summary>A lookup-table projection on the TL1 layout (<see cref="LutMatmul"/>), with one scale per tensor.</summary>
    public static TernaryLinear LookupTable(string name, ReadOnlyMemory<byte> tl1, float scale, int outFeatures, int inFeatures, int inputBits) =>
        new(name, tl1, scale, outFeatures, inFeatures, inputBits);

    /// <summary>The file layout the multiply-add kernels read; I2S for a lookup-table projection (same math).</summary>
    public TernaryFormat Format { get; }

    /// <summary>True when the weights are in the TL1 layout and run on the lookup-table kernels.</summary>
    public bool UsesLookupTables { get; }

    public float Scale { get; }

    public ReadOnlyMemory<byte> Packed => _packed;

    public override bool TakesQuantizedInput => true;

    public override int InputBits => _inputBits;

    public override long WeightBytes => _packed.Length;

    public override void Forward(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int tokens,
        Span<float> y, KernelThreadPool? pool)
    {
        if (UsesLookupTables)
        {
            if (_inputBits == 4)
            {
                LutMatmul.Int4(_packed.Span, Scale, xq, xScales, OutFeatures, InFeatures, tokens, y, pool);
            }
            else
            {
                LutMatmul.Int8(_packed.Span, Scale, xq, xScales, OutFeatures, InFeatures, tokens, y, pool);
            }
        }
        else if (Format == TernaryFormat.I2S)
        {
            TernaryMatmul.I2S(_packed.Span, Scale, xq, xScales, OutFeatures, InFeatures, tokens, y, pool);
        }
        else
        {
            TernaryMatmul.Tq2(_packed.Span, Scale, xq, xScales, OutFeatures, InFeatures, tokens, y, pool);
        }
    }

    private static ReadOnlyMemory<byte> Checked(string name, ReadOnlyMemory<byte> packed, long need, string layout, int outFeatures, int inFeatures)
    {
        if (packed.Length < need)
        {
            throw new InvalidDataException($"{name}: {packed.Length} bytes of {layout} data, but {outFeatures}x{inFeatures} needs {need}.");
        }

        return packed[..(int)need];
    }

    private static float CheckedScale(string name, float scale) =>
        float.IsFinite(scale) ? scale : throw new InvalidDataException($"{name}: the weight scale {scale} is not finite.");

    private static int CheckedBits(int bits) =>
        bits is 8 or 4 ? bits : throw new ArgumentOutOfRangeException("inputBits", bits, "Activation bits must be 8 or 4.");
}
