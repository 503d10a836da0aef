using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>Turns the projection formats files use into the layouts the kernels read, once, at load.</summary>
internal static class WeightConversion
{
    /// <summary>
    /// Recovers ternary values and their scale from float weights. Converters usually store BitNet projections as
    /// ternary × scale already (llama.cpp's BitnetModel applies absmean before saving): then every value is 0 or ±s
    /// up to fp16 rounding, and re-applying absmean would shrink the scale to about 2/3. Otherwise (master weights,
    /// e.g. bf16 checkpoints) absmean ternarization is applied, as BitNet does at training time.
    /// </summary>
    public static (sbyte[] Ternary, float Scale, bool WasTernary) Ternarize(ReadOnlySpan<float> w)
    {
        float max = 0;
        foreach (float v in w)
        {
            if (!float.IsFinite(v))
            {
                throw new InvalidDataException("A projection weight is not finite.");
            }

            max = MathF.Max(max, MathF.Abs(v));
        }

        var q = new sbyte[w.Length];
        bool ternary = max > 0;
        float tolerance = max * 2e-3f; // fp16 / bf16 rounding of one scale value
        for (int i = 0; i < w.Length && ternary; i++)
        {
            float a = MathF.Abs(w[i]);
            if (a == 0)
            {
                q[i] = 0;
            }
            else if (MathF.Abs(a - max) <= tolerance)
            {
                q[i] = (sbyte)(w[i] > 0 ? 1 : -1);
            }
            else
            {
                ternary = false;
            }
        }

        if (ternary)
        {
            return (q, max, true);
        }

        float gamma = WeightPacker.TernarizeAbsmean(w, q);
        return (q, gamma, false);
    }

    /// <summary>
    /// Unpacks TQ1_0 or TQ2_0 blocks into ternary values (a native scratch buffer the caller disposes: a tensor's int8
    /// copy is 4x its packed size and should not linger in the managed heap after load) and one scale per 256-weight
    /// block.
    /// </summary>
    public static (NativeBuffer<sbyte> Ternary, float[] BlockScales) UnpackTq(WeightType type, ReadOnlySpan<byte> packed, int n, int k)
    {
        long count = (long)n * k;
        if (count > int.MaxValue)
        {
            throw new InvalidDataException($"{count} weights are too many for one tensor.");
        }

        var q = new NativeBuffer<sbyte>((int)count);
        try
        {
            var scales = new float[count / WeightTypes.Info(type).BlockWeights];
            WeightPacker.Unpack(type, packed, n, k, q.GetSpan(), scales);
            return (q, scales);
        }
        catch
        {
            ((IDisposable)q).Dispose();
            throw;
        }
    }

    /// <summary>The common scale of all blocks, or null when they differ (then the TQ2 kernel keeps per-block scales).</summary>
    public static float? UniformScale(ReadOnlySpan<float> blockScales, ReadOnlySpan<sbyte> q)
    {
        float? scale = null;
        int block = blockScales.Length == 0 ? 0 : q.Length / blockScales.Length;
        for (int b = 0; b < blockScales.Length; b++)
        {
            if (!q.Slice(b * block, block).ContainsAnyExcept((sbyte)0))
            {
                continue; // an all-zero block's scale does not matter (llama-quantize writes 0 there)
            }

            if (scale is null)
            {
                scale = blockScales[b];
            }
            else if (scale != blockScales[b])
            {
                return null;
            }
        }

        return scale ?? 0f;
    }

    /// <summary>Repacks ternary values with per-block scales as TQ2_0 into native memory.</summary>
    public static ReadOnlyMemory<byte> PackTq2(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> blockScales, ResourceOwner owner)
    {
        WeightTypeInfo tq2 = WeightTypes.Info(WeightType.Tq2);
        int block = tq2.BlockWeights, blockBytes = tq2.BlockBytes;
        var buffer = owner.Track(new NativeBuffer<byte>(q.Length / block * blockBytes));
        Span<byte> span = buffer.GetSpan();
        for (int b = 0; b < blockScales.Length; b++)
        {
            WeightPacker.Pack(WeightType.Tq2, q.Slice(b * block, block), 1, block, blockScales[b], span.Slice(b * blockBytes, blockBytes));
        }

        return buffer.Memory;
    }
}

/// <summary>Disposes everything a loaded model's weights point into (memory maps, native buffers), in reverse order.</summary>
internal sealed class ResourceOwner : IDisposable
{
    private readonly List<IDisposable> _resources = new();

    public T Track<T>(T resource)
        where T : IDisposable
    {
        _resources.Add(resource);
        return resource;
    }

    public void Dispose()
    {
        for (int i = _resources.Count - 1; i >= 0; i--)
        {
            _resources[i].Dispose();
        }

        _resources.Clear();
    }
}
