using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using BitNative.Formats.Gguf;
using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>
/// Builds the output head ([d -> vocab]) in the precision <see cref="ModelLoadOptions.OutputHead"/> asks for: F16 and
/// Q8_0 tensors are used in place when they already have it, anything else is converted once at load.
/// </summary>
internal static class OutputHeads
{
    /// <summary>
    /// True when a head stored as <paramref name="type"/> runs on its stored bytes at <paramref name="precision"/> (F16 unless
    /// 8 bits are asked for; Q8_0 unless F16 is, and its rows fit the blocks; F32 as stored only for Auto); false when it
    /// is converted at load.
    /// </summary>
    public static bool UsesStoredBytes(GgmlType type, OutputHeadPrecision precision, int d) => type switch
    {
        GgmlType.F16 => precision != OutputHeadPrecision.Int8,
        GgmlType.Q8_0 => precision != OutputHeadPrecision.F16 && d % BlockDecoding.Q8_0Block == 0,
        GgmlType.F32 => precision == OutputHeadPrecision.Auto,
        _ => false,
    };

    /// <summary>A head stored as F16 rows (a file's tensor, or one converted at load).</summary>
    public static Linear FromF16(string name, ReadOnlyMemory<byte> data, int vocab, int d, OutputHeadPrecision precision,
        ResourceOwner owner)
    {
        if (UsesStoredBytes(GgmlType.F16, precision, d))
        {
            return new DenseLinear(name, DenseType.F16, data, vocab, d);
        }

        return FromRows(name, (r, row) => TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(data.Span).Slice(r * d, d), row),
            vocab, d, precision, owner);
    }

    /// <summary>A head stored as Q8_0 blocks: used in place unless F16 is asked for.</summary>
    public static Linear FromQ8_0(string name, ReadOnlyMemory<byte> data, int vocab, int d, OutputHeadPrecision precision,
        ResourceOwner owner)
    {
        if (UsesStoredBytes(GgmlType.Q8_0, precision, d))
        {
            return new Q8Linear(name, data, vocab, d);
        }

        long rowBytes = RowCodec.Q8_0.RowBytes(d);
        return FromRows(name, (r, row) => BlockDecoding.Q8_0(data.Span.Slice((int)(r * rowBytes), (int)rowBytes), row), vocab, d,
            OutputHeadPrecision.F16, owner);
    }

    /// <summary>
    /// A head converted row by row at load: to Q8_0 for <see cref="OutputHeadPrecision.Int8"/> (when rows fit its
    /// 32-value blocks), to F16 otherwise.
    /// </summary>
    public static Linear FromRows(string name, ReadRow readRow, int vocab, int d, OutputHeadPrecision precision, ResourceOwner owner)
    {
        var row = new float[d];
        if (precision == OutputHeadPrecision.Int8 && d % BlockDecoding.Q8_0Block == 0)
        {
            long rowBytes = RowCodec.Q8_0.RowBytes(d);
            var q8 = owner.Track(new NativeBuffer<byte>(checked((int)(rowBytes * vocab))));
            Span<byte> blocks = q8.GetSpan();
            for (int r = 0; r < vocab; r++)
            {
                readRow(r, row);
                BlockDecoding.EncodeQ8_0(row, blocks.Slice((int)(r * rowBytes), (int)rowBytes));
            }

            return new Q8Linear(name, q8.Memory, vocab, d);
        }

        var f16 = owner.Track(new NativeBuffer<byte>(checked(vocab * d * 2)));
        Span<Half> halves = MemoryMarshal.Cast<byte, Half>(f16.GetSpan());
        for (int r = 0; r < vocab; r++)
        {
            readRow(r, row);
            TensorPrimitives.ConvertToHalf(row, halves.Slice(r * d, d));
        }

        return new DenseLinear(name, DenseType.F16, f16.Memory, vocab, d);
    }

    /// <summary>Decodes row <c>r</c> of a head into the span.</summary>
    public delegate void ReadRow(int r, Span<float> row);
}
