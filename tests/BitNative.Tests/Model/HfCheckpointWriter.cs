using BitNative.Authoring.Tokenization;
using BitNative.Authoring.Safetensors;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using BitNative.Formats.Safetensors;
using BitNative.Tokenization;

namespace BitNative.Tests.Model;

/// <summary>How a test checkpoint stores its converted projections.</summary>
internal enum HfWeights
{
    /// <summary>uint8 [out/4, in] as transformers' pack_weights writes them, plus a weight_scale.</summary>
    Packed,

    /// <summary>bf16 weights holding one scale times ternary values (offline: plus a weight_scale).</summary>
    FloatTernary,

    /// <summary>bf16 weights of any value, as master weights are (offline: plus a weight_scale).</summary>
    FloatContinuous,
}

/// <summary>
/// One test checkpoint. Null config values leave the key out of config.json, so the Python defaults apply.
/// <paramref name="ScaleAboveOne"/>: every stored scale (weight_scale, or the magnitude of float weights) is drawn from
/// [1.5, 4] instead of [0.25, 0.9].
/// </summary>
internal sealed record HfCheckpointSpec(
    string ModelType,
    string? LinearClass,
    string? Mode,
    bool? Tie,
    bool ScaleAboveOne,
    HfWeights Weights,
    bool UseRmsNorm = false,
    string[]? ModulesToNotConvert = null,
    bool Sharded = false,
    bool NoQuantizationConfig = false,
    string HiddenAct = "")
{
    public string Act => HiddenAct != "" ? HiddenAct : ModelType == "llama" ? "silu" : "relu2";

    public bool Converts(string module) =>
        !NoQuantizationConfig && module != "lm_head" && !(ModulesToNotConvert ?? []).Contains(module);

    public override string ToString() =>
        $"{ModelType}{(HiddenAct != "" ? "-" + HiddenAct : "")}/{(NoQuantizationConfig ? "no-quantization-config" : $"{LinearClass ?? "(default)"}/{Mode ?? "(default)"}")}/"
        + $"{Weights}/{(ScaleAboveOne ? "scale>1" : "scale<1")}/{(Tie is null ? "tie-absent" : Tie.Value ? "tied" : "untied")}"
        + (UseRmsNorm ? "/use_rms_norm" : "") + (ModulesToNotConvert is null ? "" : $"/not-converted:{ModulesToNotConvert.Length}")
        + (Sharded ? "/sharded" : "");
}

/// <summary>A tensor as it will be stored.</summary>
internal sealed record HfTensor(SafetensorsDType DType, long[] Shape, byte[] Data);

/// <summary>
/// Writes Hugging Face folders the way transformers' own code writes and reads them, not the way BitNative's reader
/// expects: config.json keys of BitNetConfig / LlamaConfig and BitNetQuantConfig, tensor names of BitNetForCausalLM /
/// LlamaForCausalLM, bf16 floats, packed weights per integrations/bitnet.py pack_weights (row plane s of out/4 rows in
/// bits 2s..2s+1 as w + 1), weight_scale as a [1] tensor in the model dtype, per-module rms_norm.weight when
/// use_rms_norm is set, lm_head.weight only when the head is not tied, and sharding with model.safetensors.index.json.
/// The values are random; what they mean is left to the reader under test and to <see cref="TransformersReference"/>.
/// </summary>
internal static class HfCheckpointWriter
{
    public const int Vocab = 320, Hidden = 256, Intermediate = 768, Layers = 2, Heads = 4, KvHeads = 2, HeadDim = 64, Context = 128;

    public static readonly string[] ProjectionModules =
        ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"];

    private static TokenizerData? s_tokenizer;

    public static TokenizerData Tokenizer => s_tokenizer ??= ByteLevelBpeTrainer.Train(BitNative.Authoring.Synthetic.SyntheticText.Sample, Vocab);

    public static (int Out, int In) Shape(string projection) => projection switch
    {
        "self_attn.q_proj" or "self_attn.o_proj" => (Hidden, Hidden),
        "self_attn.k_proj" or "self_attn.v_proj" => (KvHeads * HeadDim, Hidden),
        "mlp.gate_proj" or "mlp.up_proj" => (Intermediate, Hidden),
        "mlp.down_proj" => (Hidden, Intermediate),
        _ => throw new ArgumentException(projection),
    };

    /// <summary>Writes the folder; <paramref name="editConfig"/> and <paramref name="editTensors"/> let error tests break it.</summary>
    public static string Write(string dir, HfCheckpointSpec spec, int seed, Action<JsonObject>? editConfig = null,
        Action<IDictionary<string, HfTensor>>? editTensors = null)
    {
        Directory.CreateDirectory(dir);
        var rng = new Random(seed);
        var tensors = new Dictionary<string, HfTensor>(StringComparer.Ordinal);
        bool bitnet = spec.ModelType == "bitnet";

        tensors["model.embed_tokens.weight"] = Bf16([Vocab, Hidden], Normal(rng, Vocab * Hidden, 1f));
        tensors["model.norm.weight"] = Bf16([Hidden], Norm(rng, Hidden, 1f));
        if (spec.Tie != true)
        {
            tensors["lm_head.weight"] = Bf16([Vocab, Hidden], Normal(rng, Vocab * Hidden, 1f));
        }

        for (int l = 0; l < Layers; l++)
        {
            string p = $"model.layers.{l}.";
            tensors[p + "input_layernorm.weight"] = Bf16([Hidden], Norm(rng, Hidden, InputGain(spec, Hidden)));
            tensors[p + "post_attention_layernorm.weight"] = Bf16([Hidden], Norm(rng, Hidden, InputGain(spec, Hidden)));
            if (bitnet)
            {
                tensors[p + "self_attn.attn_sub_norm.weight"] = Bf16([Hidden], Norm(rng, Hidden, InputGain(spec, Hidden)));
                tensors[p + "mlp.ffn_sub_norm.weight"] = Bf16([Intermediate], Norm(rng, Intermediate, InputGain(spec, Intermediate)));
            }

            foreach (string projection in ProjectionModules)
            {
                AddProjection(tensors, spec, rng, p + projection, Shape(projection));
            }
        }

        editTensors?.Invoke(tensors);
        JsonObject config = Config(spec);
        editConfig?.Invoke(config);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        Tokenizer.WriteHuggingFace(Path.Combine(dir, "tokenizer.json"), Path.Combine(dir, "tokenizer_config.json"));
        WriteTensors(dir, tensors, spec.Sharded);
        return dir;
    }

    private static void AddProjection(Dictionary<string, HfTensor> tensors, HfCheckpointSpec spec, Random rng, string module, (int Out, int In) shape)
    {
        (int outF, int inF) = shape;
        if (!spec.Converts(module))
        {
            // A plain nn.Linear: initialised as transformers does, N(0, 1/in)-ish.
            tensors[module + ".weight"] = Bf16([outF, inF], Normal(rng, outF * inF, 1f / MathF.Sqrt(inF)));
            return;
        }

        float Scale() => RoundBf16(spec.ScaleAboveOne ? 1.5f + 2.5f * rng.NextSingle() : 0.25f + 0.65f * rng.NextSingle());
        // Only AutoBitLinear online has no weight_scale buffer; BitLinear has one in either mode.
        bool online = spec.LinearClass == "autobitlinear" && spec.Mode == "online";
        switch (spec.Weights)
        {
            case HfWeights.Packed:
                tensors[module + ".weight"] = new HfTensor(SafetensorsDType.U8, [outF / 4, inF], PackWeights(RandomTernary(rng, outF * inF), outF, inF));
                break;
            case HfWeights.FloatTernary:
                float c = Scale();
                tensors[module + ".weight"] = Bf16([outF, inF], RandomTernary(rng, outF * inF).Select(t => t * c).ToArray());
                break;
            default:
                tensors[module + ".weight"] = Bf16([outF, inF], Normal(rng, outF * inF, Scale()));
                break;
        }

        if (!online)
        {
            tensors[module + ".weight_scale"] = Bf16([1], [Scale()]);
        }

        if (spec.UseRmsNorm)
        {
            tensors[module + ".rms_norm.weight"] = Bf16([inF], Norm(rng, inF, InputGain(spec, inF)));
        }
    }

    private static JsonObject Config(HfCheckpointSpec spec)
    {
        bool llama = spec.ModelType == "llama";
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray(llama ? "LlamaForCausalLM" : "BitNetForCausalLM"),
            ["model_type"] = spec.ModelType,
            ["hidden_act"] = spec.Act,
            ["vocab_size"] = Vocab,
            ["hidden_size"] = Hidden,
            ["intermediate_size"] = Intermediate,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KvHeads,
            ["max_position_embeddings"] = Context,
            // Falcon3-1.58bit's values for llama (head_dim written out, eps 1e-6, theta 1000042), 2B-4T's for bitnet.
            ["rms_norm_eps"] = llama ? 1e-6 : 1e-5,
            ["rope_theta"] = llama ? 1000042.0 : 500000.0,
            ["torch_dtype"] = "bfloat16",
        };
        if (llama)
        {
            config["head_dim"] = HeadDim;
            config["rope_scaling"] = null;
            config["attention_bias"] = false;
            config["mlp_bias"] = false;
        }

        if (spec.Tie is bool tie)
        {
            config["tie_word_embeddings"] = tie;
        }

        if (!spec.NoQuantizationConfig)
        {
            var q = new JsonObject { ["quant_method"] = "bitnet" };
            if (spec.LinearClass is not null)
            {
                q["linear_class"] = spec.LinearClass;
            }

            if (spec.Mode is not null)
            {
                q["quantization_mode"] = spec.Mode;
            }

            if (spec.UseRmsNorm)
            {
                q["use_rms_norm"] = true;
                q["rms_norm_eps"] = 1e-6;
            }

            q["modules_to_not_convert"] = spec.ModulesToNotConvert is null ? null : new JsonArray(spec.ModulesToNotConvert.Select(m => (JsonNode)m!).ToArray());
            config["quantization_config"] = q;
        }

        return config;
    }

    private static void WriteTensors(string dir, Dictionary<string, HfTensor> tensors, bool sharded)
    {
        var writers = new[] { new SafetensorsWriter(), new SafetensorsWriter() };
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        int next = 0;
        foreach ((string name, HfTensor t) in tensors)
        {
            int shard = sharded ? next++ % 2 : 0;
            writers[shard].AddTensor(name, t.DType, t.Shape, t.Data);
            map[name] = $"model-0000{shard + 1}-of-00002.safetensors";
        }

        if (!sharded)
        {
            writers[0].WriteTo(Path.Combine(dir, SafetensorsCheckpoint.SingleFileName));
            return;
        }

        writers[0].WriteTo(Path.Combine(dir, "model-00001-of-00002.safetensors"));
        writers[1].WriteTo(Path.Combine(dir, "model-00002-of-00002.safetensors"));
        File.WriteAllText(Path.Combine(dir, SafetensorsCheckpoint.IndexFileName),
            System.Text.Json.JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
    }

    /// <summary>
    /// transformers' pack_weights for a weight of out rows: row_dim = out / 4 bytes rows; plane s (rows s·row_dim ...) goes to
    /// bits 2s..2s+1 of byte row i, as w + 1.
    /// </summary>
    public static byte[] PackWeights(sbyte[] q, int outF, int inF)
    {
        int rowDim = outF / 4;
        var packed = new byte[rowDim * inF];
        for (int s = 0; s < 4; s++)
        {
            for (int i = 0; i < rowDim; i++)
            {
                for (int j = 0; j < inF; j++)
                {
                    packed[i * inF + j] |= (byte)((q[(s * rowDim + i) * inF + j] + 1) << (2 * s));
                }
            }
        }

        return packed;
    }

    private static sbyte[] RandomTernary(Random rng, int count)
    {
        var q = new sbyte[count];
        for (int i = 0; i < count; i++)
        {
            q[i] = (sbyte)(rng.Next(3) - 1);
        }

        return q;
    }

    private static float[] Norm(Random rng, int n, float gain) => Normal(rng, n, 0.1f).Select(x => gain * (1f + x)).ToArray();

    /// <summary>
    /// The gain of the norms in front of the projections, chosen as training would: so that a projection's outputs have
    /// about unit variance (gain = 1 / (rms of its weights as transformers applies them · √in)). Without it, a stored
    /// scale of 2-4 makes Q·K scores of hundreds, attention a hard max, and the model so chaotic that two correct engines
    /// summing in different orders part ways at the first near-tie. Computed from the middle of the scale ranges, per
    /// checkpoint kind, never per projection: the values of each projection still differ by up to 2.7x.
    /// </summary>
    private static float InputGain(HfCheckpointSpec spec, int inFeatures)
    {
        if (spec.NoQuantizationConfig)
        {
            return 1f; // N(0, 1/in) dense weights
        }

        float mid = spec.ScaleAboveOne ? 2.75f : 0.575f;
        const float Ternary = 0.8165f; // rms of uniform {-1, 0, 1}: √(2/3)
        bool bitLinear = spec.LinearClass is null or "bitlinear";
        float rms = (bitLinear, spec.Mode == "online", spec.Weights) switch
        {
            (true, _, _) => Ternary / mid,                                       // divides by weight_scale
            (false, false, HfWeights.Packed) => Ternary * mid,                   // times weight_scale
            (false, false, HfWeights.FloatTernary) => Ternary * mid * mid,       // stored magnitude times weight_scale
            (false, false, _) => mid * mid,                                      // N(0, mid) times weight_scale
            (false, true, HfWeights.FloatTernary) => Ternary * mid * 2f / 3f,    // absmean of a ternary-valued master: mid · 2/3
            _ => 0.8f * mid * 0.83f,                                             // absmean 0.8σ, ~69 % nonzero
        };
        return 1f / (rms * MathF.Sqrt(inFeatures));
    }

    private static float[] Normal(Random rng, int count, float sigma) => TinyModel.Normal(rng, count, sigma);

    public static float RoundBf16(float v)
    {
        // round to nearest even on the 16 dropped bits
        uint bits = BitConverter.SingleToUInt32Bits(v);
        bits += 0x7FFF + ((bits >> 16) & 1);
        return BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000);
    }

    public static HfTensor Bf16(long[] shape, float[] values)
    {
        var bytes = new byte[values.Length * 2];
        Span<ushort> halves = MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
        for (int i = 0; i < values.Length; i++)
        {
            halves[i] = (ushort)(BitConverter.SingleToUInt32Bits(RoundBf16(values[i])) >> 16);
        }

        return new HfTensor(SafetensorsDType.BF16, shape, bytes);
    }
}
