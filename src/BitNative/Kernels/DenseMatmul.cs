using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>
/// Dense (not ternary) matrices times activation rows, for output heads and embeddings used as heads:
/// y[r, i] = Σⱼ W[i, j] · x[r, j]. W has <c>n</c> rows of <c>k</c> values, as GGUF stores a [k, n] tensor.
/// </summary>
public static unsafe class DenseMatmul
{
    /// <summary>Bytes of one Q8_0 block: an fp16 scale and 32 int8 values.</summary>
    public const int Q8_0BlockBytes = 34;

    /// <summary>Weights per Q8_0 block.</summary>
    public const int Q8_0BlockValues = 32;

    /// <summary>
    /// fp16 weights × float activations (SIMD FMA sums: within 2k·2⁻²⁴·Σ|W x| of a sequential float sum).
    /// </summary>
    /// <param name="weights">n rows of k fp16 values.</param>
    /// <param name="x">m rows of k floats.</param>
    /// <param name="n">Output features (weight rows).</param>
    /// <param name="k">Input features.</param>
    /// <param name="m">Activation rows (tokens).</param>
    /// <param name="y">Receives m rows of n floats.</param>
    /// <param name="pool">Threads that split the output rows, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs.</exception>
    public static void F16(ReadOnlySpan<Half> weights, ReadOnlySpan<float> x, int n, int k, int m, Span<float> y, KernelThreadPool? pool)
    {
        CheckShape(n, k, m);
        Shapes.Require(weights.Length, (long)n * k, nameof(weights));
        Shapes.Require(x.Length, (long)m * k, nameof(x));
        Shapes.Require(y.Length, (long)m * n, nameof(y));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (Half* w = weights)
        fixed (float* xp = x)
        fixed (float* yp = y)
        {
            NativeMethods.bn_matmul_f16_f32((ushort*)w, weights.Length, xp, x.Length, n, k, m, yp, y.Length, lease.Pointer)
                .ThrowIfFailed(nameof(NativeMethods.bn_matmul_f16_f32));
        }
    }

    /// <summary>
    /// ggml Q8_0 weights × per-row int8 activations: y[r, i] = xScales[r] · Σ_b d_b (W[i, b] · xq[r, b]), exact int32 block
    /// dot products, SIMD float sums over blocks.
    /// </summary>
    /// <param name="weights">n rows of k weights as Q8_0 blocks (k a multiple of 32; 34 bytes per block).</param>
    /// <param name="xq">m rows of k int8 activations.</param>
    /// <param name="xScales">m per-row activation scales.</param>
    /// <param name="n">Output features (weight rows).</param>
    /// <param name="k">Input features.</param>
    /// <param name="m">Activation rows (tokens).</param>
    /// <param name="y">Receives m rows of n floats.</param>
    /// <param name="pool">Threads that split the output rows, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">k is not a multiple of 32, a span is shorter than the shape needs, or a scale is not finite.</exception>
    public static void Q8_0(ReadOnlySpan<byte> weights, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int n, int k, int m, Span<float> y,
        KernelThreadPool? pool)
    {
        CheckShape(n, k, m);
        if (k % Q8_0BlockValues != 0)
        {
            throw new ArgumentException($"k = {k} is not a multiple of the {Q8_0BlockValues}-weight Q8_0 block.", nameof(k));
        }

        Shapes.RequireMatmul(weights.Length, Q8_0Bytes(n, k), xq.Length, xScales.Length, y.Length, n, k, m);
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (byte* w = weights)
        fixed (sbyte* xp = xq)
        fixed (float* sp = xScales)
        fixed (float* yp = y)
        {
            NativeMethods.bn_matmul_q8_0_q8(w, weights.Length, xp, xq.Length, sp, xScales.Length, n, k, m, yp, y.Length, lease.Pointer)
                .ThrowIfFailed(nameof(NativeMethods.bn_matmul_q8_0_q8));
        }
    }

    /// <summary>Bytes of n rows of k weights as Q8_0 (k a multiple of 32).</summary>
    public static long Q8_0Bytes(int n, int k) => (long)n * (k / Q8_0BlockValues) * Q8_0BlockBytes;

    private static void CheckShape(int n, int k, int m)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
    }
}
