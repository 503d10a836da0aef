using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>
/// An 8-bit projection: ggml Q8_0 weights (per 32 weights an fp16 scale and 32 int8 values) times per-row int8
/// activations, through the native kernel. The 8-bit output head: half the bytes per token of an F16 head.
/// </summary>
internal sealed class Q8Linear : Linear
{
    private readonly ReadOnlyMemory<byte> _blocks;

    public Q8Linear(string name, ReadOnlyMemory<byte> blocks, int outFeatures, int inFeatures)
        : base(name, outFeatures, inFeatures)
    {
        if (inFeatures % DenseMatmul.Q8_0BlockValues != 0)
        {
            throw new InvalidDataException($"{name}: rows of {inFeatures} values do not fit Q8_0's {DenseMatmul.Q8_0BlockValues}-value blocks.");
        }

        long need = DenseMatmul.Q8_0Bytes(outFeatures, inFeatures);
        if (blocks.Length < need)
        {
            throw new InvalidDataException($"{name}: {blocks.Length} bytes of Q8_0 data, but {outFeatures}x{inFeatures} needs {need}.");
        }

        _blocks = blocks[..(int)need];
    }

    public override bool TakesQuantizedInput => true;

    public override long WeightBytes => _blocks.Length;

    public override void Forward(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int tokens,
        Span<float> y, KernelThreadPool? pool) =>
        DenseMatmul.Q8_0(_blocks.Span, xq, xScales, OutFeatures, InFeatures, tokens, y, pool);
}
