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

    /// <summary>
    /// A per-column scale the matrix applies to its input rows before anything else: x ⊙ s, [InFeatures], or null.
    /// OneBit's W ≈ sign(W) ⊙ (a bᵀ) runs as the sign matrix (a in its block scales) over x ⊙ b.
    /// </summary>
    public float[]? InputScale { get; private init; }

    /// <summary>
    /// Columns of the input that a second, small matrix multiplies instead of this one (<see cref="SplitColumns"/>), or
    /// null: LLM.int8()'s outlier features in fp16 beside the int8 product, or BiLLM's salient columns binarized twice.
    /// </summary>
    public SplitColumns? Split { get; private init; }

    /// <summary>True when the matrix transforms its own input rows (<see cref="InputScale"/> or <see cref="Split"/>): it reads the floats.</summary>
    public bool HasInputTransform => InputScale is not null || Split is not null;

    /// <summary>Bytes of the side matrix's weights and the input scales, read per token beside <see cref="Bytes"/>.</summary>
    public long SideBytes => (Split?.Side.WeightBytes ?? 0) + (Split is null ? 0 : 4L * Split.Columns.Length) + 4L * (InputScale?.Length ?? 0);

    /// <summary>
    /// This matrix with an input transform: a column scale (OneBit) and / or split columns with their side matrix
    /// (LLM.int8(), BiLLM). Each split column index is in [0, InFeatures) or -1 (a padding column whose input is 0); the
    /// side matrix has the output rows of this one and one input column per entry.
    /// </summary>
    /// <exception cref="InvalidDataException">A length, an index or a scale does not fit, or the matrix already normalizes its own input.</exception>
    public WeightMatrix WithInputTransform(float[]? inputScale, SplitColumns? split)
    {
        if (InputNorm is not null || HasInputTransform)
        {
            throw new InvalidDataException($"{Name}: an input transform on a matrix that already transforms its input.");
        }

        if (inputScale is not null && (inputScale.Length != InFeatures || inputScale.Any(v => !float.IsFinite(v))))
        {
            throw new InvalidDataException($"{Name}: an input scale of {inputScale.Length} values for rows of {InFeatures} (all must be finite).");
        }

        if (split is not null)
        {
            if (split.Side.OutFeatures != OutFeatures || split.Side.InFeatures != split.Columns.Length || split.Side.HasInputTransform)
            {
                throw new InvalidDataException(
                    $"{Name}: the side matrix {split.Side.Name} is {split.Side.OutFeatures}x{split.Side.InFeatures}, but needs {OutFeatures}x{split.Columns.Length}.");
            }

            int bad = Array.FindIndex(split.Columns, c => c < -1 || c >= InFeatures);
            if (bad >= 0)
            {
                throw new InvalidDataException($"{Name}: split column {bad} is {split.Columns[bad]}, outside [-1, {InFeatures}).");
            }
        }

        return new WeightMatrix(Name, Type, Bytes, Scale, OutFeatures, InFeatures, Input)
        {
            Variants = Variants,
            InputScale = inputScale,
            Split = split,
        };
    }

    /// <summary>True if <see cref="Forward"/> reads the quantized activations; false if it reads the floats.</summary>
    public bool TakesQuantizedInput => Input != ActivationType.F32;

    /// <summary>Bits of the quantized activations <see cref="Forward"/> expects: 4 for int4 (values in [-8, 7]), else 8.</summary>
    public int InputBits => Input == ActivationType.Int4 ? 4 : 8;

    /// <summary>Bytes of weight data read per token (with a split's side matrix and an input scale).</summary>
    public long WeightBytes => Bytes.Length + SideBytes;

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

/// <summary>
/// The columns of a matrix's input that a side matrix multiplies: y = W · x_rest + Side · x[Columns], where x_rest is x
/// with those columns zeroed (so they leave the main product, and, for quantized rows, its per-row absmax). An index may
/// repeat (BiLLM lists its salient columns twice: sign and residual sign) and -1 pads the side matrix to whole blocks.
/// </summary>
/// <param name="Columns">One input column index (or -1) per column of <paramref name="Side"/>.</param>
/// <param name="Side">[OutFeatures, Columns.Length], any type with a kernel.</param>
internal sealed record SplitColumns(int[] Columns, WeightMatrix Side)
{
    /// <summary>The distinct real columns, ascending: the ones zeroed in the main product's input.</summary>
    public int[] Excluded { get; } = Columns.Where(c => c >= 0).Distinct().Order().ToArray();
}

/// <summary>An RMSNorm of a matrix's own input rows: y = x / sqrt(mean(x²) + <paramref name="Epsilon"/>) · <paramref name="Weight"/>.</summary>
/// <param name="Weight">[InFeatures].</param>
/// <param name="Epsilon">Added to the mean square.</param>
internal sealed record InputRmsNorm(float[] Weight, float Epsilon);
