using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>
/// Decides, once per projection at load, the layout its weights are kept in and the activations it reads, so the readers
/// build each matrix in its final form (no second pass that rebuilds the weights). Lookup tables get TL1 where the
/// weights are I2_S-shaped (k a multiple of 128), repacked from the file's bytes without an int8 copy; BitNet a4.8's int4
/// inputs go to the attention (Q/K/V) and feed-forward (gate/up) projections only, the attention-output and down
/// projections keep int8 (their inputs carry the outliers, arXiv 2411.04965 section 2.1).
/// </summary>
internal sealed class KernelPlanner : IDisposable
{
    private readonly TernaryKernel _kernel;
    private readonly ActivationBits _bits;
    private readonly ResourceOwner _owner;
    private KernelThreadPool? _pool;

    /// <param name="kernel">The kernel family (resolved: not Auto).</param>
    /// <param name="bits">Input precision of Q/K/V and gate/up.</param>
    /// <param name="owner">Owns the buffers of converted weights.</param>
    public KernelPlanner(TernaryKernel kernel, ActivationBits bits, ResourceOwner owner)
    {
        if (kernel == TernaryKernel.Auto)
        {
            throw new ArgumentException("Resolve Auto first.", nameof(kernel));
        }

        _kernel = kernel;
        _bits = bits;
        _owner = owner;
    }

    /// <summary>
    /// The family <see cref="TernaryKernel.Auto"/> means on this CPU. int4 inputs: lookup tables wherever there is SIMD
    /// (their tables hold int4 pair sums in bytes: measured 1.5-1.7x the multiply-add GEMV on AVX2, see
    /// docs/PERFORMANCE.md "LUT kernels"). int8 inputs: x86 measured both families within a few percent of each other
    /// (two lookups per pair, as many instructions as maddubs), and the multiply-add kernels read the file in place
    /// without a second copy, so they stay the default; plain NEON multiplies int8 with widening multiplies (8 lanes),
    /// lookups win; with SDOT (16 multiply-adds per instruction) multiply-add wins by instruction count (not measured
    /// here: no ARM hardware, only qemu).
    /// </summary>
    public static TernaryKernel Resolve(TernaryKernel requested, ActivationBits bits, Isa isa)
    {
        if (requested != TernaryKernel.Auto)
        {
            return requested;
        }

        if (isa == Isa.Reference)
        {
            return TernaryKernel.MultiplyAdd;
        }

        if (bits == ActivationBits.Int4)
        {
            return TernaryKernel.LookupTable;
        }

        return isa == Isa.Neon ? TernaryKernel.LookupTable : TernaryKernel.MultiplyAdd;
    }

    /// <summary>The activations a projection in <paramref name="role"/> reads.</summary>
    public ActivationType InputOf(ProjectionRole role) =>
        _bits == ActivationBits.Int4 && role is ProjectionRole.AttentionInput or ProjectionRole.FeedForwardInput
            ? ActivationType.Int4
            : ActivationType.Int8;

    /// <summary>The layout a ternary projection stored (or packable) as <paramref name="stored"/> with rows of <paramref name="k"/> runs in.</summary>
    public WeightType LayoutOf(WeightType stored, int k) =>
        _kernel == TernaryKernel.LookupTable && stored == WeightType.I2S && k % WeightTypes.Info(WeightType.Tl1).BlockWeights == 0
            ? WeightType.Tl1
            : stored;

    /// <summary>A ternary projection whose bytes are already in <paramref name="layout"/> (see <see cref="LayoutOf"/>).</summary>
    public WeightMatrix Matrix(string name, WeightType layout, ReadOnlyMemory<byte> bytes, float scale, int n, int k, ProjectionRole role) =>
        new(name, layout, bytes, scale, n, k, InputOf(role));

    /// <summary>
    /// Converts a matrix stored as <paramref name="stored"/> into <paramref name="layout"/> in a buffer the owner keeps
    /// (rows split over a pool of every CPU: the repack of a 2B model takes a second on one thread).
    /// </summary>
    public ReadOnlyMemory<byte> Convert(WeightType stored, ReadOnlySpan<byte> bytes, WeightType layout, int n, int k)
    {
        var buffer = _owner.Track(new NativeBuffer<byte>(checked((int)WeightTypes.Bytes(layout, n, k))));
        _pool ??= KernelDispatch.Features.LogicalCpus > 1 ? KernelThreadPool.Create(KernelDispatch.Features.LogicalCpus) : null;
        WeightPacker.Repack(stored, bytes, layout, n, k, buffer.GetSpan(), _pool);
        return buffer.Memory;
    }

    /// <summary>Packs n rows of k ternary values into <paramref name="layout"/> (one scale per tensor: I2_S, TL1) in a buffer the owner keeps.</summary>
    public ReadOnlyMemory<byte> Pack(WeightType layout, ReadOnlySpan<sbyte> q, int n, int k)
    {
        var buffer = _owner.Track(new NativeBuffer<byte>(checked((int)WeightTypes.Bytes(layout, n, k))));
        WeightPacker.Pack(layout, q, n, k, 1f, buffer.GetSpan());
        return buffer.Memory;
    }

    public void Dispose() => _pool?.Dispose();
}
