using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>
/// RMSNorm of activation rows, alone or fused with the per-row quantization a ternary projection reads:
/// y = x / sqrt(mean(x²) + eps) · weight, the sum of squares in the 16-lane order bitnative.h specifies, so every
/// kernel variant returns the same bits.
/// </summary>
public static unsafe class Norms
{
    /// <summary>y[r, :] = RMSNorm(x[r, :]) · weight for each of <paramref name="rows"/> rows.</summary>
    /// <param name="x">rows × columns floats.</param>
    /// <param name="weight">columns floats.</param>
    /// <param name="eps">Added to the mean square (positive).</param>
    /// <param name="rows">Rows (tokens).</param>
    /// <param name="columns">Values per row (at least 1).</param>
    /// <param name="y">Receives rows × columns floats.</param>
    /// <param name="pool">Threads for large batches, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs, eps is not positive, or a row is not finite.</exception>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, int rows, int columns, Span<float> y,
        KernelThreadPool? pool)
    {
        Check(x, weight, rows, columns);
        Shapes.Require(y.Length, (long)rows * columns, nameof(y));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (float* xp = x)
        fixed (float* wp = weight)
        fixed (float* yp = y)
        {
            NativeMethods.bn_rmsnorm_f32(xp, x.Length, wp, weight.Length, eps, rows, columns, yp, y.Length, lease.Pointer)
                .ThrowIfFailed(nameof(NativeMethods.bn_rmsnorm_f32));
        }
    }

    /// <summary>
    /// RMSNorm then int8 absmax quantization per row, in one pass: the input of a ternary projection. Bit-identical to
    /// <see cref="RmsNorm"/> followed by <see cref="ActivationQuantizer.QuantizeInt8(ReadOnlySpan{float}, int, int, Span{sbyte}, Span{float}, KernelThreadPool?)"/>.
    /// </summary>
    /// <param name="x">rows × columns floats.</param>
    /// <param name="weight">columns floats.</param>
    /// <param name="eps">Added to the mean square (positive).</param>
    /// <param name="rows">Rows (tokens).</param>
    /// <param name="columns">Values per row (at least 1).</param>
    /// <param name="q">Receives rows × columns int8 values.</param>
    /// <param name="scales">Receives one dequantization factor per row.</param>
    /// <param name="pool">Threads for large batches, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs, eps is not positive, or a row is not finite.</exception>
    public static void RmsNormInt8(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, int rows, int columns, Span<sbyte> q,
        Span<float> scales, KernelThreadPool? pool) => Quantized(false, x, weight, eps, rows, columns, q, scales, pool);

    /// <summary>
    /// RMSNorm then int4 (BitNet a4.8) quantization per row. Bit-identical to <see cref="RmsNorm"/> followed by
    /// <see cref="ActivationQuantizer.QuantizeInt4(ReadOnlySpan{float}, int, int, Span{sbyte}, Span{float}, KernelThreadPool?)"/>.
    /// </summary>
    /// <inheritdoc cref="RmsNormInt8"/>
    public static void RmsNormInt4(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, int rows, int columns, Span<sbyte> q,
        Span<float> scales, KernelThreadPool? pool) => Quantized(true, x, weight, eps, rows, columns, q, scales, pool);

    private static void Quantized(bool int4, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, int rows, int columns,
        Span<sbyte> q, Span<float> scales, KernelThreadPool? pool)
    {
        Check(x, weight, rows, columns);
        Shapes.Require(q.Length, (long)rows * columns, nameof(q));
        Shapes.Require(scales.Length, rows, nameof(scales));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (float* xp = x)
        fixed (float* wp = weight)
        fixed (sbyte* qp = q)
        fixed (float* sp = scales)
        {
            bn_status status = int4
                ? NativeMethods.bn_rmsnorm_q4(xp, x.Length, wp, weight.Length, eps, rows, columns, qp, q.Length, sp, scales.Length, lease.Pointer)
                : NativeMethods.bn_rmsnorm_q8(xp, x.Length, wp, weight.Length, eps, rows, columns, qp, q.Length, sp, scales.Length, lease.Pointer);
            status.ThrowIfFailed(int4 ? nameof(NativeMethods.bn_rmsnorm_q4) : nameof(NativeMethods.bn_rmsnorm_q8));
        }
    }

    private static void Check(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        Shapes.Require(x.Length, (long)rows * columns, nameof(x));
        Shapes.Require(weight.Length, columns, nameof(weight));
    }
}
