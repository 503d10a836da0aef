namespace BitNative.Trainer.Ops;

/// <summary>
/// Rotary position embedding, NeoX / Hugging Face "rotate half" pairing (dimension i with i + hd/2 in each head), as
/// the engine applies it to BitNet files. Angles are computed exactly as the engine's Rope class does (float
/// inverse frequency from a double pow, float angle, MathF.Cos/Sin) so both see the same rotations.
/// </summary>
internal sealed class Rope
{
    private readonly float[] _cos; // [context, hd/2]
    private readonly float[] _sin;
    private readonly int _headDim;
    private readonly int _half;

    public Rope(int headDim, int context, float freqBase)
    {
        _headDim = headDim;
        _half = headDim / 2;
        _cos = new float[context * _half];
        _sin = new float[context * _half];
        for (int i = 0; i < _half; i++)
        {
            float inverseFrequency = (float)(1.0 / Math.Pow(freqBase, 2.0 * i / headDim));
            for (int p = 0; p < context; p++)
            {
                float angle = p * inverseFrequency;
                _cos[p * _half + i] = MathF.Cos(angle);
                _sin[p * _half + i] = MathF.Sin(angle);
            }
        }
    }

    /// <summary>Rotates rows [tokens, width] in place; row r is at position r % context. inverse = the backward pass (rotation by −angle).</summary>
    public void Apply(Memory<float> x, int tokens, int width, int context, bool inverse) =>
        Rows.For(tokens, (first, last) =>
        {
            Span<float> xs = x.Span;
            float sign = inverse ? -1f : 1f;
            for (int t = first; t < last; t++)
            {
                int p = t % context;
                ReadOnlySpan<float> cos = _cos.AsSpan(p * _half, _half), sin = _sin.AsSpan(p * _half, _half);
                for (int h = 0; h < width / _headDim; h++)
                {
                    Span<float> head = xs.Slice(t * width + h * _headDim, _headDim);
                    for (int i = 0; i < _half; i++)
                    {
                        float c = cos[i], s = sign * sin[i];
                        float x0 = head[i], x1 = head[i + _half];
                        head[i] = x0 * c - x1 * s;
                        head[i + _half] = x0 * s + x1 * c;
                    }
                }
            }
        });
}
