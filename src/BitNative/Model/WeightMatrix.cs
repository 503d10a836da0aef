using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>
/// A weight matrix of <see cref="OutFeatures"/> rows by <see cref="InFeatures"/> columns (y = W x for a batch of token
/// rows): how it is stored (<see cref="Type"/>, <see cref="Bytes"/>), the scale its outputs take, the activations it
/// reads, and which kernel variant runs it. One class for every projection and head: the weight type is the only key.
/// </summary>
internal sealed class WeightMatrix
{
    private readonly InputRmsNorm? _inputNorm;

    /// <param name="name">The tensor name in the model file, for messages.</param>
    /// <param name="type">How the weights are stored.</param>
    /// <param name="bytes">At least <see cref="WeightTypes.Bytes"/> bytes of them (a file's trailer may follow; it is cut off).</param>
    /// <param name="scale">Multiplies every output: a ternary tensor's scale (times any extra scale), or 1.</param>
    /// <param name="outFeatures">Rows.</param>
    /// <param name="inFeatures">Columns.</param>
    /// <param name="input">The activations it reads: floats, int8, or int4 (BitNet a4.8) rows.</param>
    /// <exception cref="InvalidDataException">The bytes are too few for the shape, the scale is not finite, or no kernel pairs the type with the input.</exception>
    public WeightMatrix(string name, WeightType type, ReadOnlyMemory<byte> bytes, float scale, int outFeatures, int inFeatures,
        ActivationType input)
    {
        WeightTypeInfo info = WeightTypes.Info(type);
        if (inFeatures % info.BlockWeights != 0)
        {
            throw new InvalidDataException($"{name}: rows of {inFeatures} weights do not fit {info.Name}'s {info.BlockWeights}-weight blocks.");
        }

        long need = WeightTypes.Bytes(type, outFeatures, inFeatures);
        if (bytes.Length < need)
        {
            throw new InvalidDataException($"{name}: {bytes.Length} bytes of {info.Name} data, but {outFeatures}x{inFeatures} needs {need}.");
        }

        if (!float.IsFinite(scale))
        {
            throw new InvalidDataException($"{name}: the weight scale {scale} is not finite.");
        }

        if (!Matmul.IsSupported(type, input, Isa.Reference))
        {
            throw new InvalidDataException($"{name}: {info.Name} weights cannot take {input} activations.");
        }

        Name = name;
        Type = type;
        Bytes = bytes[..(int)need];
        Scale = scale;
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        Input = input;
    }

    public string Name { get; }

    public WeightType Type { get; }

    /// <summary>Exactly the matrix's bytes.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    public float Scale { get; }

    public int OutFeatures { get; }

    public int InFeatures { get; }

    public ActivationType Input { get; }

    /// <summary>
    /// The kernel variants chosen for this matrix (one token, and a batch), or null to run the library's active ISA.
    /// Set by the load-time plan; variants it chooses between give identical results.
    /// </summary>
    public KernelVariants? Variants { get; init; }

    /// <summary>
    /// An RMSNorm the matrix applies to its own input rows before quantizing them, or null. transformers' BitLinear and
    /// AutoBitLinear with quantization_config.use_rms_norm each normalize their input with their own weight
    /// (<c>&lt;module&gt;.rms_norm.weight</c>) and eps (integrations/bitnet.py), so Q, K and V read differently quantized
    /// rows; the Transformer runs this norm (fused with the quantization) on the block's float rows for this matrix alone.
    /// </summary>
    /// <exception cref="InvalidDataException">The weight does not match the rows, the eps is not a positive number, or the matrix reads floats.</exception>
    public InputRmsNorm? InputNorm
    {
        get => _inputNorm;
        init
        {
            if (value is not null && (value.Weight.Length != InFeatures || !(value.Epsilon > 0) || !float.IsFinite(value.Epsilon)))
            {
                throw new InvalidDataException(
                    $"{Name}: an input norm of {value.Weight.Length} values with eps {value.Epsilon} for rows of {InFeatures}.");
            }

            if (value is not null && !TakesQuantizedInput)
            {
                throw new InvalidDataException($"{Name}: reads float rows; only a matrix over quantized rows normalizes its own input.");
            }

            _inputNorm = value;
        }
    }

    /// <summary>True if <see cref="Forward"/> reads the quantized activations; false if it reads the floats.</summary>
    public bool TakesQuantizedInput => Input != ActivationType.F32;

    /// <summary>Bits of the quantized activations <see cref="Forward"/> expects: 4 for int4 (values in [-8, 7]), else 8.</summary>
    public int InputBits => Input == ActivationType.Int4 ? 4 : 8;

    /// <summary>Bytes of weight data read per token.</summary>
    public long WeightBytes => Bytes.Length;

    /// <summary>
    /// y[t, :] = W · x[t, :] · Scale for t in [0, tokens). x is tokens × InFeatures floats; xq/xScales are the same rows
    /// quantized as <see cref="Input"/> says, after <see cref="InputNorm"/> when there is one (read when
    /// <see cref="TakesQuantizedInput"/>); y is tokens × OutFeatures.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int tokens,
        Span<float> y, KernelThreadPool? pool)
    {
        Isa isa = Variants is { } v ? (tokens == 1 ? v.Gemv : v.Gemm) : KernelDispatch.ActiveIsa;
        if (TakesQuantizedInput)
        {
            Matmul.Quantized(Type, Input, isa, Bytes.Span, Scale, xq, xScales, OutFeatures, InFeatures, tokens, y, pool);
        }
        else
        {
            Matmul.Float(Type, isa, Bytes.Span, Scale, x, OutFeatures, InFeatures, tokens, y, pool);
        }
    }
}

/// <summary>The ISA a matrix runs with for one token (<paramref name="Gemv"/>) and for a batch (<paramref name="Gemm"/>).</summary>
internal sealed record KernelVariants(Isa Gemv, Isa Gemm);

/// <summary>An RMSNorm of a matrix's own input rows: y = x / sqrt(mean(x²) + <paramref name="Epsilon"/>) · <paramref name="Weight"/>.</summary>
/// <param name="Weight">[InFeatures].</param>
/// <param name="Epsilon">Added to the mean square.</param>
internal sealed record InputRmsNorm(float[] Weight, float Epsilon);
