using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>
/// The activation transforms of BitNet v2 and a4.8 before a projection reads its input: the online Walsh-Hadamard
/// transform (v2's H-BitLinear, which makes the o_proj and down_proj inputs 4-bit friendly) and top-K sparsification of
/// int8 rows (a4.8's sparse intermediate states). Both follow the specifications in bitnative.h; every ISA returns the
/// same bits.
/// </summary>
public static unsafe class ActivationTransforms
{
    /// <summary>
    /// The Hadamard block for rows of <paramref name="columns"/> values: the largest power of two dividing it (the whole
    /// row when it is a power of two; 2560 → 512, 6912 → 256: a block-diagonal transform).
    /// </summary>
    public static int HadamardBlock(int columns) => NativeMethods.bn_hadamard_block(columns);

    /// <summary>
    /// x[r, :] ← (H_B / √B) x[r, :] blockwise, in place: the normalized, self-inverse Walsh-Hadamard transform of each
    /// row in blocks of <see cref="HadamardBlock"/>.
    /// </summary>
    /// <param name="x">rows × columns floats, transformed in place.</param>
    /// <param name="rows">Rows (tokens).</param>
    /// <param name="columns">Values per row (at least 1).</param>
    /// <param name="pool">Threads for large batches, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">The span is shorter than the shape needs.</exception>
    public static void Hadamard(Span<float> x, int rows, int columns, KernelThreadPool? pool)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        Shapes.Require(x.Length, (long)rows * columns, nameof(x));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (float* xp = x)
        {
            NativeMethods.bn_hadamard_f32(xp, x.Length, rows, columns, lease.Pointer).ThrowIfFailed(nameof(NativeMethods.bn_hadamard_f32));
        }
    }

    /// <summary>
    /// Keeps the <paramref name="keep"/> entries of largest magnitude in each int8 row and zeroes the others, in place;
    /// ties at the threshold go to the lower columns. The row's scale is unchanged (its largest entry stays).
    /// </summary>
    /// <param name="xq">rows × columns int8 values, sparsified in place.</param>
    /// <param name="rows">Rows (tokens).</param>
    /// <param name="columns">Values per row.</param>
    /// <param name="keep">Entries kept per row (≥ 0; ≥ columns keeps the row).</param>
    /// <param name="pool">Threads for large batches, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">The span is shorter than the shape needs or keep is negative.</exception>
    public static void TopK(Span<sbyte> xq, int rows, int columns, int keep, KernelThreadPool? pool)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        Shapes.Require(xq.Length, (long)rows * columns, nameof(xq));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (sbyte* qp = xq)
        {
            NativeMethods.bn_topk_q8(qp, xq.Length, rows, columns, keep, lease.Pointer).ThrowIfFailed(nameof(NativeMethods.bn_topk_q8));
        }
    }

    /// <summary>Entries a top-K keeps of a row of <paramref name="columns"/> at <paramref name="sparsity"/> (the share zeroed): columns − round(sparsity · columns).</summary>
    public static int KeepCount(int columns, float sparsity) =>
        columns - (int)Math.Round(Math.Clamp(sparsity, 0f, 1f) * columns, MidpointRounding.ToEven);
}
