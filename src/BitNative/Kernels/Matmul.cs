using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>
/// One matrix product for every weight type: y[r, i] = (W[i, :] · x[r, :]) · weightScale, W stored as a
/// <see cref="WeightType"/> with <c>n</c> rows of <c>k</c> columns (as GGUF stores a [k, n] tensor), computed by the
/// kernel of the given <see cref="Isa"/>.
/// </summary>
/// <remarks>
/// Ternary types with int8 or int4 rows give the same bits on every ISA (exact integer dots, one float epilogue), and
/// TL1 gives I2_S's bits, so a caller may pick any supported variant; dense types (F16, F32, Q8_0) sum in SIMD lanes
/// within the tolerances bitnative.h states. <c>m</c> = 1 is a matrix-vector product (decoding); larger <c>m</c> (a
/// prompt batch) reads each weight row once for several activation rows.
/// </remarks>
public static unsafe class Matmul
{
    /// <summary>Whether this build and CPU have an <paramref name="isa"/> kernel for the pair.</summary>
    public static bool IsSupported(WeightType type, ActivationType input, Isa isa) =>
        NativeMethods.bn_matmul_supported((bn_wtype)type, (bn_atype)input, (bn_isa)isa) != 0;

    /// <summary>Multiplies m quantized activation rows (int8, or int4 values held in int8) by the matrix.</summary>
    /// <param name="type">How the weights are stored.</param>
    /// <param name="input">Int8 or Int4.</param>
    /// <param name="isa">The kernel variant to run.</param>
    /// <param name="weights">The matrix (<see cref="WeightTypes.Bytes"/> bytes; a file's trailer may follow).</param>
    /// <param name="weightScale">Multiplies every output (a tensor scale, or 1).</param>
    /// <param name="xq">m rows of k quantized activations.</param>
    /// <param name="xScales">m per-row activation scales.</param>
    /// <param name="n">Output features (weight rows).</param>
    /// <param name="k">Input features.</param>
    /// <param name="m">Activation rows (tokens).</param>
    /// <param name="y">Receives m rows of n floats.</param>
    /// <param name="pool">Threads that split the output rows, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs, k does not fit the type, a scale is not finite, or an int4 value is out of range.</exception>
    /// <exception cref="PlatformNotSupportedException">The ISA has no kernel for the pair, or the CPU lacks it.</exception>
    public static void Quantized(WeightType type, ActivationType input, Isa isa, ReadOnlySpan<byte> weights, float weightScale,
        ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int n, int k, int m, Span<float> y, KernelThreadPool? pool)
    {
        if (input == ActivationType.F32)
        {
            throw new ArgumentException("Float activations go through Matmul.Float.", nameof(input));
        }

        Check(type, weights.Length, n, k, m, y.Length);
        Shapes.Require(xq.Length, (long)m * k, nameof(xq));
        Shapes.Require(xScales.Length, m, nameof(xScales));
        Run(type, input, isa, weights, weightScale, [], xq, xScales, n, k, m, y, pool);
    }

    /// <summary>Multiplies m float activation rows by the matrix (F16, F32 weights).</summary>
    /// <param name="type">How the weights are stored.</param>
    /// <param name="isa">The kernel variant to run.</param>
    /// <param name="weights">The matrix (<see cref="WeightTypes.Bytes"/> bytes).</param>
    /// <param name="weightScale">Multiplies every output (1 for none).</param>
    /// <param name="x">m rows of k floats.</param>
    /// <param name="n">Output features (weight rows).</param>
    /// <param name="k">Input features.</param>
    /// <param name="m">Activation rows (tokens).</param>
    /// <param name="y">Receives m rows of n floats.</param>
    /// <param name="pool">Threads that split the output rows, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs, or the scale is not finite.</exception>
    /// <exception cref="PlatformNotSupportedException">The ISA has no kernel for the type with float rows.</exception>
    public static void Float(WeightType type, Isa isa, ReadOnlySpan<byte> weights, float weightScale, ReadOnlySpan<float> x,
        int n, int k, int m, Span<float> y, KernelThreadPool? pool)
    {
        Check(type, weights.Length, n, k, m, y.Length);
        Shapes.Require(x.Length, (long)m * k, nameof(x));
        Run(type, ActivationType.F32, isa, weights, weightScale, x, [], [], n, k, m, y, pool);
    }

    private static void Check(WeightType type, int weights, int n, int k, int m, int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        Shapes.Require(weights, WeightTypes.Bytes(type, n, k), nameof(weights));
        Shapes.Require(y, (long)m * n, nameof(y));
    }

    private static void Run(WeightType type, ActivationType input, Isa isa, ReadOnlySpan<byte> weights, float weightScale,
        ReadOnlySpan<float> x, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int n, int k, int m, Span<float> y,
        KernelThreadPool? pool)
    {
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (byte* w = weights)
        fixed (float* xp = x)
        fixed (sbyte* q = xq)
        fixed (float* s = xScales)
        fixed (float* yp = y)
        {
            NativeMethods.bn_matmul((bn_wtype)type, (bn_atype)input, (bn_isa)isa, w, weights.Length, weightScale, xp, x.Length, q,
                    xq.Length, s, xScales.Length, n, k, m, yp, y.Length, lease.Pointer)
                .ThrowIfFailed(nameof(NativeMethods.bn_matmul));
        }
    }
}
