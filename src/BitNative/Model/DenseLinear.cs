using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>Element type of a dense (not ternary) weight matrix.</summary>
internal enum DenseType
{
    F32,
    F16,
}

/// <summary>
/// A full-precision projection (F16 or F32 rows) over float activations: the F16 output head (native F16C / NEON
/// kernel, threaded over output rows) or a LLaMA baseline's projections.
/// </summary>
internal sealed class DenseLinear : Linear
{
    private readonly ReadOnlyMemory<byte> _data;
    private readonly int _rowBytes;

    public DenseLinear(string name, DenseType type, ReadOnlyMemory<byte> data, int outFeatures, int inFeatures)
        : base(name, outFeatures, inFeatures)
    {
        Type = type;
        _rowBytes = inFeatures * (type == DenseType.F32 ? 4 : 2);
        long need = (long)_rowBytes * outFeatures;
        if (data.Length < need)
        {
            throw new InvalidDataException($"{name}: {data.Length} bytes of {type} data, but {outFeatures}x{inFeatures} needs {need}.");
        }

        _data = data[..(int)need];
    }

    public DenseType Type { get; }

    public override bool TakesQuantizedInput => false;

    public override long WeightBytes => _data.Length;

    /// <summary>Row i of the matrix as floats.</summary>
    public void ReadRow(int row, Span<float> destination)
    {
        ReadOnlySpan<byte> bytes = _data.Span.Slice(row * _rowBytes, _rowBytes);
        if (Type == DenseType.F32)
        {
            MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
        }
        else
        {
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes), destination);
        }
    }

    public override void Forward(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int tokens,
        Span<float> y, KernelThreadPool? pool)
    {
        if (Type == DenseType.F16)
        {
            DenseMatmul.F16(MemoryMarshal.Cast<byte, Half>(_data.Span), x, OutFeatures, InFeatures, tokens, y, pool);
            return;
        }

        // F32 weights only come from LLaMA baselines converted from other encodings: plain vectorized dot products.
        ReadOnlySpan<float> w = MemoryMarshal.Cast<byte, float>(_data.Span);
        for (int i = 0; i < OutFeatures; i++)
        {
            ReadOnlySpan<float> row = w.Slice(i * InFeatures, InFeatures);
            for (int t = 0; t < tokens; t++)
            {
                y[t * OutFeatures + i] = TensorPrimitives.Dot(row, x.Slice(t * InFeatures, InFeatures));
            }
        }
    }
}
