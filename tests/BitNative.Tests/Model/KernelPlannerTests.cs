using BitNative.Generation;
using BitNative.Authoring.Synthetic;
using BitNative.Kernels;
using BitNative.Model;
using BitNative.Tests.Formats;
using Xunit;

namespace BitNative.Tests.Model;

/// <summary>
/// The lookup-table kernels inside the model: bit-identical logits to the multiply-add kernels for the same quantized
/// inputs (int8 and int4), int4 only on the Q/K/V and gate/up inputs, and the options end to end through a model file,
/// where the planner decides each projection's layout once at load.
/// </summary>
public sealed class KernelPlannerTests
{
    public static TheoryData<ModelArchitecture> Architectures => new() { ModelArchitecture.BitNetB158, ModelArchitecture.BitNet };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void LookupTablesGiveTheMultiplyAddLogitsBitForBitWithInt8AndInt4Inputs(ModelArchitecture arch)
    {
        ModelConfig c = TinyModel.Config(arch);
        int[] tokens = Enumerable.Range(0, 12).Select(i => (i * 53 + 7) % c.VocabSize).ToArray();
        using var pool = KernelThreadPool.Create(2);

        foreach (ActivationBits bits in new[] { ActivationBits.Int8, ActivationBits.Int4 })
        {
            ModelWeights mad = TinyModel.Create(seed: 23, WeightType.I2S, arch, bits).Weights;
            ModelWeights lut = TinyModel.Create(seed: 23, WeightType.Tl1, arch, bits).Weights;
            Assert.All(lut.Layers, l => Assert.Equal(WeightType.Tl1, l.Query.Type));
            Assert.All(mad.Layers, l => Assert.Equal(WeightType.I2S, l.Query.Type));

            float[] expected = AllLogits(mad, tokens, pool, batched: true);
            Assert.Equal(expected, AllLogits(lut, tokens, pool, batched: true)); // prefill path (GEMM)
            Assert.Equal(expected, AllLogits(lut, tokens, pool: null, batched: false)); // decode path (GEMV), one thread
            Assert.All(expected, v => Assert.True(float.IsFinite(v)));
        }
    }

    [Fact]
    public void Int4GoesToTheAttentionAndFeedForwardInputsOnlyAndChangesTheNumerics()
    {
        TinyModel model = TinyModel.Create(seed: 29, WeightType.I2S);
        ModelWeights int4 = TinyModel.Create(seed: 29, WeightType.Tl1, ModelArchitecture.BitNetB158, ActivationBits.Int4).Weights;
        foreach (LayerWeights l in int4.Layers)
        {
            Assert.All(new[] { l.Query, l.Key, l.Value, l.Gate, l.Up }, p => Assert.Equal(4, p.InputBits));
            Assert.All(new[] { l.Output, l.Down }, p => Assert.Equal(8, p.InputBits)); // a4.8 keeps int8 here
        }

        ModelConfig c = model.Weights.Config;
        int[] tokens = Enumerable.Range(0, 8).Select(i => (i * 31 + 3) % c.VocabSize).ToArray();
        float[] int8Logits = AllLogits(model.Weights, tokens, pool: null, batched: true);
        float[] int4Logits = AllLogits(int4, tokens, pool: null, batched: true);
        Assert.All(int4Logits, v => Assert.True(float.IsFinite(v)));
        Assert.NotEqual(int8Logits, int4Logits);
    }

    [Fact]
    public void AutoPicksLookupTablesForInt4AndAnExplicitChoiceWins()
    {
        Assert.Equal(TernaryKernel.LookupTable, KernelPlanner.Resolve(TernaryKernel.Auto, ActivationBits.Int4, Isa.Avx2));
        Assert.Equal(TernaryKernel.LookupTable, KernelPlanner.Resolve(TernaryKernel.Auto, ActivationBits.Int4, Isa.NeonDotProd));
        Assert.Equal(TernaryKernel.MultiplyAdd, KernelPlanner.Resolve(TernaryKernel.Auto, ActivationBits.Int4, Isa.Reference));
        Assert.Equal(TernaryKernel.MultiplyAdd, KernelPlanner.Resolve(TernaryKernel.MultiplyAdd, ActivationBits.Int4, Isa.Avx2));
        Assert.Equal(TernaryKernel.LookupTable, KernelPlanner.Resolve(TernaryKernel.LookupTable, ActivationBits.Int8, Isa.Reference));
        Assert.Throws<ArgumentException>(() => new ModelOptions { Kernel = (TernaryKernel)7 }.Validate());
        Assert.Throws<ArgumentException>(() => new ModelOptions { ActivationBits = (ActivationBits)5 }.Validate());
    }

    /// <summary>
    /// Through a model file: I2_S (read in place) and TQ1_0 (repacked to I2_S, then to TL1) load on the lookup-table
    /// kernels with the multiply-add logits, copied at load or read in place from the mapped file; int4 generates text end
    /// to end.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ModelFilesLoadOnEitherKernelWithIdenticalLogitsAndRunInt4(bool tq1)
    {
        SyntheticWeights weights = tq1 ? SyntheticWeights.Tq1 : SyntheticWeights.I2S;
        using var folder = new TempFolder();
        string path = folder.File("tiny.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.Parse("tiny", weights, SyntheticHead.F16, "bitnet-b1.58", 5, null), path);
        int[] tokens = [1, 17, 300, 42, 9, 250];

        float[] Logits(ModelOptions options, out TernaryKernel kernel)
        {
            using BitNetModel m = BitNetModel.Load(path, options);
            kernel = m.Kernel;
            using InferenceSession s = m.CreateSession();
            return s.EvaluateAll(tokens);
        }

        float[] mad = Logits(new ModelOptions { Threads = 2, Kernel = TernaryKernel.MultiplyAdd }, out TernaryKernel madKernel);
        float[] lut = Logits(new ModelOptions { Threads = 2, Kernel = TernaryKernel.LookupTable }, out TernaryKernel lutKernel);
        Assert.Equal(TernaryKernel.MultiplyAdd, madKernel);
        Assert.Equal(TernaryKernel.LookupTable, lutKernel);
        Assert.Equal(mad, lut);

        // Weights read in place from the mapped file, not copied (and released, after a TL1 repack) at load: same logits.
        Assert.Equal(mad, Logits(new ModelOptions { Threads = 2, Kernel = TernaryKernel.MultiplyAdd, MemoryMapWeights = true }, out _));
        Assert.Equal(mad, Logits(new ModelOptions { Threads = 2, Kernel = TernaryKernel.LookupTable, MemoryMapWeights = true }, out _));

        // int4 on each kernel family gives the same bits; Auto (a measured plan that may pick either) gives them too.
        float[] Int4Logits(TernaryKernel kernel, out TernaryKernel chosen) =>
            Logits(new ModelOptions { Threads = 2, Kernel = kernel, ActivationBits = ActivationBits.Int4 }, out chosen);
        float[] int4Mad = Int4Logits(TernaryKernel.MultiplyAdd, out TernaryKernel int4MadKernel);
        Assert.Equal(TernaryKernel.MultiplyAdd, int4MadKernel);
        Assert.Equal(int4Mad, Int4Logits(TernaryKernel.LookupTable, out TernaryKernel int4LutKernel));
        Assert.Equal(TernaryKernel.LookupTable, int4LutKernel);
        Assert.Equal(int4Mad, Int4Logits(TernaryKernel.Auto, out _));
        Assert.All(int4Mad, v => Assert.True(float.IsFinite(v)));

        using BitNetModel int4 = BitNetModel.Load(path, new ModelOptions { Threads = 2, ActivationBits = ActivationBits.Int4 });
        Assert.Equal(ActivationBits.Int4, int4.ActivationBits);
        using InferenceSession session = int4.CreateSession();
        var settings = new GenerationSettings { MaxTokens = 8, Sampling = new BitNative.Generation.SamplingOptions { Temperature = 0 } };
        string text = string.Concat(session.GenerateAsync("hello", settings, TestContext.Current.CancellationToken)
            .ToBlockingEnumerable(TestContext.Current.CancellationToken));
        Assert.False(string.IsNullOrEmpty(text));
    }

    /// <summary>Logits of every position: one batch (the GEMM path), or token by token (GEMV).</summary>
    private static float[] AllLogits(ModelWeights weights, int[] tokens, KernelThreadPool? pool, bool batched)
    {
        ModelConfig c = weights.Config;
        var transformer = new Transformer(weights, pool);
        var state = new InferenceState(c, maxTokens: 16);
        var cache = new KvCache(c, c.ContextLength);
        var all = new float[tokens.Length * c.VocabSize];
        if (batched)
        {
            transformer.Forward(state, cache, tokens, 0, all);
        }
        else
        {
            for (int t = 0; t < tokens.Length; t++)
            {
                transformer.Forward(state, cache, tokens.AsSpan(t, 1), t, default);
                state.Logits.CopyTo(all.AsSpan(t * c.VocabSize, c.VocabSize));
            }
        }

        return all;
    }
}
