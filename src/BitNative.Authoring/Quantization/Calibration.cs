using BitNative.Model;

namespace BitNative.Authoring.Quantization;

/// <summary>
/// What the inputs of one projection looked like over the calibration text: per input column the largest magnitude
/// (LLM.int8()'s outlier criterion) and the mean square (the diagonal of the Hessian X^T X / T that BiLLM ranks salient
/// weights by).
/// </summary>
/// <param name="MaxAbs">[InFeatures] max |x_j| over every calibration token.</param>
/// <param name="MeanSquare">[InFeatures] mean x_j² over every calibration token.</param>
/// <param name="Tokens">Tokens seen.</param>
internal sealed record ColumnStatistics(float[] MaxAbs, double[] MeanSquare, long Tokens);

/// <summary>
/// Runs a full-precision model on calibration text with the engine itself (no second forward pass to keep in step) and
/// records the input columns of every projection. The model is the source written as a dense F16 GGUF first, so any
/// source (a Hugging Face folder, FP8 weights) is calibrated the same way.
/// </summary>
internal static class Calibration
{
    /// <summary>Statistics per projection, keyed by tensor name (blk.0.attn_q.weight).</summary>
    /// <param name="denseModel">A GGUF whose projections read float rows.</param>
    /// <param name="text">The calibration text.</param>
    /// <param name="maxTokens">Tokens to evaluate at most (windows of the model's context, at most 512).</param>
    /// <param name="threads">Kernel threads.</param>
    public static IReadOnlyDictionary<string, ColumnStatistics> Collect(string denseModel, string text, int maxTokens, int threads)
    {
        using BitNetModel model = BitNetModel.Load(denseModel, new ModelOptions { Threads = threads, BatchSize = 64 });
        int[] tokens = model.Tokenize(text, addBos: model.AddsBos);
        int window = Math.Min(512, model.ContextLength);
        if (tokens.Length < 2)
        {
            throw new InvalidDataException("The calibration text holds fewer than two tokens.");
        }

        var maxAbs = new Dictionary<string, float[]>();
        var sumSquares = new Dictionary<string, double[]>();
        var counts = new Dictionary<string, long>();
        using InferenceSession session = model.CreateSession();
        session.InputObserver = (matrix, rows, count) =>
        {
            int k = matrix.InFeatures;
            if (!maxAbs.TryGetValue(matrix.Name, out float[]? max))
            {
                max = maxAbs[matrix.Name] = new float[k];
                sumSquares[matrix.Name] = new double[k];
                counts[matrix.Name] = 0;
            }

            double[] squares = sumSquares[matrix.Name];
            for (int t = 0; t < count; t++)
            {
                ReadOnlySpan<float> row = rows.Slice(t * k, k);
                for (int j = 0; j < k; j++)
                {
                    float v = row[j];
                    max[j] = MathF.Max(max[j], MathF.Abs(v));
                    squares[j] += (double)v * v;
                }
            }

            counts[matrix.Name] += count;
        };
        int limit = Math.Min(tokens.Length, Math.Max(maxTokens, 2));
        for (int start = 0; start < limit; start += window)
        {
            session.Reset();
            session.Evaluate(tokens.AsSpan(start, Math.Min(window, limit - start)));
        }

        return maxAbs.Keys.ToDictionary(name => name, name => new ColumnStatistics(maxAbs[name],
            sumSquares[name].Select(s => s / counts[name]).ToArray(), counts[name]));
    }
}
