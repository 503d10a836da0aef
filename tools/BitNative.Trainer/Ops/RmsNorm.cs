using System.Numerics.Tensors;

namespace BitNative.Trainer.Ops;

/// <summary>
/// RMSNorm per row: y = x · r · w with r = 1 / sqrt(mean(x²) + eps), computed as the engine's TensorOps.RmsNorm does
/// (float sum of squares, x·r first, then ·w) so trainer and engine agree to the last bits where possible.
/// </summary>
internal static class RmsNorm
{
    /// <summary>y[rows, width] and the per-row r (saved for backward).</summary>
    public static void Forward(ReadOnlyMemory<float> x, ReadOnlyMemory<float> w, float eps, int rows, int width, Memory<float> y, Memory<float> rstd) =>
        Rows.For(rows, (first, last) =>
        {
            ReadOnlySpan<float> xs = x.Span, ws = w.Span[..width];
            Span<float> ys = y.Span, rs = rstd.Span;
            for (int t = first; t < last; t++)
            {
                ReadOnlySpan<float> row = xs.Slice(t * width, width);
                float r = 1.0f / MathF.Sqrt(TensorPrimitives.SumOfSquares(row) / width + eps);
                rs[t] = r;
                Span<float> o = ys.Slice(t * width, width);
                TensorPrimitives.Multiply(row, r, o);
                TensorPrimitives.Multiply(o, ws, o);
            }
        });

    /// <summary>
    /// dx += r·(dy⊙w) − x · r³/width · Σ(dy⊙w⊙x) (accumulated: dx already holds the residual gradient);
    /// dw += Σ_rows dy ⊙ x·r. dw is summed in row order on one thread (deterministic).
    /// </summary>
    public static void Backward(ReadOnlyMemory<float> dy, ReadOnlyMemory<float> x, ReadOnlyMemory<float> w, ReadOnlyMemory<float> rstd,
        int rows, int width, Memory<float> dx, Memory<float> dw)
    {
        Rows.For(rows, (first, last) =>
        {
            ReadOnlySpan<float> dys = dy.Span, xs = x.Span, ws = w.Span[..width], rs = rstd.Span;
            Span<float> dxs = dx.Span;
            float[] g = new float[width];
            for (int t = first; t < last; t++)
            {
                ReadOnlySpan<float> xr = x.Span.Slice(t * width, width);
                TensorPrimitives.Multiply(dys.Slice(t * width, width), ws, g); // g = dy ⊙ w
                float r = rs[t];
                float dot = TensorPrimitives.Dot(g, xr);
                float c = -dot * r * r * r / width;
                Span<float> d = dxs.Slice(t * width, width);
                TensorPrimitives.MultiplyAdd(g, r, d, d);
                TensorPrimitives.MultiplyAdd(xr, c, d, d);
            }
        });

        Span<float> dws = dw.Span[..width];
        float[] normed = new float[width];
        for (int t = 0; t < rows; t++)
        {
            TensorPrimitives.Multiply(x.Span.Slice(t * width, width), rstd.Span[t], normed);
            TensorPrimitives.MultiplyAdd(dy.Span.Slice(t * width, width), normed, dws, dws);
        }
    }
}
