using System.Runtime.InteropServices;
using System.Numerics.Tensors;
using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>
/// Builds the output head ([d -> vocab]) in the precision <see cref="ModelLoadOptions.OutputHead"/> asks for: a tensor
/// whose type has a kernel runs on its stored bytes unless another precision is asked for; anything else is converted
/// once at load (to Q8_0 for 8 bits, else F16).
/// </summary>
internal static class OutputHeads
{
    /// <summary>
    /// True when a head stored as <paramref name="type"/> runs on its stored bytes at <paramref name="precision"/>: with
    /// Auto, any dense type with a kernel whose blocks fit rows of <paramref name="d"/>; with F16, only F16; with Int8,
    /// only Q8_0. Adding a weight type with a kernel makes its heads run in place without a change here.
    /// </summary>
    public static bool UsesStoredBytes(WeightType type, OutputHeadPrecision precision, int d)
    {
        WeightTypeInfo info = WeightTypes.Info(type);
        bool runnable = !info.IsTernary && d % info.BlockWeights == 0 && Matmul.IsSupported(type, info.Activation, Isa.Reference);
        return runnable && precision switch
        {
            OutputHeadPrecision.F16 => type == WeightType.F16,
            OutputHeadPrecision.Int8 => type == WeightType.Q8_0,
            _ => true,
        };
    }

    /// <summary>A head on its stored bytes (see <see cref="UsesStoredBytes"/>).</summary>
    public static WeightMatrix Stored(string name, WeightType type, ReadOnlyMemory<byte> data, int vocab, int d) =>
        new(name, type, data, 1f, vocab, d, WeightTypes.Info(type).Activation);

    /// <summary>
    /// A head converted row by row at load: to Q8_0 for <see cref="OutputHeadPrecision.Int8"/> (when rows fit its blocks),
    /// to F16 otherwise.
    /// </summary>
    public static WeightMatrix FromRows(string name, ReadRow readRow, int vocab, int d, OutputHeadPrecision precision, ResourceOwner owner)
    {
        var row = new float[d];
        WeightType type = precision == OutputHeadPrecision.Int8 && d % WeightTypes.Info(WeightType.Q8_0).BlockWeights == 0
            ? WeightType.Q8_0
            : WeightType.F16;
        long rowBytes = WeightTypes.Bytes(type, 1, d);
        var buffer = owner.Track(new NativeBuffer<byte>(checked((int)(rowBytes * vocab))));
        Span<byte> rows = buffer.GetSpan();
        for (int r = 0; r < vocab; r++)
        {
            readRow(r, row);
            Span<byte> target = rows.Slice((int)(r * rowBytes), (int)rowBytes);
            if (type == WeightType.Q8_0)
            {
                BlockDequantization.EncodeQ8_0(row, target);
            }
            else
            {
                TensorPrimitives.ConvertToHalf(row, MemoryMarshal.Cast<byte, Half>(target));
            }
        }

        return Stored(name, type, buffer.Memory, vocab, d);
    }

    /// <summary>Dequantizes row <c>r</c> of a head into the span.</summary>
    public delegate void ReadRow(int r, Span<float> row);
}
