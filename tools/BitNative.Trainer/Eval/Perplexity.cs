using BitNative.Trainer.Model;

namespace BitNative.Trainer.Eval;

/// <summary>
/// Perplexity exactly as <c>bitnative perplexity</c> (llama-perplexity) computes it: the text's tokens (with BOS) cut
/// into non-overlapping windows of T, each window's first token replaced by BOS, and only positions T/2 .. T−2 scored
/// (each predicts the next token with at least T/2 tokens of context).
/// </summary>
internal static class Perplexity
{
    internal sealed record Result(double Value, double MeanLoss, int Windows, long Scored);

    public static Result Evaluate(TrainingModel model, int[] tokens, int bos, int maxWindows, int batch)
    {
        int context = model.Shape.Context;
        int windows = tokens.Length / context;
        if (maxWindows > 0)
        {
            windows = Math.Min(windows, maxWindows);
        }

        if (windows == 0)
        {
            throw new InvalidOperationException($"The text has {tokens.Length} tokens; perplexity needs a window of {context}.");
        }

        var inputs = new int[batch * context];
        var targets = new int[batch * context];
        double sum = 0;
        long count = 0;
        for (int first = 0; first < windows; first += batch)
        {
            int nb = Math.Min(batch, windows - first);
            for (int b = 0; b < nb; b++)
            {
                ReadOnlySpan<int> window = tokens.AsSpan((first + b) * context, context);
                for (int j = 0; j < context; j++)
                {
                    inputs[b * context + j] = j == 0 ? bos : window[j];
                    targets[b * context + j] = j >= context / 2 && j < context - 1 ? window[j + 1] : -1;
                }
            }

            model.Forward(inputs, targets, nb);
            ReadOnlySpan<float> losses = model.Losses;
            for (int i = 0; i < nb * context; i++)
            {
                if (targets[i] >= 0)
                {
                    sum += losses[i];
                    count++;
                }
            }
        }

        double mean = sum / count;
        return new Result(Math.Exp(mean), mean, windows, count);
    }
}
