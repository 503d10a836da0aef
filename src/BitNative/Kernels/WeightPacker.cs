using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>Ternarization of float weights and packing of ternary values into the file formats.</summary>
public static unsafe class WeightPacker
{
    /// <summary>Weights per block of a format: a row length must be a multiple of it.</summary>
    public static int BlockWeights(TernaryFormat format) => Info(format).block_weights;

    /// <summary>Bytes of <paramref name="rows"/> rows of <paramref name="columns"/> weights in a format (no tensor trailer).</summary>
    /// <exception cref="ArgumentException">columns is not a multiple of the format's block, or a size is negative.</exception>
    public static long PackedBytes(TernaryFormat format, int rows, int columns)
    {
        long bytes;
        NativeMethods.bn_wtype_row_bytes((bn_wtype)format, rows, columns, &bytes)
            .ThrowIfFailed(nameof(NativeMethods.bn_wtype_row_bytes));
        return bytes;
    }

    /// <summary>
    /// Absmean ternarization (BitNet b1.58): gamma = mean|w|, q = clamp(round(w / (gamma + 1e-5)), -1, 1).
    /// </summary>
    /// <returns>gamma, the scale that dequantizes q (w ≈ gamma · q).</returns>
    /// <exception cref="ArgumentException">q is shorter than weights, or a weight is not finite.</exception>
    public static float TernarizeAbsmean(ReadOnlySpan<float> weights, Span<sbyte> q)
    {
        if (q.Length < weights.Length)
        {
            throw new ArgumentException($"q has {q.Length} elements, weights {weights.Length}.", nameof(q));
        }

        float scale;
        fixed (float* w = weights)
        fixed (sbyte* qp = q)
        {
            NativeMethods.bn_ternarize_absmean(w, weights.Length, weights.Length, qp, q.Length, &scale)
                .ThrowIfFailed(nameof(NativeMethods.bn_ternarize_absmean));
        }

        return scale;
    }

    /// <summary>Packs ternary values (-1, 0, 1) into a format; TQ blocks store <paramref name="scale"/> as their fp16 scale.</summary>
    /// <exception cref="ArgumentException">A length does not fit the format, a value is not ternary, or the scale does not fit fp16.</exception>
    public static void Pack(TernaryFormat format, ReadOnlySpan<sbyte> q, float scale, Span<byte> packed)
    {
        long need = PackedBytes(format, 1, CheckedBlockMultiple(format, q.Length, nameof(q)));
        if (packed.Length < need)
        {
            throw new ArgumentException($"packed has {packed.Length} bytes; {q.Length} weights as {format} need {need}.", nameof(packed));
        }

        fixed (sbyte* qp = q)
        fixed (byte* o = packed)
        {
            NativeMethods.bn_pack((bn_wtype)format, qp, q.Length, q.Length, scale, o, packed.Length)
                .ThrowIfFailed(nameof(NativeMethods.bn_pack));
        }
    }

    /// <summary>Unpacks <paramref name="q"/>.Length weights; for TQ formats each block's scale goes to <paramref name="blockScales"/>.</summary>
    /// <exception cref="ArgumentException">A length does not fit the format, or the data holds a code that is not ternary.</exception>
    public static void Unpack(TernaryFormat format, ReadOnlySpan<byte> packed, Span<sbyte> q, Span<float> blockScales)
    {
        int n = CheckedBlockMultiple(format, q.Length, nameof(q));
        long need = PackedBytes(format, 1, n);
        if (packed.Length < need)
        {
            throw new ArgumentException($"packed has {packed.Length} bytes; {n} weights as {format} need {need}.", nameof(packed));
        }

        int blocks = format == TernaryFormat.I2S ? 0 : n / BlockWeights(format);
        if (blockScales.Length < blocks)
        {
            throw new ArgumentException($"blockScales has {blockScales.Length} elements; {blocks} blocks need one each.", nameof(blockScales));
        }

        fixed (byte* p = packed)
        fixed (sbyte* qp = q)
        fixed (float* s = blockScales)
        {
            NativeMethods.bn_unpack((bn_wtype)format, p, packed.Length, n, qp, q.Length, blocks == 0 ? null : s, blocks)
                .ThrowIfFailed(nameof(NativeMethods.bn_unpack));
        }
    }

    private static int CheckedBlockMultiple(TernaryFormat format, int count, string parameter)
    {
        int block = BlockWeights(format);
        if (count % block != 0)
        {
            throw new ArgumentException($"{count} weights is not a multiple of the {block}-weight {format} block.", parameter);
        }

        return count;
    }

    private static bn_wtype_info Info(TernaryFormat format)
    {
        bn_wtype_info info;
        NativeMethods.bn_wtype_get_info((bn_wtype)format, &info).ThrowIfFailed(nameof(NativeMethods.bn_wtype_get_info));
        return info;
    }
}
