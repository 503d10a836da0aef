using BitNative.Kernels;
using BitNative.Model;
using Xunit;

namespace BitNative.Tests.Model;

public sealed class TransformerTests
{
    public static TheoryData<WeightType, ModelArchitecture> Variants => new()
    {
        { WeightType.I2S, ModelArchitecture.BitNetB158 },
        { WeightType.Tq2, ModelArchitecture.BitNetB158 },
        { WeightType.I2S, ModelArchitecture.BitNet },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void BatchedAndStepwiseForwardMatchTheReferenceAtEveryPosition(WeightType format, ModelArchitecture arch)
    {
        TinyModel model = TinyModel.Create(seed: 11, format, arch);
        ModelConfig c = model.Weights.Config;
        int[] tokens = Enumerable.Range(0, 24).Select(i => (i * 37 + 5) % c.VocabSize).ToArray();

        ReferenceTransformer reference = model.NewReference();
        float[][] expected = tokens.Select(reference.Step).ToArray();

        using var pool = KernelThreadPool.Create(2);
        var transformer = new Transformer(model.Weights, pool);

        // One batch (prefill path), logits of every position.
        var state = new InferenceState(c, maxTokens: 32);
        var cache = new KvCache(c, c.ContextLength);
        var all = new float[tokens.Length * c.VocabSize];
        transformer.Forward(state, cache, tokens, 0, all);

        // Token by token (decode path) on a fresh cache, plus an uneven split: 5 tokens then one at a time.
        var stepCache = new KvCache(c, c.ContextLength);
        var splitCache = new KvCache(c, c.ContextLength);
        var splitState = new InferenceState(c, maxTokens: 32);
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

    [Fact]
    public void TheEightBitHeadStaysCloseToTheF16Reference()
    {
        TinyModel model = TinyModel.Create(seed: 5, WeightType.I2S);
        ModelConfig c = model.Weights.Config;
        using var owner = new ResourceOwner();
        WeightMatrix q8Head = OutputHeads.FromRows("head.q8", model.Weights.TokenEmbedding.ReadRow, c.VocabSize, c.EmbeddingLength,
            BitNative.OutputHeadPrecision.Int8, owner);
        Assert.Equal(WeightType.Q8_0, q8Head.Type);
        var weights = new ModelWeights(c, model.Weights.TokenEmbedding, model.Weights.Layers, model.Weights.OutputNorm, q8Head, owner: null);
        var transformer = new Transformer(weights, pool: null);
        var state = new InferenceState(c, maxTokens: 1);
        var cache = new KvCache(c, c.ContextLength);
        ReferenceTransformer reference = model.NewReference();
        int agree = 0;
        const int steps = 16;
        for (int t = 0; t < steps; t++)
        {
            int token = (t * 53 + 7) % c.VocabSize;
            float[] expected = reference.Step(token);
            transformer.Forward(state, cache, [token], t, default);
            double spread = expected.Max() - expected.Min();
            double maxDiff = expected.Zip(state.Logits, (a, b) => Math.Abs(a - b)).Max();
            // int8 activations (a step of max|x| / 127) and Q8_0 weights (max|w| / 254 per 32 weights): measured ~0.2 % of
            // the logit spread here, bounded at 1 % (five times the F16 head's tolerance)
            Assert.True(maxDiff <= 0.01 * spread, $"t={t}: max |logit diff| {maxDiff:G4} vs spread {spread:G4}");
            agree += Array.IndexOf(expected, expected.Max()) == Array.IndexOf(state.Logits, state.Logits.Max()) ? 1 : 0;
        }

        Assert.True(agree >= steps - 2, $"argmax agreed on {agree} of {steps} steps");
    }

    [Fact]
    public void DecodingAllocatesNothingAndTheProfilerCountsEveryNativeCall()
    {
        TinyModel model = TinyModel.Create(seed: 3, WeightType.I2S);
        ModelConfig c = model.Weights.Config;
        using var pool = KernelThreadPool.Create(2);
        var transformer = new Transformer(model.Weights, pool);
        var state = new InferenceState(c, maxTokens: 8);
        var cache = new KvCache(c, c.ContextLength);
        int[] token = [1];
        Assert.Equal(0, BytesAllocatedDecoding(transformer, state, cache, token));

        state.Profiler = new TransformerProfiler();
        transformer.Forward(state, cache, token, 12, default);
        TransformerProfiler p = state.Profiler;
        // per layer: 3 norms, Q/K/V, RoPE + KV write, attention, output, gate, up, activation + sub-norm, down;
        // per token: the RoPE table, the final norm and the head
        Assert.Equal(13 * c.BlockCount + 3, p.TotalCalls);
        Assert.Equal(1, p.Forwards);
        Assert.True(p.Ticks(ForwardPart.OutputHead) > 0 && p.UntimedTicks >= 0 && p.ForwardTicks >= p.Ticks(ForwardPart.Attention));
    }

    /// <summary>
    /// Bytes the calling thread allocates while <paramref name="transformer"/> decodes <paramref name="token"/> at
    /// positions 4..11, after a prompt of three tokens and one decoded token have put JIT and tiering out of the way.
    /// </summary>
    internal static long BytesAllocatedDecoding(Transformer transformer, InferenceState state, KvCache cache, int[] token)
    {
        transformer.Forward(state, cache, [1, 2, 3], 0, default);
        transformer.Forward(state, cache, token, 3, default);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 4; t < 12; t++)
        {
            transformer.Forward(state, cache, token, t, default);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
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
