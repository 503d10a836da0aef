using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>Ternarization of float weights, packing of ternary values into the ternary weight types, and conversions between them.</summary>
public static unsafe class WeightPacker
{
    /// <summary>
    /// Absmean ternarization (BitNet b1.58): gamma = mean|w|, q = clamp(round(w / (gamma + 1e-5)), -1, 1).
    /// </summary>
    /// <returns>gamma, the scale that dequantizes q (w ≈ gamma · q).</returns>
    /// <exception cref="ArgumentException">q is shorter than weights, or a weight is not finite.</exception>
    public static float TernarizeAbsmean(ReadOnlySpan<float> weights, Span<sbyte> q)
    {
        Shapes.Require(q.Length, weights.Length, nameof(q));
        float scale;
        fixed (float* w = weights)
        fixed (sbyte* qp = q)
        {
            NativeMethods.bn_ternarize_absmean(w, weights.Length, weights.Length, qp, q.Length, &scale)
                .ThrowIfFailed(nameof(NativeMethods.bn_ternarize_absmean));
        }

        return scale;
    }

    /// <summary>
    /// Packs an <paramref name="n"/> × <paramref name="k"/> matrix of ternary values (-1, 0, 1; row-major) as a ternary
    /// type; TQ blocks store <paramref name="scale"/> as their fp16 scale, I2_S and TL1 keep the scale outside.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs, k does not fit the type, a value is not ternary, or the scale does not fit fp16.</exception>
    /// <exception cref="PlatformNotSupportedException">The type is not ternary.</exception>
    public static void Pack(WeightType type, ReadOnlySpan<sbyte> q, int n, int k, float scale, Span<byte> packed)
    {
        Shapes.Require(q.Length, (long)n * k, nameof(q));
        Shapes.Require(packed.Length, WeightTypes.Bytes(type, n, k), nameof(packed));
        fixed (sbyte* qp = q)
        fixed (byte* o = packed)
        {
            NativeMethods.bn_pack((bn_wtype)type, qp, q.Length, n, k, scale, o, packed.Length).ThrowIfFailed(nameof(NativeMethods.bn_pack));
        }
    }

    /// <summary>
    /// Unpacks an <paramref name="n"/> × <paramref name="k"/> matrix of a ternary type; for TQ types each 256-weight
    /// block's scale goes to <paramref name="blockScales"/> (n · k / 256 values; empty for I2_S and TL1).
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs, or the data holds a code that is not ternary.</exception>
    public static void Unpack(WeightType type, ReadOnlySpan<byte> packed, int n, int k, Span<sbyte> q, Span<float> blockScales)
    {
        Shapes.Require(packed.Length, WeightTypes.Bytes(type, n, k), nameof(packed));
        Shapes.Require(q.Length, (long)n * k, nameof(q));
        fixed (byte* p = packed)
        fixed (sbyte* qp = q)
        fixed (float* s = blockScales)
        {
            NativeMethods.bn_unpack((bn_wtype)type, p, packed.Length, n, k, qp, q.Length, s, blockScales.Length)
                .ThrowIfFailed(nameof(NativeMethods.bn_unpack));
        }
    }

    /// <summary>
    /// Converts an <paramref name="n"/> × <paramref name="k"/> matrix between layouts without an int8 copy (I2_S ↔ TL1);
    /// the tensor scale is unchanged.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs, or the source holds a code that is not ternary.</exception>
    /// <exception cref="PlatformNotSupportedException">The library has no conversion between the two types.</exception>
    public static void Repack(WeightType from, ReadOnlySpan<byte> source, WeightType to, int n, int k, Span<byte> destination,
        KernelThreadPool? pool)
    {
        Shapes.Require(source.Length, WeightTypes.Bytes(from, n, k), nameof(source));
        Shapes.Require(destination.Length, WeightTypes.Bytes(to, n, k), nameof(destination));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (byte* w = source)
        fixed (byte* o = destination)
        {
            NativeMethods.bn_repack((bn_wtype)from, w, source.Length, (bn_wtype)to, n, k, o, destination.Length, lease.Pointer)
                .ThrowIfFailed(nameof(NativeMethods.bn_repack));
        }
    }
}
