namespace BitNative.Tests.Model;

/// <summary>How closely two runs over the same positions agree: the smallest cosine of their logit vectors, and the
/// fraction of positions where their top tokens are the same.</summary>
internal readonly record struct LogitAgreement(double MinCosine, double Top1)
{
    public static LogitAgreement Of(float[][] expected, float[][] actual)
    {
        double min = 1;
        int same = 0;
        for (int t = 0; t < expected.Length; t++)
        {
            min = Math.Min(min, Cosine(expected[t], actual[t]));
            same += ArgMax(expected[t]) == ArgMax(actual[t]) ? 1 : 0;
        }

        return new LogitAgreement(min, (double)same / expected.Length);
    }

    /// <summary>The engine's logits at every position of <paramref name="tokens"/> for the model file (one thread).</summary>
    public static float[][] EngineLogits(string path, int[] tokens)
    {
        using var model = BitNetModel.Load(path, new ModelOptions { Threads = 1 });
        using InferenceSession session = model.CreateSession();
        float[] logits = session.EvaluateAll(tokens);
        int vocab = model.Config.VocabSize;
        return Enumerable.Range(0, tokens.Length).Select(t => logits.AsSpan(t * vocab, vocab).ToArray()).ToArray();
    }

    public bool Meets(double minCosine, double top1) => MinCosine >= minCosine && Top1 >= top1;

    public override string ToString() => $"min cosine {MinCosine:F5}, top-1 {Top1:P0}";

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    private static int ArgMax(float[] x) => Array.IndexOf(x, x.Max());
}
