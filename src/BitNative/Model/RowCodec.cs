namespace BitNative.Model;

/// <summary>Float and block-quantized row encodings a model's embedding and head tensors can use.</summary>
internal enum RowCodec
{
    F32,
    F16,
    BF16,
    Q8_0,
    Q4_0,
    Q6_K,
    Q4_K,
    Q5_K,
}

internal static class RowCodecs
{
    /// <summary>Values per block of the encoding (a row length must be a multiple).</summary>
    public static int BlockValues(this RowCodec codec) => codec switch
    {
        RowCodec.Q8_0 => BlockDequantization.Q8_0Block,
        RowCodec.Q4_0 => BlockDequantization.Q4_0Block,
        RowCodec.Q6_K => BlockDequantization.Q6_KBlock,
        RowCodec.Q4_K or RowCodec.Q5_K => BlockDequantization.QK_KBlock,
        _ => 1,
    };

    /// <summary>Bytes of one row of <paramref name="values"/> values.</summary>
    public static long RowBytes(this RowCodec codec, int values) => codec switch
    {
        RowCodec.F32 => 4L * values,
        RowCodec.F16 or RowCodec.BF16 => 2L * values,
        RowCodec.Q8_0 => (long)values / BlockDequantization.Q8_0Block * BlockDequantization.Q8_0Bytes,
        RowCodec.Q4_0 => (long)values / BlockDequantization.Q4_0Block * BlockDequantization.Q4_0Bytes,
        RowCodec.Q6_K => (long)values / BlockDequantization.Q6_KBlock * BlockDequantization.Q6_KBytes,
        RowCodec.Q4_K => (long)values / BlockDequantization.QK_KBlock * BlockDequantization.Q4_KBytes,
        RowCodec.Q5_K => (long)values / BlockDequantization.QK_KBlock * BlockDequantization.Q5_KBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(codec)),
    };

    /// <summary>Dequantizes one row.</summary>
    public static void Dequantize(this RowCodec codec, ReadOnlySpan<byte> row, Span<float> values)
    {
        switch (codec)
        {
            case RowCodec.F32: BlockDequantization.F32(row, values); break;
            case RowCodec.F16: BlockDequantization.F16(row, values); break;
            case RowCodec.BF16: BlockDequantization.BF16(row, values); break;
            case RowCodec.Q8_0: BlockDequantization.Q8_0(row, values); break;
            case RowCodec.Q4_0: BlockDequantization.Q4_0(row, values); break;
            case RowCodec.Q6_K: BlockDequantization.Q6_K(row, values); break;
            case RowCodec.Q4_K: BlockDequantization.Q4_K(row, values); break;
            case RowCodec.Q5_K: BlockDequantization.Q5_K(row, values); break;
            default: throw new ArgumentOutOfRangeException(nameof(codec));
        }
    }
}

/// <summary>A [rows, columns] table stored in a row codec: the token embedding (and, when tied, the output head).</summary>
internal sealed class EmbeddingTable
{
    private readonly ReadOnlyMemory<byte> _data;
    private readonly long _rowBytes;

    public EmbeddingTable(string name, RowCodec codec, ReadOnlyMemory<byte> data, int rows, int columns)
    {
        if (columns % codec.BlockValues() != 0)
        {
            throw new InvalidDataException($"{name}: rows of {columns} values do not fit {codec}'s {codec.BlockValues()}-value blocks.");
        }

        _rowBytes = codec.RowBytes(columns);
        if (data.Length < _rowBytes * rows)
        {
            throw new InvalidDataException($"{name}: {data.Length} bytes, but {rows}x{columns} {codec} needs {_rowBytes * rows}.");
        }

        Name = name;
        Codec = codec;
        Rows = rows;
        Columns = columns;
        _data = data;
    }

    public string Name { get; }

    public RowCodec Codec { get; }

    public int Rows { get; }

    public int Columns { get; }

    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>
    /// When the table is a range of a mapped file: release the pages around each row after reading it (see
    /// <see cref="Formats.MemoryMappedFileView.TryReleaseFaultAround"/>), so token lookups do not grow the resident set.
    /// </summary>
    public bool ReleasesReadRows { get; init; }

    /// <summary>Dequantizes row <paramref name="row"/> (a token id) into <paramref name="destination"/>.</summary>
    public void ReadRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"{Name} has {Rows} rows.");
        }

        Codec.Dequantize(_data.Span.Slice((int)(row * _rowBytes), (int)_rowBytes), destination[..Columns]);
        if (ReleasesReadRows)
        {
            Formats.MemoryMappedFileView.TryReleaseFaultAround(_data.Slice((int)(row * _rowBytes), (int)_rowBytes));
        }
    }
}
