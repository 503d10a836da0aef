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
            BitNative.Model.OutputHeadPrecision.Int8, owner);
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

    [Fact]
    public void QuantizedKvCachesStayCloseToTheF16One()
    {
        TinyModel model = TinyModel.Create(seed: 7, WeightType.I2S);
        ModelConfig c = model.Weights.Config;
        float[][] Run(KvCacheType type)
        {
            var transformer = new Transformer(model.Weights, null, ModelRecipe.B158 with { KvCache = type });
            var state = new InferenceState(c, maxTokens: 8);
            KvCache cache = transformer.CreateCache(c.ContextLength);
            Assert.Equal(type, cache.Type);
            transformer.Forward(state, cache, [5, 9, 13, 17, 21], 0, default);
            var steps = new List<float[]>();
            for (int t = 5; t < 20; t++)
            {
                transformer.Forward(state, cache, [(t * 31 + 3) % c.VocabSize], t, default);
                steps.Add(state.Logits.ToArray());
            }

            return steps.ToArray();
        }

        float[][] f16 = Run(KvCacheType.F16);
        foreach (var (type, bound) in new[] { (KvCacheType.Q8, 0.01), (KvCacheType.Q4, 0.08), (KvCacheType.Q3, 0.2) })
        {
            float[][] q = Run(type);
            for (int t = 0; t < f16.Length; t++)
            {
                double spread = f16[t].Max() - f16[t].Min();
                double maxDiff = f16[t].Zip(q[t], (a, b) => Math.Abs(a - b)).Max();
                Assert.True(maxDiff <= bound * spread, $"{type} step {t}: max |logit diff| {maxDiff:G4} vs spread {spread:G4}");
            }
        }

        Assert.Equal(2L * c.BlockCount * c.ContextLength * c.KvHeadCount * 28, c.KvCacheBytes(c.ContextLength, KvCacheType.Q3));
    }

    [Fact]
    public void TheSparseLayoutGivesTheDenseLayoutsBitsUnderTopK()
    {
        TinyModel model = TinyModel.Create(seed: 11, WeightType.I2S);
        ModelConfig c = model.Weights.Config;
        using var owner = new ResourceOwner();
        WeightMatrix Transposed(WeightMatrix m)
        {
            var buffer = owner.Track(new NativeBuffer<byte>(checked((int)WeightTypes.Bytes(WeightType.I2ST, m.OutFeatures, m.InFeatures))));
            WeightPacker.Repack(WeightType.I2S, m.Bytes.Span, WeightType.I2ST, m.OutFeatures, m.InFeatures, buffer.GetSpan(), null);
            return new WeightMatrix(m.Name, WeightType.I2ST, buffer.Memory, m.Scale, m.OutFeatures, m.InFeatures, m.Input);
        }

        var sparseLayers = model.Weights.Layers.Select(l => l with { Output = Transposed(l.Output), Down = Transposed(l.Down) }).ToList();
        var sparseWeights = new ModelWeights(c, model.Weights.TokenEmbedding, sparseLayers, model.Weights.OutputNorm, model.Weights.OutputHead, null);
        ModelRecipe recipe = ModelRecipe.B158 with { AttentionOutputSparsity = 0.5f, FeedForwardDownSparsity = 0.8f, KvCache = KvCacheType.Q4 };
        using var pool = KernelThreadPool.Create(2);
        float[] Logits(ModelWeights w)
        {
            var transformer = new Transformer(w, pool, recipe);
            var state = new InferenceState(c, maxTokens: 8);
            KvCache cache = transformer.CreateCache(c.ContextLength);
            var all = new float[6 * c.VocabSize];
            transformer.Forward(state, cache, [3, 1, 4, 1, 5, 9], 0, all); // a batch (prefill)
            transformer.Forward(state, cache, [2], 6, default);             // and one token (decode)
            return all.Concat(state.Logits).ToArray();
        }

        float[] dense = Logits(model.Weights), sparse = Logits(sparseWeights);
        Assert.Equal(dense.Length, sparse.Length);
        for (int i = 0; i < dense.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(dense[i]) == BitConverter.SingleToInt32Bits(sparse[i]), $"logit {i}: {sparse[i]:R} vs {dense[i]:R}");
        }
    }

    [Fact]
    public void DecodingWithEveryA48AndV2PieceAllocatesNothing()
    {
        TinyModel model = TinyModel.Create(seed: 3, WeightType.I2S);
        ModelConfig c = model.Weights.Config;
        using var pool = KernelThreadPool.Create(2);
        foreach (ModelRecipe recipe in new[]
                 {
                     ModelRecipe.B158 with { AttentionOutputSparsity = 0.5f, FeedForwardDownSparsity = 0.8f, KvCache = KvCacheType.Q3 },
                     ModelRecipe.B158 with { Hadamard = true, KvCache = KvCacheType.Q4 },
                 })
        {
            var transformer = new Transformer(model.Weights, pool, recipe);
            var state = new InferenceState(c, maxTokens: 8) { Activity = new ActivityCounter() };
            Assert.Equal(0, BytesAllocatedDecoding(transformer, state, transformer.CreateCache(c.ContextLength), [1]));
            if (recipe.AttentionOutputSparsity > 0)
            {
                Assert.Equal(0.5, state.Activity.Density(ProjectionInput.AttentionOutput), 3);
                Assert.True(state.Activity.Density(ProjectionInput.FeedForwardDown) <= (double)ActivationTransforms.KeepCount(c.FeedForwardLength, 0.8f) / c.FeedForwardLength);
                Assert.True(state.Activity.ActiveShare(c) < 1.0);
            }
        }
    }

    /// <summary>
    /// Bytes the calling thread allocates while <paramref name="transformer"/> decodes <paramref name="token"/> at
    /// positions 5..12, after a prompt of three tokens and decoded tokens have put JIT and tiering out of the way.
    /// </summary>
    internal static long BytesAllocatedDecoding(Transformer transformer, InferenceState state, KvCache cache, int[] token)
    {
        transformer.Forward(state, cache, [1, 2, 3], 0, default);
        transformer.Forward(state, cache, token, 3, default);
        // The least of three windows: a garbage collection that other tests' threads trigger inside a window retires
        // this thread's allocation context and can count its unused few KB as allocated; an allocation of the forward
        // pass itself shows in every window. (The first call after a collection allocates a little runtime state, so
        // each window starts one token after it.)
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 3 && least > 0; attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            transformer.Forward(state, cache, token, 4, default);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int t = 5; t < 13; t++)
            {
                transformer.Forward(state, cache, token, t, default);
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
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
