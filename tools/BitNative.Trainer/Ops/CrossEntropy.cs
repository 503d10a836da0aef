namespace BitNative.Trainer.Ops;

/// <summary>Softmax cross-entropy per row of logits [N, V]; a target of −1 means "not scored" (loss 0, no gradient).</summary>
internal static class CrossEntropy
{
    /// <summary>losses[t] = logsumexp(logits[t]) − logits[t, target[t]], computed in double as the engine's perplexity does.</summary>
    public static void Forward(ReadOnlyMemory<float> logits, ReadOnlyMemory<int> targets, Memory<float> losses, int rows, int vocab) =>
        Rows.For(rows, (first, last) =>
        {
            ReadOnlySpan<float> ls = logits.Span;
            ReadOnlySpan<int> ts = targets.Span;
            Span<float> os = losses.Span;
            for (int t = first; t < last; t++)
            {
                if (ts[t] < 0)
                {
                    os[t] = 0;
                    continue;
                }

                ReadOnlySpan<float> row = ls.Slice(t * vocab, vocab);
                float max = System.Numerics.Tensors.TensorPrimitives.Max<float>(row);
                double sum = 0;
                foreach (float v in row)
                {
                    sum += Math.Exp(v - max);
                }

                os[t] = (float)(Math.Log(sum) - (row[ts[t]] - max));
            }
        });

    /// <summary>Turns logits into dlogits in place: (softmax − onehot) · scale (scale = 1 / number of scored rows).</summary>
    public static void Backward(Memory<float> logits, ReadOnlyMemory<int> targets, int rows, int vocab, float scale) =>
        Rows.For(rows, (first, last) =>
        {
            Span<float> ls = logits.Span;
            ReadOnlySpan<int> ts = targets.Span;
            for (int t = first; t < last; t++)
            {
                Span<float> row = ls.Slice(t * vocab, vocab);
                if (ts[t] < 0)
                {
                    row.Clear();
                    continue;
                }

                float max = System.Numerics.Tensors.TensorPrimitives.Max<float>(row);
                System.Numerics.Tensors.TensorPrimitives.Subtract(row, max, row);
                System.Numerics.Tensors.TensorPrimitives.Exp(row, row);
                float norm = scale / System.Numerics.Tensors.TensorPrimitives.Sum<float>(row);
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, norm, row);
                row[ts[t]] -= scale;
            }
        });
}
