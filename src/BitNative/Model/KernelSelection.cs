using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>
/// Chooses the ternary kernel family and the projection input precision, and lays the loaded weights out for them: the
/// lookup-table kernels get their TL1 copy of every I2_S projection, repacked once at load; BitNet a4.8's int4 inputs go
/// to the attention (Q/K/V) and feed-forward (gate/up) projections only, the attention-output and down projections keep
/// int8 (their inputs carry the outliers, arXiv 2411.04965 section 2.1).
/// </summary>
internal static class KernelSelection
{
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

    /// <summary>
    /// Returns weights whose ternary projections run on <paramref name="kernel"/> (not Auto) with <paramref name="bits"/>
    /// inputs for Q/K/V and gate/up, or <paramref name="weights"/> itself when nothing changes. The result owns the
    /// original weights (disposing it disposes them) and the repacked buffers. With <paramref name="releaseSources"/> (the
    /// loader, which never reads the original weights again) each repacked projection's source is let go at once, so the
    /// peak memory holds one layout; callers that keep using <paramref name="weights"/> pass false.
    /// </summary>
    public static ModelWeights Apply(ModelWeights weights, TernaryKernel kernel, ActivationBits bits, bool releaseSources)
    {
        if (kernel == TernaryKernel.Auto)
        {
            throw new ArgumentException("Resolve Auto first.", nameof(kernel));
        }

        bool lut = kernel == TernaryKernel.LookupTable;
        int inputBits = bits == ActivationBits.Int4 ? 4 : 8;
        if (!lut && inputBits == 8
            && weights.Layers.All(l => Projections(l).All(p => SelfQuantizingLinear.Unwrap(p) is not TernaryLinear { UsesLookupTables: true })))
        {
            return weights;
        }

        var owner = new ResourceOwner();
        owner.Track(weights);
        KernelThreadPool? pool = null;
        try
        {
            if (lut)
            {
                int threads = Math.Max(1, KernelDispatch.Features.LogicalCpus);
                pool = threads > 1 ? KernelThreadPool.Create(threads) : null;
            }

            Linear Convert(Linear linear, int bitsIn) => linear switch
            {
                TernaryLinear t => Repack(t, lut, bitsIn, owner, pool, releaseSources),
                SelfQuantizingLinear { Inner: TernaryLinear t } s => s.With(Repack(t, lut, bitsIn, owner, pool, releaseSources)),
                _ => linear,
            };
            var layers = weights.Layers.Select(l => l with
            {
                Query = Convert(l.Query, inputBits),
                Key = Convert(l.Key, inputBits),
                Value = Convert(l.Value, inputBits),
                Output = Convert(l.Output, 8),
                Gate = Convert(l.Gate, inputBits),
                Up = Convert(l.Up, inputBits),
                Down = Convert(l.Down, 8),
            }).ToArray();
            return new ModelWeights(weights.Config, weights.TokenEmbedding, layers, weights.OutputNorm, weights.OutputHead, owner);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
        finally
        {
            pool?.Dispose();
        }
    }

    /// <summary>
    /// Lets go of a projection's weights once they are repacked (only the new layout is read from now on): a buffer the
    /// loader made is freed, a mapped file's pages leave the resident set. The peak memory then holds one layout.
    /// </summary>
    private static void ReleaseSource(ReadOnlyMemory<byte> packed)
    {
        if (!NativeBuffer<byte>.TryFree(packed))
        {
            Formats.MemoryMappedFileView.TryReleasePages(packed);
        }
    }

    private static IEnumerable<Linear> Projections(LayerWeights l) => [l.Query, l.Key, l.Value, l.Output, l.Gate, l.Up, l.Down];

    /// <summary>
    /// The projection on the requested family: I2_S repacks to TL1 for lookup tables (TQ2_0 with per-block scales has no
    /// TL1 form and keeps the multiply-add kernels; the loaders turn uniform-scale TQ files into I2_S first); a TL1
    /// projection asked to run multiply-add is unpacked back to I2_S.
    /// </summary>
    private static TernaryLinear Repack(TernaryLinear t, bool lut, int inputBits, ResourceOwner owner, KernelThreadPool? pool,
        bool releaseSources)
    {
        int n = t.OutFeatures, k = t.InFeatures;
        if (lut && !t.UsesLookupTables && t.Format == TernaryFormat.I2S && k % LutMatmul.ColumnBlock == 0)
        {
            var tl1 = owner.Track(new NativeBuffer<byte>(checked((int)LutMatmul.PackedBytes(n, k))));
            LutMatmul.PackI2S(t.Packed.Span, n, k, tl1.GetSpan(), pool);
            if (releaseSources)
            {
                ReleaseSource(t.Packed);
            }

            return TernaryLinear.LookupTable(t.Name, tl1.Memory, t.Scale, n, k, inputBits);
        }

        if (!lut && t.UsesLookupTables)
        {
            var q = new sbyte[checked((long)n * k)];
            LutMatmul.Unpack(t.Packed.Span, n, k, q);
            var i2s = owner.Track(new NativeBuffer<byte>(checked((int)WeightPacker.PackedBytes(TernaryFormat.I2S, n, k))));
            WeightPacker.Pack(TernaryFormat.I2S, q, 1f, i2s.GetSpan());
            if (releaseSources)
            {
                ReleaseSource(t.Packed);
            }

            return new TernaryLinear(t.Name, TernaryFormat.I2S, i2s.Memory, t.Scale, n, k, inputBits);
        }

        return t.UsesLookupTables
            ? TernaryLinear.LookupTable(t.Name, t.Packed, t.Scale, n, k, inputBits)
            : new TernaryLinear(t.Name, t.Format, t.Packed, t.Scale, n, k, inputBits);
    }
}
