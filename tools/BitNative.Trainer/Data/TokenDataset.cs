namespace BitNative.Trainer.Data;

/// <summary>
/// A token stream and the training windows drawn from it. A window is T + 1 consecutive tokens w; the model reads
/// [BOS, w1 .. w(T−1)] and predicts [w1 .. wT]: position 0 always holds BOS, exactly like the windows of
/// llama-perplexity (and <c>bitnative perplexity</c>), so training and evaluation see the same kind of input.
/// </summary>
internal sealed class TokenDataset(int[] tokens, int bos)
{
    public int[] Tokens { get; } = tokens;

    public int Bos { get; } = bos;

    /// <summary>Fills [batch, T] inputs and targets for <paramref name="step"/>: offsets drawn from a generator seeded by (seed, step), so a resumed run sees the same batches.</summary>
    public void FillBatch(ulong seed, int step, int batch, int context, int[] inputs, int[] targets)
    {
        if (Tokens.Length < context + 2)
        {
            throw new InvalidOperationException($"The training text has {Tokens.Length} tokens; a window needs {context + 1}.");
        }

        var rng = new Rng(seed, 0x5EED_0000ul + (ulong)step);
        for (int b = 0; b < batch; b++)
        {
            int offset = rng.NextInt(Tokens.Length - context);
            for (int t = 0; t < context; t++)
            {
                inputs[b * context + t] = t == 0 ? Bos : Tokens[offset + t];
                targets[b * context + t] = Tokens[offset + t + 1];
            }
        }
    }
}
