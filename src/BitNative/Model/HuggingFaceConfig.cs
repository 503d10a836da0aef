using System.Text.Json;
using BitNative.Formats;

namespace BitNative.Model;

/// <summary>
/// A Hugging Face checkpoint's config.json as transformers reads it: hyperparameters with the defaults of the config
/// class of its model_type (BitNetConfig in models/bitnet/configuration_bitnet.py, LlamaConfig in
/// models/llama/configuration_llama.py), whether the output head is the embedding (tie_word_embeddings, false by
/// default in both), and the BitNet quantization_config, if any. Values this engine does not implement (other
/// activations, RoPE scaling, biases) are errors naming the key, so a checkpoint never loads as some other model.
/// </summary>
/// <param name="Model">The hyperparameters.</param>
/// <param name="TieWordEmbeddings">The output head is the token embedding; otherwise it is <c>lm_head.weight</c>.</param>
/// <param name="Quantization">How nn.Linear modules are converted, or null: every projection is a plain full-precision nn.Linear.</param>
/// <param name="Fp8">The FP8 E4M3 weights of an fp8 / compressed-tensors checkpoint, or null.</param>
internal sealed record HuggingFaceConfig(ModelConfig Model, bool TieWordEmbeddings, BitNetQuantization? Quantization, Fp8Weights? Fp8 = null)
{
    public static HuggingFaceConfig Read(string configPath)
    {
        if (!File.Exists(configPath))
        {
            throw new InvalidDataException($"{configPath} is missing: a Hugging Face checkpoint needs its config.json.");
        }

        byte[] bytes = Formats.InputFile.ReadAllBytes(configPath);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath} is not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            // First: describing a wrong root below reads its text, which throws for a string that is not Unicode.
            if (JsonText.FindNonUnicode(bytes, doc.RootElement) is { } at)
            {
                throw new InvalidDataException($"{configPath}: the string at {at} is not valid Unicode text (invalid UTF-8, or an escaped unpaired surrogate).");
            }

            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{configPath}: expected a JSON object, found {ConfigJson.Describe(doc.RootElement)}.");
            }

            var json = new ConfigJson(doc.RootElement, configPath);
            return new HuggingFaceConfig(Hyperparameters(json), json.Bool("tie_word_embeddings", false), BitNetQuantization.Read(json),
                Fp8Weights.Read(json));
        }
    }

    /// <summary>The defaults one model_type's config class gives absent keys.</summary>
    private sealed record Defaults(int Vocab, int Hidden, int Intermediate, int Layers, int Heads, int? KvHeads, string Act,
        int MaxPositions, float RmsNormEps, float RopeTheta);

    private static readonly Defaults BitNetConfigDefaults = new(128256, 2560, 6912, 30, 20, 5, "relu2", 2048, 1e-5f, 500000f);

    private static readonly Defaults LlamaConfigDefaults = new(32000, 4096, 11008, 32, 32, null, "silu", 2048, 1e-6f, 10000f);

    private static ModelConfig Hyperparameters(ConfigJson json)
    {
        string modelType = json.String("model_type", "");
        Defaults defaults = modelType switch
        {
            "bitnet" => BitNetConfigDefaults,
            "llama" => LlamaConfigDefaults,
            _ => throw json.Unsupported("model_type", modelType, "BitNative reads 'bitnet' and 'llama' checkpoints"),
        };

        string act = json.String("hidden_act", defaults.Act);
        FeedForwardActivation activation = act switch
        {
            "relu2" => FeedForwardActivation.SquaredRelu,
            "silu" or "swish" => FeedForwardActivation.Silu,
            _ => throw json.Unsupported("hidden_act", act, "BitNative runs 'relu2' and 'silu'"),
        };
        ModelArchitecture arch = modelType == "llama" ? ModelArchitecture.Llama
            : activation == FeedForwardActivation.SquaredRelu ? ModelArchitecture.BitNetB158 : ModelArchitecture.BitNet;

        RejectBiases(json);
        float ropeTheta = RopeTheta(json, defaults.RopeTheta);
        int hidden = json.Int("hidden_size", defaults.Hidden), heads = json.Int("num_attention_heads", defaults.Heads);
        // num_key_value_heads: an absent key takes the class default, an explicit null means "as many as the query heads".
        int kvHeads = !json.Has("num_key_value_heads") ? defaults.KvHeads ?? heads
            : json.IsNullOrAbsent("num_key_value_heads") ? heads
            : json.Int("num_key_value_heads", heads);
        int headDim = json.IsNullOrAbsent("head_dim") ? hidden / Math.Max(heads, 1) : json.Int("head_dim", 0);
        if (headDim * heads != hidden)
        {
            throw new InvalidDataException($"{json.Path}: head_dim {headDim} x {heads} heads != hidden_size {hidden}; BitNative needs them equal.");
        }

        var config = new ModelConfig(arch, modelType, json.Int("vocab_size", defaults.Vocab), hidden,
            json.Int("num_hidden_layers", defaults.Layers), json.Int("intermediate_size", defaults.Intermediate), heads, kvHeads,
            headDim, ropeTheta, json.Float("rms_norm_eps", defaults.RmsNormEps), json.Int("max_position_embeddings", defaults.MaxPositions),
            activation,
            RopeStyle.NeoX); // transformers applies RoPE as rotate-half to the Q/K rows as stored
        try
        {
            config.Validate();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{json.Path}: {e.Message}", e);
        }

        return config;
    }

    /// <summary>
    /// rope_theta, from the top level or (newer transformers) rope_parameters. Only the default rotary embedding is
    /// implemented: any other rope_type (llama3, yarn, linear, dynamic...) changes every frequency and is refused.
    /// </summary>
    private static float RopeTheta(ConfigJson json, float fallback)
    {
        float theta = json.Float("rope_theta", fallback);
        foreach (string key in new[] { "rope_scaling", "rope_parameters" })
        {
            if (json.Object(key) is not { } rope)
            {
                continue;
            }

            string type = rope.Has("rope_type") ? rope.String("rope_type", "default") : rope.String("type", "default");
            if (type != "default")
            {
                throw rope.Unsupported(rope.Has("rope_type") ? "rope_type" : "type", type, "BitNative implements the default RoPE only");
            }

            theta = rope.Float("rope_theta", theta);
        }

        return theta;
    }

    private static void RejectBiases(ConfigJson json)
    {
        foreach (string key in new[] { "attention_bias", "mlp_bias" })
        {
            if (json.Bool(key, false))
            {
                throw new InvalidDataException($"{json.Path}: {key} is true; BitNative's projections have no bias.");
            }
        }
    }
}

/// <summary>
/// A checkpoint whose linear weights are FP8 E4M3 (safetensors dtype F8_E4M3) with float scales beside them, as
/// transformers' FP8 integration (quant_method "fp8": DeepSeek-V3, Qwen3-FP8; <c>&lt;name&gt;_scale_inv</c> per
/// <see cref="BlockRows"/> x <see cref="BlockColumns"/> block) and llm-compressor's compressed-tensors
/// (<c>&lt;name&gt;_scale</c> per tensor or per output row) store them. The weight is e4m3 · scale in both (DeepSeek's
/// "scale_inv" multiplies despite its name).
/// </summary>
/// <param name="BlockRows">Rows of one scale block (weight_block_size[0]), or 0 when the scales are per tensor or per row.</param>
/// <param name="BlockColumns">Columns of one scale block (weight_block_size[1]), or 0.</param>
internal sealed record Fp8Weights(int BlockRows, int BlockColumns)
{
    /// <summary>quant_method values of FP8 checkpoints.</summary>
    public static readonly string[] Methods = ["fp8", "compressed-tensors"];

    public static Fp8Weights? Read(ConfigJson config)
    {
        if (config.Object("quantization_config") is not { } q || !Methods.Contains(q.String("quant_method", "")))
        {
            return null;
        }

        if (q.IntList("weight_block_size") is { } block)
        {
            if (block.Count != 2 || block[0] <= 0 || block[1] <= 0)
            {
                throw new InvalidDataException($"{config.Path}: {q.Key("weight_block_size")} must be two positive sizes.");
            }

            return new Fp8Weights(block[0], block[1]);
        }

        return new Fp8Weights(0, 0);
    }
}
