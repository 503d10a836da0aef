namespace BitNative.Trainer.Ops;

/// <summary>The 2B-4T FFN hidden layer: h = relu(g)² · u.</summary>
internal static class SquaredReluGate
{
    public static void Forward(ReadOnlyMemory<float> g, ReadOnlyMemory<float> u, Memory<float> h, int count) =>
        Rows.For(count, (first, last) =>
        {
            ReadOnlySpan<float> gs = g.Span, us = u.Span;
            Span<float> hs = h.Span;
            for (int i = first; i < last; i++)
            {
                float r = MathF.Max(gs[i], 0f);
                hs[i] = r * r * us[i];
            }
        });

    /// <summary>dg = dh · u · 2 relu(g); du = dh · relu(g)².</summary>
    public static void Backward(ReadOnlyMemory<float> dh, ReadOnlyMemory<float> g, ReadOnlyMemory<float> u, Memory<float> dg, Memory<float> du, int count) =>
        Rows.For(count, (first, last) =>
        {
            ReadOnlySpan<float> dhs = dh.Span, gs = g.Span, us = u.Span;
            Span<float> dgs = dg.Span, dus = du.Span;
            for (int i = first; i < last; i++)
            {
                float r = MathF.Max(gs[i], 0f);
                dgs[i] = dhs[i] * us[i] * 2f * r;
                dus[i] = dhs[i] * r * r;
            }
        });
}
