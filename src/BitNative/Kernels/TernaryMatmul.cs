using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>
/// Ternary matrix × int8 activations: y[r, i] = (W[i, :] · xq[r, :]) · xScales[r] · weightScale.
/// </summary>
/// <remarks>
/// W has <c>n</c> rows of <c>k</c> packed weights (as GGUF stores a [k, n] tensor). <c>m</c> = 1 is a
/// matrix-vector product (decoding); larger <c>m</c> (a prompt batch) reads each weight row once for
/// all activation rows. The integer dot products are exact; every kernel variant returns the same bits.
/// </remarks>
public static unsafe class TernaryMatmul
{
    /// <summary>Multiplies by an I2_S matrix (k a multiple of 128) with one per-tensor scale.</summary>
    /// <param name="weights">n rows of k weights packed as I2_S (n·k/4 bytes; a file's trailing scale may follow).</param>
    /// <param name="weightScale">The tensor's scale.</param>
    /// <param name="xq">m rows of k int8 activations (int4 values in int8 work unchanged).</param>
    /// <param name="xScales">m per-row activation scales.</param>
    /// <param name="n">Output features (weight rows).</param>
    /// <param name="k">Input features.</param>
    /// <param name="m">Activation rows (tokens).</param>
    /// <param name="y">Receives m rows of n floats.</param>
    /// <param name="pool">Threads that split the output rows, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">k does not fit the format, a span is shorter than the shape needs, or a scale is not finite.</exception>
    public static void I2S(ReadOnlySpan<byte> weights, float weightScale, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales,
        int n, int k, int m, Span<float> y, KernelThreadPool? pool)
        => Run(TernaryFormat.I2S, weights, weightScale, xq, xScales, n, k, m, y, pool);

    /// <summary>Multiplies by a TQ2_0 matrix (k a multiple of 256), each block with its fp16 scale; weightScale is an extra factor.</summary>
    /// <inheritdoc cref="I2S(ReadOnlySpan{byte}, float, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, int, int, Span{float}, KernelThreadPool?)"/>
    public static void Tq2(ReadOnlySpan<byte> weights, float weightScale, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales,
        int n, int k, int m, Span<float> y, KernelThreadPool? pool)
        => Run(TernaryFormat.Tq2, weights, weightScale, xq, xScales, n, k, m, y, pool);

    /// <summary>Multiplies by an I2_S matrix on the calling thread.</summary>
    /// <inheritdoc cref="I2S(ReadOnlySpan{byte}, float, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, int, int, Span{float}, KernelThreadPool?)"/>
    public static void I2S(ReadOnlySpan<byte> weights, float weightScale, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales,
        int n, int k, int m, Span<float> y)
        => Run(TernaryFormat.I2S, weights, weightScale, xq, xScales, n, k, m, y, null);

    /// <summary>Multiplies by a TQ2_0 matrix on the calling thread.</summary>
    /// <inheritdoc cref="I2S(ReadOnlySpan{byte}, float, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, int, int, Span{float}, KernelThreadPool?)"/>
    public static void Tq2(ReadOnlySpan<byte> weights, float weightScale, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales,
        int n, int k, int m, Span<float> y)
        => Run(TernaryFormat.Tq2, weights, weightScale, xq, xScales, n, k, m, y, null);

    private static void Run(TernaryFormat format, ReadOnlySpan<byte> weights, float weightScale, ReadOnlySpan<sbyte> xq,
        ReadOnlySpan<float> xScales, int n, int k, int m, Span<float> y, KernelThreadPool? pool)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        long weightBytes = WeightPacker.PackedBytes(format, n, k);
        Shapes.RequireMatmul(weights.Length, weightBytes, xq.Length, xScales.Length, y.Length, n, k, m);
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (byte* w = weights)
        fixed (sbyte* x = xq)
        fixed (float* xs = xScales)
        fixed (float* yp = y)
        {
            bn_status status = format == TernaryFormat.I2S
                ? NativeMethods.bn_matmul_i2s_q8(w, weights.Length, weightScale, x, xq.Length, xs, xScales.Length, n, k, m, yp, y.Length, lease.Pointer)
                : NativeMethods.bn_matmul_tq2_q8(w, weights.Length, weightScale, x, xq.Length, xs, xScales.Length, n, k, m, yp, y.Length, lease.Pointer);
            status.ThrowIfFailed(format == TernaryFormat.I2S ? nameof(NativeMethods.bn_matmul_i2s_q8) : nameof(NativeMethods.bn_matmul_tq2_q8));
        }
    }
}
