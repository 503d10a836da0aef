using BitNative.Kernels;
using BitNative.Model;
using BitNative.Tests.Formats;
using Xunit;

namespace BitNative.Tests.Model;

/// <summary>
/// Hugging Face checkpoints written from transformers' conventions (<see cref="HfCheckpointWriter"/>) load and run as
/// transformers runs them (<see cref="TransformersReference"/>): every combination of model type (BitNet, and
/// Falcon3-1.58bit-style llama), linear class, quantization mode, stored weights (packed, ternary-valued floats,
/// continuous floats), stored scales above or below 1 and tied or untied head, plus use_rms_norm, modules_to_not_convert,
/// default keys, sharding and no quantization_config at all. Each one, exported to GGUF where GGUF can hold it, gives the
/// same logits from the GGUF file.
/// </summary>
public sealed class HuggingFaceCheckpointTests(ITestOutputHelper output) : TempFolderTests
{
    private const int Positions = 48;
    private const double MinCosine = 0.99, MinTop1 = 0.85;

    private static readonly Dictionary<string, HfCheckpointSpec> Cases = BuildCases();

    public static TheoryData<string> Matrix
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (string name in Cases.Keys)
            {
                data.Add(name);
            }

            return data;
        }
    }

    private static Dictionary<string, HfCheckpointSpec> BuildCases()
    {
        var specs = new List<HfCheckpointSpec>();
        (string Class, string Mode, HfWeights Weights)[] classes =
        [
            ("bitlinear", "offline", HfWeights.Packed),
            ("bitlinear", "online", HfWeights.Packed),            // BitLinear ignores the mode: packed either way
            ("autobitlinear", "offline", HfWeights.Packed),
            ("autobitlinear", "offline", HfWeights.FloatTernary),
            ("autobitlinear", "offline", HfWeights.FloatContinuous),
            ("autobitlinear", "online", HfWeights.FloatTernary),
            ("autobitlinear", "online", HfWeights.FloatContinuous),
        ];
        foreach (string modelType in new[] { "bitnet", "llama" })
        {
            foreach (var (cls, mode, weights) in classes)
            {
                foreach (bool above in new[] { true, false })
                {
                    foreach (bool tie in new[] { true, false })
                    {
                        specs.Add(new HfCheckpointSpec(modelType, cls, mode, tie, above, weights));
                    }
                }
            }
        }

        // Keys left out: BitNetQuantConfig's bitlinear / offline, and tie_word_embeddings false.
        specs.Add(new HfCheckpointSpec("bitnet", null, null, null, true, HfWeights.Packed));
        // Falcon3-1.58bit's own quantization_config: {"modules_to_not_convert": ["lm_head"], "quant_method": "bitnet"}.
        specs.Add(new HfCheckpointSpec("llama", null, null, false, true, HfWeights.Packed, ModulesToNotConvert: ["lm_head"]));
        specs.Add(new HfCheckpointSpec("bitnet", "autobitlinear", "online", false, false, HfWeights.FloatContinuous, HiddenAct: "silu"));
        specs.Add(new HfCheckpointSpec("bitnet", "bitlinear", "offline", true, true, HfWeights.Packed, UseRmsNorm: true));
        specs.Add(new HfCheckpointSpec("bitnet", "autobitlinear", "online", false, false, HfWeights.FloatContinuous, UseRmsNorm: true));
        specs.Add(new HfCheckpointSpec("llama", "autobitlinear", "offline", false, false, HfWeights.Packed, UseRmsNorm: true));
        specs.Add(new HfCheckpointSpec("bitnet", "autobitlinear", "online", true, false, HfWeights.FloatContinuous,
            ModulesToNotConvert: ["model.layers.0.self_attn.k_proj", "model.layers.1.mlp.down_proj"]));
        specs.Add(new HfCheckpointSpec("llama", "bitlinear", "offline", false, true, HfWeights.Packed,
            ModulesToNotConvert: ["lm_head", "model.layers.1.mlp.up_proj"], UseRmsNorm: true));
        specs.Add(new HfCheckpointSpec("bitnet", "autobitlinear", "offline", true, false, HfWeights.Packed, Sharded: true));
        specs.Add(new HfCheckpointSpec("bitnet", null, null, false, false, HfWeights.FloatContinuous, NoQuantizationConfig: true));
        specs.Add(new HfCheckpointSpec("llama", null, null, true, false, HfWeights.FloatContinuous, NoQuantizationConfig: true));
        return specs.ToDictionary(s => s.ToString());
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void CheckpointRunsAsTransformersRunsIt(string name)
    {
        HfCheckpointSpec spec = Cases[name];
        string dir = HfCheckpointWriter.Write(Folder.File("hf"), spec, seed: Cases.Keys.ToList().IndexOf(name) + 1);
        TransformersModel transformers = TransformersReference.Load(dir);
        int[] tokens = Tokens();
        float[][] expected = Run(transformers.NewReference(), tokens);

        float[][] fromHf = Run(dir, tokens);
        LogitAgreement hf = LogitAgreement.Of(expected, fromHf);
        output.WriteLine($"{name}: safetensors vs transformers' rules: {hf}");
        Assert.True(hf.Meets(MinCosine, MinTop1), $"{name}: safetensors vs transformers' rules: {hf}");

        if (!HfGgufExport.CanExport(transformers))
        {
            output.WriteLine($"{name}: not exported (GGUF has no per-module input norm or float projection in a BitNet file)");
            return;
        }

        string gguf = Folder.File("exported.gguf");
        HfGgufExport.Write(transformers, HfCheckpointWriter.Tokenizer, gguf);
        float[][] fromGguf = Run(gguf, tokens);
        LogitAgreement ggufVsReference = LogitAgreement.Of(expected, fromGguf), ggufVsHf = LogitAgreement.Of(fromHf, fromGguf);
        output.WriteLine($"{name}: GGUF vs transformers' rules: {ggufVsReference}; GGUF vs safetensors: {ggufVsHf}");
        Assert.True(ggufVsReference.Meets(MinCosine, MinTop1), $"{name}: GGUF vs transformers' rules: {ggufVsReference}");
        // The same weights and kernels: equal up to float rounding (a llama file's RoPE rotates the converter's permuted
        // Q/K rows in interleaved pairs, which rounds differently, and a near-tie in an int8 rounding can then flip).
        Assert.True(ggufVsHf.Meets(0.999, 0.95), $"{name}: GGUF vs safetensors: {ggufVsHf}");
    }

    /// <summary>
    /// The test can tell the rules apart: the same checkpoints read with the heuristics they replace (the weight_scale
    /// direction picked by its value, an absent tie_word_embeddings taken as tied, max |W| as the scale of ternary-valued
    /// masters) are far from what transformers computes.
    /// </summary>
    [Theory]
    [InlineData("weight_scale direction by value")]
    [InlineData("absent tie_word_embeddings as tied")]
    [InlineData("max |W| scale for ternary-valued masters")]
    public void TheReplacedHeuristicsWouldFail(string heuristic)
    {
        HfCheckpointSpec spec = heuristic switch
        {
            "weight_scale direction by value" => new HfCheckpointSpec("bitnet", "autobitlinear", "offline", true, true, HfWeights.Packed),
            "absent tie_word_embeddings as tied" => new HfCheckpointSpec("bitnet", "bitlinear", "offline", null, true, HfWeights.Packed),
            _ => new HfCheckpointSpec("bitnet", "autobitlinear", "online", true, true, HfWeights.FloatTernary),
        };
        string dir = HfCheckpointWriter.Write(Folder.File("hf"), spec, seed: 77);
        TransformersModel right = TransformersReference.Load(dir);
        ReferenceLinear Wrong(ReferenceLinear p) => heuristic == "weight_scale direction by value"
            ? p with { Scale = 1f / p.Scale }             // > 1 was taken for an inverse and divided by
            : p with { Scale = p.Scale / (p.Ternary!.Count(v => v != 0) / (float)p.Ternary!.Length) }; // max |W| = mean |W| / p
        TransformersModel wrong = heuristic == "absent tie_word_embeddings as tied"
            ? right with { Head = right.Embedding }
            : right with
            {
                Layers = right.Layers.Select(l => l with
                {
                    Q = Wrong(l.Q), K = Wrong(l.K), V = Wrong(l.V), O = Wrong(l.O), Gate = Wrong(l.Gate), Up = Wrong(l.Up), Down = Wrong(l.Down),
                }).ToArray(),
            };

        int[] tokens = Tokens();
        LogitAgreement engine = LogitAgreement.Of(Run(right.NewReference(), tokens), Run(dir, tokens));
        LogitAgreement heuristicResult = LogitAgreement.Of(Run(right.NewReference(), tokens), Run(wrong.NewReference(), tokens));
        output.WriteLine($"{heuristic}: engine {engine}; the heuristic {heuristicResult}");
        Assert.True(engine.Meets(MinCosine, MinTop1), $"engine: {engine}");
        Assert.False(heuristicResult.Meets(MinCosine, MinTop1), $"the heuristic agrees too: {heuristicResult}");
    }

    /// <summary>
    /// Projections that prepare their own input (use_rms_norm, and Q/K/V beside an unconverted one) follow the kernel
    /// options like the others: lookup tables give the multiply-add logits bit for bit, int8 and int4 (a4.8) alike, and
    /// int4 reaches the Q/K/V and gate/up projections only.
    /// </summary>
    [Fact]
    public void SelfQuantizingProjectionsFollowTheKernelOptions()
    {
        var spec = new HfCheckpointSpec("llama", "bitlinear", "offline", false, true, HfWeights.Packed, UseRmsNorm: true,
            ModulesToNotConvert: ["model.layers.1.self_attn.k_proj"]);
        string dir = HfCheckpointWriter.Write(Folder.File("hf"), spec, seed: 5);
        int[] tokens = Tokens()[..12];
        foreach (ActivationBits bits in new[] { ActivationBits.Int8, ActivationBits.Int4 })
        {
            float[]? expected = null;
            foreach (TernaryKernel kernel in new[] { TernaryKernel.MultiplyAdd, TernaryKernel.LookupTable })
            {
                LoadedModel loaded = ModelLoader.Load(dir, new ModelLoadOptions { Kernel = kernel, ActivationBits = bits });
                using var model = new BitNetModel(loaded, new ModelOptions { Threads = 2 }, KernelThreadPool.Create(2), dir);
                foreach (LayerWeights l in loaded.Weights.Layers)
                {
                    Assert.All(new[] { l.Query, l.Value, l.Gate, l.Up, l.Output, l.Down }, p => Assert.NotNull(p.InputNorm));
                    Assert.All(new[] { l.Query, l.Value, l.Gate, l.Up }, p =>
                        Assert.Equal(bits == ActivationBits.Int4 ? 4 : 8, p.InputBits));
                    Assert.All(new[] { l.Output, l.Down }, p => Assert.Equal(8, p.InputBits));
                    Assert.All(new[] { l.Query, l.Down }, p =>
                        Assert.Equal(kernel == TernaryKernel.LookupTable, p.Type == WeightType.Tl1));
                }

                WeightMatrix unconverted = loaded.Weights.Layers[1].Key; // an nn.Linear: float weights over float rows, no norm of its own
                Assert.Equal((WeightType.F32, ActivationType.F32, (InputRmsNorm?)null), (unconverted.Type, unconverted.Input, unconverted.InputNorm));
                Assert.Equal(kernel, model.Kernel);
                using InferenceSession session = model.CreateSession();
                float[] logits = session.EvaluateAll(tokens);
                Assert.All(logits, v => Assert.True(float.IsFinite(v)));
                expected ??= logits;
                Assert.Equal(expected, logits);
            }
        }
    }

    /// <summary>
    /// A block whose projections read different inputs decodes from the state's buffers alone, with nothing allocated per
    /// token: a ternary q_proj over int4 rows (a4.8) beside an unconverted k_proj over floats and a v_proj of float
    /// weights over int8 rows, with and without use_rms_norm's per-module norms.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DecodingProjectionsThatPrepareTheirOwnInputAllocatesNothing(bool useRmsNorm)
    {
        const string Q = "model.layers.0.self_attn.q_proj";
        var spec = new HfCheckpointSpec("bitnet", "autobitlinear", "offline", true, false, HfWeights.FloatContinuous, UseRmsNorm: useRmsNorm,
            ModulesToNotConvert: ["model.layers.0.self_attn.k_proj"]);
        string dir = HfCheckpointWriter.Write(Folder.File("hf"), spec, seed: 9, editTensors: t =>
        {
            // one scale times ternary values: the ternary kernels run it, where the other continuous floats stay float
            (int outF, int inF) = HfCheckpointWriter.Shape("self_attn.q_proj");
            var rng = new Random(9);
            t[Q + ".weight"] = HfCheckpointWriter.Bf16([outF, inF], Enumerable.Range(0, outF * inF).Select(_ => 0.5f * rng.Next(-1, 2)).ToArray());
        });
        LoadedModel loaded = ModelLoader.Load(dir, new ModelLoadOptions { ActivationBits = ActivationBits.Int4 });
        using ModelWeights weights = loaded.Weights;
        LayerWeights l = weights.Layers[0];
        Assert.Equal((true, ActivationType.Int4), (WeightTypes.Info(l.Query.Type).IsTernary, l.Query.Input));
        Assert.Equal((WeightType.F32, ActivationType.F32), (l.Key.Type, l.Key.Input));
        Assert.Equal((WeightType.F32, ActivationType.Int8), (l.Value.Type, l.Value.Input));
        Assert.Equal(useRmsNorm, l.Value.InputNorm is not null);

        using var pool = KernelThreadPool.Create(2);
        var transformer = new Transformer(weights, pool);
        var state = new InferenceState(weights.Config, maxTokens: 4);
        var cache = new KvCache(weights.Config, HfCheckpointWriter.Context);
        Assert.Equal(0, TransformerTests.BytesAllocatedDecoding(transformer, state, cache, [5]));
        Assert.All(state.Logits, v => Assert.True(float.IsFinite(v)));
    }

    private static int[] Tokens()
    {
        var rng = new Random(48);
        return Enumerable.Range(0, Positions).Select(_ => rng.Next(HfCheckpointWriter.Vocab)).ToArray();
    }

    private static float[][] Run(ReferenceTransformer reference, int[] tokens) => tokens.Select(reference.Step).ToArray();

    private static float[][] Run(string path, int[] tokens) => LogitAgreement.EngineLogits(path, tokens);
}
