using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>Turns the projection formats files use into the layouts the kernels read, once, at load.</summary>
internal static class WeightConversion
{
    /// <summary>
    /// The projections of a GGUF file stored as F16/F32: llama.cpp's converter (BitnetModel) writes BitNet projections as
    /// ternary × scale, already quantized with absmean; then every value is 0 or ±s up to fp16 rounding, and absmean
    /// applied again would shrink the scale to about 2/3, so the values and s = max |w| are recovered instead.
    /// Other float projections (master weights) are ternarized with absmean, as BitNet does at training time. This is a
    /// rule of the GGUF converters only: Hugging Face checkpoints follow transformers (<see cref="TernarizeOnline"/>).
    /// </summary>
    public static (sbyte[] Ternary, float Scale) TernarizeGgufFloats(ReadOnlySpan<float> w)
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
            return (q, max);
        }

        float gamma = WeightPacker.TernarizeAbsmean(w, q);
        return (q, gamma);
    }

    /// <summary>
    /// transformers' online weight quantization (integrations/bitnet.py, WeightQuant, run by AutoBitLinear in
    /// quantization_mode "online"), in float32 as it computes: s = 1 / max(mean|W|, 1e-5), q = clamp(round(W·s), -1, 1)
    /// with round half to even (torch.round), and the weight it multiplies by is q / s. The mean is summed in double
    /// and rounded once, within an ulp of torch's float32 tree reduction. Applied to every master, whatever its values
    /// look like: weights that are already ternary-valued get the absmean scale too (2/3 of |w| when a third are 0), as
    /// in transformers. The native absmean kernel is not used: it divides by mean + 1e-5, a different rule.
    /// </summary>
    /// <returns>The ternary values and the scale 1 / s.</returns>
    public static (sbyte[] Ternary, float Scale) TernarizeOnline(ReadOnlySpan<float> w)
    {
        double sum = 0; // in double: a projection has millions of weights, too many for a float sum to stay exact
        foreach (float v in w)
        {
            if (!float.IsFinite(v))
            {
                throw new InvalidDataException("A projection weight is not finite.");
            }

            sum += MathF.Abs(v);
        }

        float mean = w.Length > 0 ? (float)(sum / w.Length) : 0f;
        float s = 1f / MathF.Max(mean, 1e-5f);
        var q = new sbyte[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            q[i] = (sbyte)Math.Clamp(MathF.Round(w[i] * s, MidpointRounding.ToEven), -1f, 1f);
        }

        return (q, 1f / s);
    }

    /// <summary>
    /// When every value of <paramref name="w"/> is exactly 0 or ±s for one s (a float weight that holds ternary values
    /// times one scale), its ternary values and s; otherwise null. An exact test, not a tolerance: it decides only
    /// whether a weight can be stored in the ternary layout without changing a single product.
    /// </summary>
    public static (sbyte[] Ternary, float Scale)? ExactTernary(ReadOnlySpan<float> w)
    {
        float s = 0;
        var q = new sbyte[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            float a = MathF.Abs(w[i]);
            if (!float.IsFinite(a))
            {
                throw new InvalidDataException("A projection weight is not finite.");
            }

            if (a == 0)
            {
                continue;
            }

            if (s == 0)
            {
                s = a;
            }
            else if (a != s)
            {
                return null;
            }

            q[i] = (sbyte)(w[i] > 0 ? 1 : -1);
        }

        return (q, s);
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
