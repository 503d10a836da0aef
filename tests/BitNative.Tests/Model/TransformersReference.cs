using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using BitNative.Formats.Safetensors;
using BitNative.Model;

namespace BitNative.Tests.Model;

/// <summary>A Hugging Face checkpoint as transformers would run it, in the plain arrays the reference forward pass takes.</summary>
internal sealed record TransformersModel(ModelConfig Config, float[] Embedding, ReferenceLayer[] Layers, float[] OutputNorm, float[] Head, bool Tied)
{
    public ReferenceTransformer NewReference() => new(Config, Embedding, Layers, OutputNorm, Head);
}

/// <summary>
/// Reads a Hugging Face folder with transformers' rules, written here from its sources and sharing no code with
/// BitNative's reader (only the safetensors container parser): BitNetConfig / LlamaConfig defaults
/// (tie_word_embeddings false), BitNetQuantConfig defaults (bitlinear, offline, no rms_norm, eps 1e-6), and
/// integrations/bitnet.py for every converted nn.Linear:
/// <list type="bullet">
/// <item>BitLinear: unpack_weights, then y = W·x_q / (s_x · weight_scale);</item>
/// <item>AutoBitLinear offline: the weight as loaded (unpacked if uint8), y = F.linear(ActQuant(x), W) · weight_scale;</item>
/// <item>AutoBitLinear online: y = F.linear(ActQuant(x), WeightQuant(W)), WeightQuant = absmean ternarization;</item>
/// <item>with use_rms_norm, LlamaRMSNorm(in_features, quantization_config.rms_norm_eps) on the input first;</item>
/// <item>lm_head and modules_to_not_convert (should_convert_module: regex match at the start, or suffix) stay nn.Linear.</item>
/// </list>
/// The forward pass is <see cref="ReferenceTransformer"/> (BitNetForCausalLM / LlamaForCausalLM structure).
/// </summary>
internal static class TransformersReference
{
    public static TransformersModel Load(string dir)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json")));
        JsonElement c = doc.RootElement;
        int Int(string key) => c.GetProperty(key).GetInt32();
        string modelType = c.GetProperty("model_type").GetString()!;
        string act = c.GetProperty("hidden_act").GetString()!;
        bool tied = c.TryGetProperty("tie_word_embeddings", out JsonElement tie) && tie.GetBoolean();
        int hidden = Int("hidden_size"), heads = Int("num_attention_heads");
        int headDim = c.TryGetProperty("head_dim", out JsonElement hd) ? hd.GetInt32() : hidden / heads;
        var arch = modelType == "llama" ? ModelArchitecture.Llama : act == "relu2" ? ModelArchitecture.BitNetB158 : ModelArchitecture.BitNet;
        var config = new ModelConfig(arch, modelType, Int("vocab_size"), hidden, Int("num_hidden_layers"), Int("intermediate_size"), heads,
            Int("num_key_value_heads"), headDim, c.GetProperty("rope_theta").GetSingle(), c.GetProperty("rms_norm_eps").GetSingle(),
            Int("max_position_embeddings"), act == "relu2" ? FeedForwardActivation.SquaredRelu : FeedForwardActivation.Silu, RopeStyle.NeoX);

        Quantization? quant = c.TryGetProperty("quantization_config", out JsonElement q) ? Quantization.Parse(q) : null;
        using SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.Open(dir);
        float[] Floats(string name) => ToFloats(ckpt, ckpt.GetTensor(name));

        int d = config.EmbeddingLength;
        var layers = new ReferenceLayer[config.BlockCount];
        for (int l = 0; l < layers.Length; l++)
        {
            string p = $"model.layers.{l}.";
            ReferenceLinear Proj(string projection)
            {
                (int outF, int inF) = HfCheckpointWriter.Shape(projection);
                return Module(ckpt, quant, p + projection, outF, inF);
            }

            bool bitnet = modelType == "bitnet";
            layers[l] = new ReferenceLayer(
                Floats(p + "input_layernorm.weight"), Proj("self_attn.q_proj"), Proj("self_attn.k_proj"), Proj("self_attn.v_proj"),
                bitnet ? Floats(p + "self_attn.attn_sub_norm.weight") : null, Proj("self_attn.o_proj"),
                Floats(p + "post_attention_layernorm.weight"), Proj("mlp.gate_proj"), Proj("mlp.up_proj"),
                bitnet ? Floats(p + "mlp.ffn_sub_norm.weight") : null, Proj("mlp.down_proj"));
        }

        float[] embedding = Floats("model.embed_tokens.weight");
        float[] head = tied ? embedding : Floats("lm_head.weight");
        return new TransformersModel(config, embedding, layers, Floats("model.norm.weight"), head, tied);
    }

    private static ReferenceLinear Module(SafetensorsCheckpoint ckpt, Quantization? quant, string module, int outF, int inF)
    {
        SafetensorsTensorInfo weight = ckpt.GetTensor(module + ".weight");
        if (quant is null || !quant.Converts(module))
        {
            return new ReferenceLinear(outF, inF, null, 1f, ToFloats(ckpt, weight));
        }

        float[]? norm = quant.UseRmsNorm ? ToFloats(ckpt, ckpt.GetTensor(module + ".rms_norm.weight")) : null;
        float WeightScale() => ToFloats(ckpt, ckpt.GetTensor(module + ".weight_scale"))[0];
        bool packed = weight.DType == SafetensorsDType.U8;
        ReferenceLinear linear;
        if (quant.LinearClass == "bitlinear")
        {
            // post_quant_process: out = y / (input_scale * weight_scale)
            linear = new ReferenceLinear(outF, inF, UnpackWeights(ckpt.GetTensorData(weight), outF, inF), 1f / WeightScale(), null);
        }
        else if (quant.Mode == "offline")
        {
            // load_hook unpacks a uint8 weight; a float weight is used as it is; output * weight_scale
            linear = packed
                ? new ReferenceLinear(outF, inF, UnpackWeights(ckpt.GetTensorData(weight), outF, inF), WeightScale(), null)
                : new ReferenceLinear(outF, inF, null, WeightScale(), ToFloats(ckpt, weight), QuantizeInput: true);
        }
        else
        {
            linear = WeightQuant(ToFloats(ckpt, weight), outF, inF);
        }

        return linear with { InputNorm = norm, InputNormEps = quant.RmsNormEps };
    }

    /// <summary>
    /// WeightQuant.forward in float32: scale = 1 / mean|W|.clamp(min=1e-5); W = (W·scale).round().clamp(-1, 1) / scale.
    /// Kept as ternary values times 1/scale, which is the same weight.
    /// </summary>
    private static ReferenceLinear WeightQuant(float[] w, int outF, int inF)
    {
        float mean = (float)(w.Sum(v => (double)Math.Abs(v)) / w.Length);
        float scale = 1f / Math.Max(mean, 1e-5f);
        sbyte[] q = w.Select(v => (sbyte)Math.Clamp(MathF.Round(v * scale, MidpointRounding.ToEven), -1f, 1f)).ToArray();
        return new ReferenceLinear(outF, inF, q, 1f / scale, null);
    }

    /// <summary>unpack_weights: plane i of the out rows comes from bits 2i..2i+1 of the packed rows, minus 1.</summary>
    private static sbyte[] UnpackWeights(ReadOnlySpan<byte> packed, int outF, int inF)
    {
        int rows = packed.Length / inF;
        var q = new sbyte[outF * inF];
        for (int i = 0; i < 4; i++)
        {
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < inF; j++)
                {
                    q[(i * rows + r) * inF + j] = (sbyte)(((packed[r * inF + j] >> (2 * i)) & 3) - 1);
                }
            }
        }

        return q;
    }

    private static float[] ToFloats(SafetensorsCheckpoint ckpt, SafetensorsTensorInfo t)
    {
        ReadOnlySpan<byte> data = ckpt.GetTensorData(t);
        return t.DType switch
        {
            SafetensorsDType.F32 => MemoryMarshal.Cast<byte, float>(data).ToArray(),
            SafetensorsDType.BF16 => MemoryMarshal.Cast<byte, ushort>(data).ToArray().Select(h => BitConverter.UInt32BitsToSingle((uint)h << 16)).ToArray(),
            SafetensorsDType.F16 => MemoryMarshal.Cast<byte, Half>(data).ToArray().Select(h => (float)h).ToArray(),
            _ => throw new InvalidOperationException($"{t.Name}: {t.DType}"),
        };
    }

    /// <summary>BitNetQuantConfig and the quantizer's choice of modules.</summary>
    private sealed record Quantization(string LinearClass, string Mode, bool UseRmsNorm, float RmsNormEps, string[] NotConverted)
    {
        public static Quantization Parse(JsonElement q)
        {
            string Str(string key, string fallback) => q.TryGetProperty(key, out JsonElement v) ? v.GetString()! : fallback;
            string[] notConverted = q.TryGetProperty("modules_to_not_convert", out JsonElement m) && m.ValueKind == JsonValueKind.Array
                ? m.EnumerateArray().Select(e => e.GetString()!).ToArray()
                : [];
            return new Quantization(Str("linear_class", "bitlinear"), Str("quantization_mode", "offline"),
                q.TryGetProperty("use_rms_norm", out JsonElement u) && u.GetBoolean(),
                q.TryGetProperty("rms_norm_eps", out JsonElement e) ? e.GetSingle() : 1e-6f, notConverted);
        }

        /// <summary>should_convert_module, with lm_head always among the modules kept (get_modules_to_not_convert).</summary>
        public bool Converts(string module) =>
            !NotConverted.Append("lm_head").Any(key => Regex.IsMatch(module, "^(?:" + key + ")") || module.EndsWith(key, StringComparison.Ordinal));
    }
}
