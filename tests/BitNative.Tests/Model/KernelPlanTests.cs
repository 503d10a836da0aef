using BitNative.Authoring.Synthetic;
using System.Text.Json;
using BitNative.Kernels;
using BitNative.Model;
using BitNative.Model.Planning;
using BitNative.Tests.Formats;
using BitNative.Tests.Tokenization;
using Xunit;

namespace BitNative.Tests.Model;

/// <summary>
/// The kernel plan measured at load: it only chooses among variants this CPU runs, its choices never change the logits,
/// it is cached per CPU and build and read back instead of measured again, a damaged or foreign cache file is ignored,
/// and a forced ISA skips the measurement. With top-K sparse inputs (a4.8) the sparse layout is one more measured
/// candidate, timed at the recipe's sparsity, and whichever layout is kept the logits are those of the dense layouts.
/// </summary>
public sealed class KernelPlanTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly string _model;
    private static readonly int[] Tokens = [1, 17, 300, 42, 9, 250, 3];

    public KernelPlanTests()
    {
        _model = _folder.File("tiny.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.Parse("tiny", SyntheticWeights.I2S, SyntheticHead.F16, "bitnet-b1.58", 11, null), _model);
    }

    public void Dispose() => _folder.Dispose();

    private float[] Logits(ModelOptions options, out IReadOnlyList<KernelPlanEntry> plan)
    {
        using BitNetModel model = BitNetModel.Load(_model, options);
        plan = model.KernelPlan;
        using InferenceSession session = model.CreateSession();
        return session.EvaluateAll(Tokens);
    }

    [Fact]
    public void ThePlanChoosesOnlyRunnableVariantsAndNeverChangesTheLogits()
    {
        string cache = _folder.File("cache");
        float[] planned = Logits(new ModelOptions { Threads = 2, CacheDirectory = cache }, out var plan);
        Assert.NotEmpty(plan);
        foreach (KernelPlanEntry e in plan)
        {
            Assert.True(Matmul.IsSupported(e.Layout, e.Key.Input, e.Gemv), $"{e.Key}: {e.Gemv} cannot run {e.Layout}");
            Assert.True(Matmul.IsSupported(e.Layout, e.Key.Input, e.Gemm), $"{e.Key}: {e.Gemm} cannot run {e.Layout}");
            Assert.Contains(e.Layout, new[] { WeightType.I2S, WeightType.Tl1 }); // Auto: multiply-add or lookup tables
            if (e.Timings.Count > 0)
            {
                // the one-token choice is the fastest candidate measured; the batch choice the fastest on the kept layout
                Assert.Equal(e.Timings.Min(t => t.GemvMicroseconds), e.Timings.Single(t => t.Layout == e.Layout && t.Isa == e.Gemv).GemvMicroseconds);
                Assert.Equal(e.Timings.Where(t => t.Layout == e.Layout).Min(t => t.GemmMicroseconds),
                    e.Timings.Single(t => t.Layout == e.Layout && t.Isa == e.Gemm).GemmMicroseconds);
                Assert.All(e.Timings, t => Assert.True(KernelDispatch.IsSupported(t.Isa) && t.Isa != Isa.Reference));
            }
        }

        // every ISA and layout a plan could pick gives the same bits
        foreach (Isa isa in Enum.GetValues<Isa>().Where(KernelDispatch.IsSupported))
        {
            foreach (TernaryKernel kernel in new[] { TernaryKernel.MultiplyAdd, TernaryKernel.LookupTable })
            {
                float[] forced = Logits(new ModelOptions { Threads = 2, Isa = isa, Kernel = kernel }, out var forcedPlan);
                Assert.All(forcedPlan, e => Assert.True(e.Gemv == isa && e.Gemm == isa && e.Timings.Count == 0));
                Assert.Equal(planned, forced);
            }
        }
    }

    [Fact]
    public void APlanIsMeasuredOnceThenReadFromTheCacheAndAForeignOrDamagedFileIsIgnored()
    {
        string cache = _folder.File("cache");
        Logits(new ModelOptions { Threads = 1, CacheDirectory = cache }, out var first);
        string file = Assert.Single(Directory.GetFiles(Path.Combine(cache, "kernel-plans"), "*.json"));
        string written = File.ReadAllText(file);
        AssertThisMachine(file);

        // read back: the same choices and timings (a second measurement would give other timings)
        Logits(new ModelOptions { Threads = 1, CacheDirectory = cache }, out var second);
        Assert.Equal(first.Select(Describe), second.Select(Describe));
        Assert.Equal(written, File.ReadAllText(file));

        // a file whose CPU differs is not this machine's plan: measured again and rewritten
        File.WriteAllText(file, written.Replace(MachineIdentity.Cpu.Replace("'", "\\u0027"), "another CPU"));
        Logits(new ModelOptions { Threads = 1, CacheDirectory = cache }, out var remeasured);
        Assert.Equal(first.Count, remeasured.Count);
        AssertThisMachine(file);

        // a damaged file loads (measured again) and is replaced by a valid one
        File.WriteAllText(file, "{ not json");
        float[] logits = Logits(new ModelOptions { Threads = 1, CacheDirectory = cache }, out _);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        AssertThisMachine(file);
    }

    private static void AssertThisMachine(string file)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
        Assert.Equal(MachineIdentity.Cpu, doc.RootElement.GetProperty("Cpu").GetString());
        Assert.Equal(MachineIdentity.Library, doc.RootElement.GetProperty("Library").GetString());
    }

    [Fact]
    public void ThePlanIsKeyedByThreadsAndKernelFamily()
    {
        string cache = _folder.File("cache");
        Logits(new ModelOptions { Threads = 1, CacheDirectory = cache }, out var one);
        Logits(new ModelOptions { Threads = 2, CacheDirectory = cache }, out var two);
        Logits(new ModelOptions { Threads = 1, Kernel = TernaryKernel.MultiplyAdd, CacheDirectory = cache }, out var mad);
        Assert.All(one, e => Assert.Equal(1, e.Key.Threads));
        Assert.All(two, e => Assert.Equal(2, e.Key.Threads));
        Assert.All(mad, e => Assert.Equal(WeightType.I2S, e.Layout));
    }

    /// <summary>Whether some SIMD ISA of this CPU has a sparse (I2ST) kernel, so the plan has I2ST to time.</summary>
    private static bool SparseKernelsRun => Enum.GetValues<Isa>()
        .Any(i => i != Isa.Reference && KernelDispatch.IsSupported(i) && Matmul.IsSupported(WeightType.I2ST, ActivationType.Int8, i));

    public static TheoryData<string> SparseModels => new() { "tiny --sparsity 0.5,0.8", "default-a48" };

    /// <summary>
    /// A sparse projection's plan times the sparse layout against the dense ones on rows with the recipe's zeros, for the
    /// tiny model with <see cref="ModelOptions.Sparsity"/> and for the shipped a4.8 model with its own recipe; whichever
    /// layout it keeps, the logits (a prompt batch, and token by token) are bit for bit those of every projection in
    /// I2_S with the same top-K, as are those of every other layout the plan could keep.
    /// </summary>
    [Theory]
    [MemberData(nameof(SparseModels))]
    public void ASparseProjectionIsTimedAgainstTheDenseLayoutsAndEveryChoiceGivesTheDenseLayoutsBits(string which)
    {
        string path = which == "default-a48"
            ? Path.Combine(TokenizerTestData.RepositoryRoot() ?? throw new DirectoryNotFoundException("repository root"), "models", "default-a48.gguf")
            : _model;
        TopKSparsity? sparsity = which == "default-a48" ? null : new TopKSparsity(0.5f, 0.8f); // null: the file's recipe (0.5, 0.8)
        var options = new ModelOptions { Threads = 2, Sparsity = sparsity, CacheDirectory = _folder.File("cache") };

        float[] batched, stepwise;
        IReadOnlyList<KernelPlanEntry> plan;
        ModelRecipe recipe;
        using (BitNetModel model = BitNetModel.Load(path, options))
        {
            plan = model.KernelPlan;
            recipe = model.Recipe;
            using InferenceSession batch = model.CreateSession();
            batched = batch.EvaluateAll(Tokens);
            using InferenceSession steps = model.CreateSession();
            stepwise = Tokens.SelectMany(t => steps.EvaluateAll([t])).ToArray();
        }

        Assert.Equal((0.5f, 0.8f), (recipe.AttentionOutputSparsity, recipe.FeedForwardDownSparsity));
        KernelPlanEntry[] sparse = plan.Where(e => e.Key.Sparsity > 0f).ToArray();
        Assert.Equal(new[] { 0.5f, 0.8f }, sparse.Select(e => e.Key.Sparsity).Order()); // o_proj and down_proj
        foreach (KernelPlanEntry e in plan)
        {
            Assert.True(Matmul.IsSupported(e.Layout, e.Key.Input, e.Gemv) && Matmul.IsSupported(e.Layout, e.Key.Input, e.Gemm), $"{e.Key}");
            if (e.Key.Sparsity == 0f)
            {
                Assert.DoesNotContain(e.Timings, t => t.Layout == WeightType.I2ST); // dense rows: the sparse layout is no candidate
                continue;
            }

            Assert.Equal(ActivationType.Int8, e.Key.Input);
            Assert.Contains(e.Layout, new[] { WeightType.I2ST, WeightType.I2S, WeightType.Tl1 });
            if (SparseKernelsRun)
            {
                // measured: both the sparse and the dense multiply-add layout were timed, and the fastest one token was kept
                Assert.Contains(e.Timings, t => t.Layout == WeightType.I2ST);
                Assert.Contains(e.Timings, t => t.Layout == WeightType.I2S);
                Assert.Equal(e.Timings.Min(t => t.GemvMicroseconds), e.Timings.Single(t => t.Layout == e.Layout && t.Isa == e.Gemv).GemvMicroseconds);
            }
        }

        // The dense run with the same top-K: every projection I2_S (loaded dense, without a plan), the transformer
        // sparsifying the o_proj / down_proj rows; then the same weights with those two in each layout a plan may keep.
        LoadedModel dense = ModelLoader.Load(path, new ModelLoadOptions { Kernel = TernaryKernel.MultiplyAdd, Sparsity = TopKSparsity.None });
        using var owner = new ResourceOwner();
        try
        {
            Assert.All(dense.Weights.Layers, l => Assert.Equal((WeightType.I2S, WeightType.I2S), (l.Output.Type, l.Down.Type)));
            using var pool = KernelThreadPool.Create(2);
            float[] expected = TransformerLogits(dense.Weights, recipe, pool, batched: true);
            AssertSameBits(expected, batched, $"{which}: planned, a batch");
            AssertSameBits(TransformerLogits(dense.Weights, recipe, pool, batched: false), stepwise, $"{which}: planned, token by token");
            foreach (WeightType layout in new[] { WeightType.I2ST, WeightType.Tl1 })
            {
                WeightMatrix Converted(WeightMatrix m)
                {
                    var buffer = owner.Track(new NativeBuffer<byte>(checked((int)WeightTypes.Bytes(layout, m.OutFeatures, m.InFeatures))));
                    WeightPacker.Repack(WeightType.I2S, m.Bytes.Span, layout, m.OutFeatures, m.InFeatures, buffer.GetSpan(), null);
                    return new WeightMatrix(m.Name, layout, buffer.Memory, m.Scale, m.OutFeatures, m.InFeatures, m.Input);
                }

                ModelWeights w = dense.Weights;
                var converted = new ModelWeights(w.Config, w.TokenEmbedding,
                    w.Layers.Select(l => l with { Output = Converted(l.Output), Down = Converted(l.Down) }).ToList(), w.OutputNorm, w.OutputHead, null);
                AssertSameBits(expected, TransformerLogits(converted, recipe, pool, batched: true), $"{which}: {layout}, a batch");
                AssertSameBits(expected, TransformerLogits(converted, recipe, null, batched: false), $"{which}: {layout}, token by token");
            }
        }
        finally
        {
            dense.Weights.Dispose();
        }
    }

    /// <summary>A forced ISA keeps the fixed rule: every sparse I2_S projection on the sparse layout, nothing measured, the same bits.</summary>
    [Fact]
    public void AForcedIsaPutsSparseProjectionsOnTheSparseLayoutUnmeasured()
    {
        var sparsity = new TopKSparsity(0.5f, 0.8f);
        float[] planned = Logits(new ModelOptions { Threads = 2, Sparsity = sparsity, CacheDirectory = _folder.File("cache") }, out _);
        foreach (Isa isa in Enum.GetValues<Isa>().Where(KernelDispatch.IsSupported))
        {
            float[] forced = Logits(new ModelOptions { Threads = 2, Isa = isa, Sparsity = sparsity }, out var plan);
            Assert.All(plan, e => Assert.True(e.Gemv == isa && e.Gemm == isa && e.Timings.Count == 0));
            Assert.All(plan.Where(e => e.Key.Sparsity > 0f), e => Assert.Equal(WeightType.I2ST, e.Layout));
            Assert.Equal(planned, forced);
        }
    }

    /// <summary>
    /// Dense and sparse plans of the same shapes live side by side in the cache: a plan measured on dense rows is never
    /// read for sparse ones, nor one of another sparsity, and each is read back as it was measured.
    /// </summary>
    [Fact]
    public void ThePlanIsKeyedBySparsity()
    {
        string cache = _folder.File("cache");
        ModelOptions Options(TopKSparsity? s) => new() { Threads = 1, Sparsity = s, CacheDirectory = cache };
        Logits(Options(null), out var dense);
        Logits(Options(new TopKSparsity(0.5f, 0.8f)), out var sparse);
        Logits(Options(new TopKSparsity(0.5f, 0.9f)), out var sparser);
        Assert.All(dense, e => Assert.Equal(0f, e.Key.Sparsity));
        Assert.Equal(new[] { 0.5f, 0.8f }, sparse.Select(e => e.Key.Sparsity).Where(s => s > 0f).Order()); // q/k/v, gate/up: dense
        Assert.Equal(new[] { 0.5f, 0.9f }, sparser.Select(e => e.Key.Sparsity).Where(s => s > 0f).Order());

        // the o_proj shape (d x q) is also q_proj's: one dense entry without sparsity, a dense and a sparse one with it
        KernelPlanKey output = sparse.Single(e => e.Key.Sparsity == 0.5f).Key;
        Assert.Single(dense, e => (e.Key.N, e.Key.K) == (output.N, output.K));
        Assert.Equal(2, sparse.Count(e => (e.Key.N, e.Key.K) == (output.N, output.K)));
        using (JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Assert.Single(Directory.GetFiles(Path.Combine(cache, "kernel-plans"), "*.json")))))
        {
            Assert.Equal(dense.Concat(sparse).Concat(sparser).Select(e => e.Key).Distinct().Count(), doc.RootElement.GetProperty("Entries").GetArrayLength());
        }

        Logits(Options(null), out var denseAgain);
        Logits(Options(new TopKSparsity(0.5f, 0.8f)), out var sparseAgain);
        Assert.Equal(dense.Select(Describe), denseAgain.Select(Describe));
        Assert.Equal(sparse.Select(Describe), sparseAgain.Select(Describe));
    }

    /// <summary>Logits of every position through <see cref="Transformer"/> with <paramref name="recipe"/>: one batch, or token by token.</summary>
    private static float[] TransformerLogits(ModelWeights weights, ModelRecipe recipe, KernelThreadPool? pool, bool batched)
    {
        ModelConfig c = weights.Config;
        var transformer = new Transformer(weights, pool, recipe);
        var state = new InferenceState(c, maxTokens: Tokens.Length);
        KvCache cache = transformer.CreateCache(c.ContextLength);
        var all = new float[Tokens.Length * c.VocabSize];
        if (batched)
        {
            transformer.Forward(state, cache, Tokens, 0, all);
            return all;
        }

        for (int t = 0; t < Tokens.Length; t++)
        {
            transformer.Forward(state, cache, Tokens.AsSpan(t, 1), t, default);
            state.Logits.CopyTo(all.AsSpan(t * c.VocabSize, c.VocabSize));
        }

        return all;
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}, logit {i}: {actual[i]:R} vs {expected[i]:R}");
        }
    }

    private static string Describe(KernelPlanEntry e) =>
        $"{e.Key} {e.Layout} {e.Gemv} {e.Gemm} {string.Join(",", e.Timings.Select(t => $"{t.Layout}/{t.Isa}={t.GemvMicroseconds}/{t.GemmMicroseconds}"))}";
}
