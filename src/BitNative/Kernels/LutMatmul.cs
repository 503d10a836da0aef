using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>
/// Lookup-table ternary matrix multiplication on the TL1 layout: y[r, i] = (W[i, :] · xq[r, :]) · xScales[r] · weightScale,
/// with int8 activations (<see cref="Int8(ReadOnlySpan{byte}, float, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, int, int, Span{float}, KernelThreadPool?)"/>) or BitNet a4.8 int4 activations (<see cref="Int4(ReadOnlySpan{byte}, float, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, int, int, Span{float}, KernelThreadPool?)"/>).
/// </summary>
/// <remarks>
/// TL1 stores a pair of ternary weights as one 4-bit code (2 bits per weight) in tiles of 32 rows, so a kernel looks up
/// the nine possible pair sums in a table built once per activation row instead of multiplying. The matrix has
/// <c>n</c> rows (outputs) of <c>k</c> columns (inputs, a multiple of 128); rows are padded to whole tiles. Results are
/// bit-identical to <see cref="TernaryMatmul.I2S(ReadOnlySpan{byte}, float, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, int, int, Span{float}, KernelThreadPool?)"/> on the same ternary values, activations and scales.
/// </remarks>
public static unsafe class LutMatmul
{
    /// <summary>Rows per TL1 tile: a packed matrix holds whole tiles.</summary>
    public const int RowTile = NativeMethods.BN_LUT_ROW_TILE;

    /// <summary>Columns must be a multiple of this.</summary>
    public const int ColumnBlock = NativeMethods.BN_LUT_BLOCK;

    /// <summary>Bytes of an <paramref name="n"/> × <paramref name="k"/> matrix in the TL1 layout: ceil(n / 32) · 8 · k.</summary>
    /// <exception cref="ArgumentException">k is not a multiple of 128, or a size is negative.</exception>
    public static long PackedBytes(int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        long bytes;
        NativeMethods.bn_lut_packed_bytes(n, k, &bytes).ThrowIfFailed(nameof(NativeMethods.bn_lut_packed_bytes));
        return bytes;
    }

    /// <summary>Packs n rows of k ternary values (-1, 0, 1; row-major) into the TL1 layout.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs, k is not a multiple of 128, or a value is not ternary.</exception>
    public static void Pack(ReadOnlySpan<sbyte> q, int n, int k, Span<byte> packed)
    {
        long need = PackedBytes(n, k);
        Shapes.Require(q.Length, (long)n * k, nameof(q));
        Shapes.Require(packed.Length, need, nameof(packed));
        fixed (sbyte* qp = q)
        fixed (byte* o = packed)
        {
            NativeMethods.bn_lut_pack(qp, q.Length, n, k, o, packed.Length).ThrowIfFailed(nameof(NativeMethods.bn_lut_pack));
        }
    }

    /// <summary>
    /// Repacks an I2_S matrix (n rows of k weights, n·k/4 bytes, as a GGUF file stores it) into the TL1 layout, without
    /// an int8 copy of the matrix; the I2_S tensor scale stays the weight scale.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs, k is not a multiple of 128, or the data holds code 3.</exception>
    public static void PackI2S(ReadOnlySpan<byte> i2s, int n, int k, Span<byte> packed, KernelThreadPool? pool)
    {
        long need = PackedBytes(n, k);
        Shapes.Require(i2s.Length, (long)n * (k / 4), nameof(i2s));
        Shapes.Require(packed.Length, need, nameof(packed));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (byte* w = i2s)
        fixed (byte* o = packed)
        {
            NativeMethods.bn_lut_pack_i2s(w, i2s.Length, n, k, o, packed.Length, lease.Pointer)
                .ThrowIfFailed(nameof(NativeMethods.bn_lut_pack_i2s));
        }
    }

    /// <summary>Unpacks a TL1 matrix back to n rows of k ternary values.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs, or k is not a multiple of 128.</exception>
    public static void Unpack(ReadOnlySpan<byte> packed, int n, int k, Span<sbyte> q)
    {
        long need = PackedBytes(n, k);
        Shapes.Require(packed.Length, need, nameof(packed));
        Shapes.Require(q.Length, (long)n * k, nameof(q));
        fixed (byte* p = packed)
        fixed (sbyte* qp = q)
        {
            NativeMethods.bn_lut_unpack(p, packed.Length, n, k, qp, q.Length).ThrowIfFailed(nameof(NativeMethods.bn_lut_unpack));
        }
    }

    /// <summary>Multiplies m int8 activation rows by a TL1 matrix with lookup tables.</summary>
    /// <param name="weights">n rows of k weights in the TL1 layout (<see cref="PackedBytes"/> bytes).</param>
    /// <param name="weightScale">The matrix scale.</param>
    /// <param name="xq">m rows of k int8 activations.</param>
    /// <param name="xScales">m per-row activation scales.</param>
    /// <param name="n">Output features (weight rows).</param>
    /// <param name="k">Input features (a multiple of 128).</param>
    /// <param name="m">Activation rows (tokens).</param>
    /// <param name="y">Receives m rows of n floats.</param>
    /// <param name="pool">Threads that split the output rows, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">k does not fit the layout, a span is shorter than the shape needs, or a scale is not finite.</exception>
    public static void Int8(ReadOnlySpan<byte> weights, float weightScale, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales,
        int n, int k, int m, Span<float> y, KernelThreadPool? pool)
        => Run(int4: false, weights, weightScale, xq, xScales, n, k, m, y, pool);

    /// <summary>
    /// Multiplies m int4 activation rows (BitNet a4.8: values in [-8, 7] held in int8) by a TL1 matrix; the int4 tables
    /// halve the lookup work of <see cref="Int8(ReadOnlySpan{byte}, float, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, int, int, Span{float}, KernelThreadPool?)"/>.
    /// </summary>
    /// <inheritdoc cref="Int8(ReadOnlySpan{byte}, float, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, int, int, Span{float}, KernelThreadPool?)"/>
    /// <exception cref="ArgumentException">As <see cref="Int8(ReadOnlySpan{byte}, float, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, int, int, Span{float}, KernelThreadPool?)"/>, or an activation lies outside [-8, 7].</exception>
    public static void Int4(ReadOnlySpan<byte> weights, float weightScale, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales,
        int n, int k, int m, Span<float> y, KernelThreadPool? pool)
        => Run(int4: true, weights, weightScale, xq, xScales, n, k, m, y, pool);

    /// <summary>Repacks an I2_S matrix into the TL1 layout on the calling thread.</summary>
    /// <inheritdoc cref="PackI2S(ReadOnlySpan{byte}, int, int, Span{byte}, KernelThreadPool?)"/>
    public static void PackI2S(ReadOnlySpan<byte> i2s, int n, int k, Span<byte> packed)
        => PackI2S(i2s, n, k, packed, null);

    /// <summary>Multiplies m int8 activation rows by a TL1 matrix on the calling thread.</summary>
    /// <inheritdoc cref="Int8(ReadOnlySpan{byte}, float, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, int, int, Span{float}, KernelThreadPool?)"/>
    public static void Int8(ReadOnlySpan<byte> weights, float weightScale, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales,
        int n, int k, int m, Span<float> y)
        => Run(int4: false, weights, weightScale, xq, xScales, n, k, m, y, null);

    /// <summary>Multiplies m int4 activation rows by a TL1 matrix on the calling thread.</summary>
    /// <inheritdoc cref="Int4(ReadOnlySpan{byte}, float, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, int, int, Span{float}, KernelThreadPool?)"/>
    public static void Int4(ReadOnlySpan<byte> weights, float weightScale, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales,
        int n, int k, int m, Span<float> y)
        => Run(int4: true, weights, weightScale, xq, xScales, n, k, m, y, null);

    private static void Run(bool int4, ReadOnlySpan<byte> weights, float weightScale, ReadOnlySpan<sbyte> xq,
        ReadOnlySpan<float> xScales, int n, int k, int m, Span<float> y, KernelThreadPool? pool)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        long weightBytes = PackedBytes(n, k);
        Shapes.RequireMatmul(weights.Length, weightBytes, xq.Length, xScales.Length, y.Length, n, k, m);
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (byte* w = weights)
        fixed (sbyte* x = xq)
        fixed (float* xs = xScales)
        fixed (float* yp = y)
        {
            bn_status status = int4
                ? NativeMethods.bn_matmul_tl1_q4(w, weights.Length, weightScale, x, xq.Length, xs, xScales.Length, n, k, m, yp, y.Length, lease.Pointer)
                : NativeMethods.bn_matmul_tl1_q8(w, weights.Length, weightScale, x, xq.Length, xs, xScales.Length, n, k, m, yp, y.Length, lease.Pointer);
            status.ThrowIfFailed(int4 ? nameof(NativeMethods.bn_matmul_tl1_q4) : nameof(NativeMethods.bn_matmul_tl1_q8));
        }
    }
}
