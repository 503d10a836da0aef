using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>Per-row quantization of float activations for the ternary matrix kernels.</summary>
public static unsafe class ActivationQuantizer
{
    /// <summary>
    /// int8 absmax per row: s = 127 / max(max|x|, 1e-5), q = round(clamp(x·s, -128, 127)); scales[r] = 1 / s.
    /// </summary>
    /// <param name="x">rows × columns floats, row-major.</param>
    /// <param name="rows">Number of rows (tokens).</param>
    /// <param name="columns">Values per row.</param>
    /// <param name="q">Receives rows × columns int8 values.</param>
    /// <param name="scales">Receives one dequantization factor per row.</param>
    /// <param name="pool">Threads for large batches, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs, or an input is not finite.</exception>
    public static void QuantizeInt8(ReadOnlySpan<float> x, int rows, int columns, Span<sbyte> q, Span<float> scales, KernelThreadPool? pool)
        => Quantize(false, x, rows, columns, q, scales, pool);

    /// <summary>Quantizes to int8 on the calling thread.</summary>
    /// <inheritdoc cref="QuantizeInt8(ReadOnlySpan{float}, int, int, Span{sbyte}, Span{float}, KernelThreadPool?)"/>
    public static void QuantizeInt8(ReadOnlySpan<float> x, int rows, int columns, Span<sbyte> q, Span<float> scales)
        => Quantize(false, x, rows, columns, q, scales, null);

    /// <summary>Quantizes to int4 on the calling thread.</summary>
    /// <inheritdoc cref="QuantizeInt4(ReadOnlySpan{float}, int, int, Span{sbyte}, Span{float}, KernelThreadPool?)"/>
    public static void QuantizeInt4(ReadOnlySpan<float> x, int rows, int columns, Span<sbyte> q, Span<float> scales)
        => Quantize(true, x, rows, columns, q, scales, null);

    /// <summary>
    /// int4 per row (BitNet a4.8): beta = mean|x|, s = √7 / max(beta, 1e-5), q = round(clamp(x·s, -8, 7)); scales[r] = 1 / s.
    /// </summary>
    /// <inheritdoc cref="QuantizeInt8(ReadOnlySpan{float}, int, int, Span{sbyte}, Span{float}, KernelThreadPool?)"/>
    public static void QuantizeInt4(ReadOnlySpan<float> x, int rows, int columns, Span<sbyte> q, Span<float> scales, KernelThreadPool? pool)
        => Quantize(true, x, rows, columns, q, scales, pool);

    private static void Quantize(bool int4, ReadOnlySpan<float> x, int rows, int columns, Span<sbyte> q, Span<float> scales, KernelThreadPool? pool)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        long count = (long)rows * columns;
        Shapes.Require(x.Length, count, nameof(x));
        Shapes.Require(q.Length, count, nameof(q));
        Shapes.Require(scales.Length, rows, nameof(scales));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (float* xp = x)
        fixed (sbyte* qp = q)
        fixed (float* sp = scales)
        {
            bn_status status = int4
                ? NativeMethods.bn_quantize_q4(xp, x.Length, rows, columns, qp, q.Length, sp, scales.Length, lease.Pointer)
                : NativeMethods.bn_quantize_q8(xp, x.Length, rows, columns, qp, q.Length, sp, scales.Length, lease.Pointer);
            status.ThrowIfFailed(int4 ? nameof(NativeMethods.bn_quantize_q4) : nameof(NativeMethods.bn_quantize_q8));
        }
    }
}
