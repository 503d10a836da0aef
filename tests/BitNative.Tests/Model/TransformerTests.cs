using BitNative.Kernels;
using BitNative.Model;
using Xunit;

namespace BitNative.Tests.Model;

public sealed class TransformerTests
{
    public static TheoryData<TernaryFormat, ModelArchitecture> Variants => new()
    {
        { TernaryFormat.I2S, ModelArchitecture.BitNetB158 },
        { TernaryFormat.Tq2, ModelArchitecture.BitNetB158 },
        { TernaryFormat.I2S, ModelArchitecture.BitNet },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void BatchedAndStepwiseForwardMatchTheReferenceAtEveryPosition(TernaryFormat format, ModelArchitecture arch)
    {
        TinyModel model = TinyModel.Create(seed: 11, format, arch);
        ModelConfig c = model.Weights.Config;
        int[] tokens = Enumerable.Range(0, 24).Select(i => (i * 37 + 5) % c.VocabSize).ToArray();

        ReferenceTransformer reference = model.NewReference();
        float[][] expected = tokens.Select(reference.Step).ToArray();

        using var pool = KernelThreadPool.Create(2);
        var transformer = new Transformer(model.Weights, pool);

        // One batch (prefill path), logits of every position.
        var state = new InferenceState(c, maxTokens: 32, contextCapacity: c.ContextLength);
        var cache = new KvCache(c, c.ContextLength);
        var all = new float[tokens.Length * c.VocabSize];
        transformer.Forward(state, cache, tokens, 0, all);

        // Token by token (decode path) on a fresh cache, plus an uneven split: 5 tokens then one at a time.
        var stepCache = new KvCache(c, c.ContextLength);
        var splitCache = new KvCache(c, c.ContextLength);
        var splitState = new InferenceState(c, maxTokens: 32, contextCapacity: c.ContextLength);
        transformer.Forward(splitState, splitCache, tokens.AsSpan(0, 5), 0, default);
        for (int t = 0; t < tokens.Length; t++)
        {
            transformer.Forward(state, stepCache, tokens.AsSpan(t, 1), t, default);
            AssertClose(expected[t], state.Logits, $"{format}/{arch} step t={t}");
            AssertClose(expected[t], all.AsSpan(t * c.VocabSize, c.VocabSize).ToArray(), $"{format}/{arch} batch t={t}");
            if (t >= 5)
            {
                transformer.Forward(splitState, splitCache, tokens.AsSpan(t, 1), t, default);
                AssertClose(expected[t], splitState.Logits, $"{format}/{arch} split t={t}");
            }
        }
    }

    /// <summary>
    /// The engine and the reference round differently (float vs double sums), so an int8 activation can land one step
    /// apart now and then; the bound is far below the logit spread, and the argmax must agree.
    /// </summary>
    private static void AssertClose(float[] expected, float[] actual, string where)
    {
        double spread = expected.Max() - expected.Min();
        double maxDiff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= 2e-3 * spread + 1e-4, $"{where}: max |logit diff| {maxDiff:G4} vs spread {spread:G4}");
        Assert.Equal(Array.IndexOf(expected, expected.Max()), Array.IndexOf(actual, actual.Max()));
    }
}
