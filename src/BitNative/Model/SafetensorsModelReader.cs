using System.Text.Json;
using BitNative.Formats.Safetensors;
using BitNative.Kernels;
using BitNative.Model.Planning;
using BitNative.Tokenization;

namespace BitNative.Model;

/// <summary>
/// Reads a Hugging Face checkpoint: config.json, tokenizer.json (+ tokenizer_config.json) and safetensors weights
/// (single file or sharded with model.safetensors.index.json). BitNet projections come either packed (uint8
/// [out/4, in] with a <c>weight_scale</c>, as microsoft/bitnet-b1.58-2B-4T ships) or as master weights
/// (bf16/f16/f32, as the -bf16 checkpoint ships), which are ternarized with absmean at load.
/// </summary>
internal static class SafetensorsModelReader
{
    public static LoadedModel Read(string path, ModelLoadOptions options)
    {
        string folder = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        var owner = new ResourceOwner();
        try
        {
            SafetensorsCheckpoint checkpoint = owner.Track(SafetensorsCheckpoint.Open(path));
            (ModelConfig config, bool tied) = ReadConfig(Path.Combine(folder, "config.json"));
            string tokenizerJson = Path.Combine(folder, "tokenizer.json");
            if (!File.Exists(tokenizerJson))
            {
                throw new InvalidDataException($"{folder}: tokenizer.json is missing.");
            }

            string configJson = Path.Combine(folder, "tokenizer_config.json");
            TokenizerData tokenizer = TokenizerData.FromHuggingFace(tokenizerJson, File.Exists(configJson) ? configJson : null);
            using var planner = new KernelPlanner(config, options, owner);
            var reader = new Reader(checkpoint, config, options, planner, owner);
            ModelWeights weights = reader.Weights(tied);
            return new LoadedModel(weights, tokenizer, planner.Entries);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    public static (ModelConfig Config, bool Tied) ReadConfig(string configPath)
    {
        if (!File.Exists(configPath))
        {
            throw new InvalidDataException($"{configPath} is missing: a Hugging Face checkpoint needs its config.json.");
        }

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(configPath));
        JsonElement root = doc.RootElement;
        int Int(string key, int? fallback = null) =>
            root.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i
                : fallback ?? throw new InvalidDataException($"{configPath}: '{key}' is missing or not an integer.");
        float Float(string key, float fallback) =>
            root.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetSingle() : fallback;
        string Str(string key) => root.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

        string modelType = Str("model_type");
        string act = Str("hidden_act");
        ModelArchitecture arch = modelType switch
        {
            "bitnet" => act is "silu" or "swish" ? ModelArchitecture.BitNet : ModelArchitecture.BitNetB158,
            "llama" => ModelArchitecture.Llama,
            _ => throw new InvalidDataException($"{configPath}: model_type '{modelType}' is not supported (bitnet or llama)."),
        };
        int hidden = Int("hidden_size"), heads = Int("num_attention_heads");
        int headDim = Int("head_dim", hidden / Math.Max(heads, 1));
        if (headDim * heads != hidden)
        {
            throw new InvalidDataException($"{configPath}: head_dim {headDim} x {heads} heads != hidden_size {hidden}.");
        }

        var config = new ModelConfig(arch, modelType, Int("vocab_size"), hidden, Int("num_hidden_layers"), Int("intermediate_size"),
            heads, Int("num_key_value_heads", heads), headDim, Float("rope_theta", 10000f), Float("rms_norm_eps", 1e-5f),
            Int("max_position_embeddings", 4096),
            act == "relu2" ? FeedForwardActivation.SquaredRelu : FeedForwardActivation.Silu,
            RopeStyle.NeoX); // Hugging Face applies RoPE as rotate-half to unpermuted Q/K rows
        config.Validate();
        bool tied = !root.TryGetProperty("tie_word_embeddings", out JsonElement t) || t.ValueKind != JsonValueKind.False;
        return (config, tied);
    }

    private sealed class Reader(SafetensorsCheckpoint ckpt, ModelConfig config, ModelLoadOptions options, KernelPlanner planner,
        ResourceOwner owner)
    {
        public ModelWeights Weights(bool tied)
        {
            int d = config.EmbeddingLength, f = config.FeedForwardLength, kv = config.KvDim, v = config.VocabSize;
            float[] embedding = Floats("model.embed_tokens.weight", v, d);
            var embeddingBuffer = owner.Track(new NativeBuffer<byte>(checked(v * d * 2)));
            Span<Half> halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(embeddingBuffer.GetSpan());
            System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(embedding, halves);
            var table = new EmbeddingTable("model.embed_tokens.weight", RowCodec.F16, embeddingBuffer.Memory, v, d);
            WeightMatrix head = tied || !ckpt.TryGetTensor("lm_head.weight", out _)
                ? TiedHead("model.embed_tokens.weight", embeddingBuffer.Memory, table, v, d)
                : UntiedHead("lm_head.weight", v, d);

            var layers = new LayerWeights[config.BlockCount];
            for (int i = 0; i < config.BlockCount; i++)
            {
                string p = $"model.layers.{i}.";
                layers[i] = new LayerWeights(
                    Floats(p + "input_layernorm.weight", d),
                    Projection(p + "self_attn.q_proj", d, d, ProjectionRole.AttentionInput),
                    Projection(p + "self_attn.k_proj", kv, d, ProjectionRole.AttentionInput),
                    Projection(p + "self_attn.v_proj", kv, d, ProjectionRole.AttentionInput),
                    Optional(p + "self_attn.attn_sub_norm.weight", d),
                    Projection(p + "self_attn.o_proj", d, d, ProjectionRole.AttentionOutput),
                    Floats(p + "post_attention_layernorm.weight", d),
                    Projection(p + "mlp.gate_proj", f, d, ProjectionRole.FeedForwardInput),
                    Projection(p + "mlp.up_proj", f, d, ProjectionRole.FeedForwardInput),
                    Optional(p + "mlp.ffn_sub_norm.weight", f),
                    Projection(p + "mlp.down_proj", d, f, ProjectionRole.FeedForwardOutput));
            }

            return new ModelWeights(config, table, layers, Floats("model.norm.weight", d), head, owner);
        }

        /// <summary>The head tied to the embedding, whose F16 copy the head reads in place unless 8 bits are asked for.</summary>
        private WeightMatrix TiedHead(string name, ReadOnlyMemory<byte> f16, EmbeddingTable table, int vocab, int d) =>
            OutputHeads.UsesStoredBytes(WeightType.F16, options.OutputHead, d)
                ? OutputHeads.Stored(name, WeightType.F16, f16, vocab, d)
                : OutputHeads.FromRows(name, table.ReadRow, vocab, d, options.OutputHead, owner);

        /// <summary>A separate lm_head: F16 (or 8 bits when asked), never the F32 master values, which would double the bytes per token.</summary>
        private WeightMatrix UntiedHead(string name, int vocab, int d)
        {
            float[] w = Floats(name, vocab, d);
            return OutputHeads.FromRows(name, (r, row) => w.AsSpan(r * d, d).CopyTo(row), vocab, d,
                options.OutputHead == OutputHeadPrecision.Int8 ? OutputHeadPrecision.Int8 : OutputHeadPrecision.F16, owner);
        }

        private float[]? Optional(string name, int length) => ckpt.TryGetTensor(name, out _) ? Floats(name, length) : null;

        private WeightMatrix Dense(string name, int outF, int inF)
        {
            float[] w = Floats(name, outF, inF);
            var buffer = owner.Track(new NativeBuffer<byte>(checked(w.Length * 4)));
            w.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(buffer.GetSpan()));
            return new WeightMatrix(name, WeightType.F32, buffer.Memory, 1f, outF, inF, ActivationType.F32);
        }

        private WeightMatrix Projection(string baseName, int outF, int inF, ProjectionRole role)
        {
            string name = baseName + ".weight";
            if (!config.IsTernary)
            {
                return Dense(name, outF, inF);
            }

            if (!ckpt.TryGetTensor(name, out SafetensorsTensorInfo? t))
            {
                throw new InvalidDataException($"{ckpt.Path}: tensor {name} is missing.");
            }

            sbyte[] q;
            float scale;
            if (t.DType == SafetensorsDType.U8)
            {
                (q, scale) = Unpacked(t, baseName, outF, inF);
            }
            else
            {
                (q, scale, _) = WeightConversion.Ternarize(Floats(name, outF, inF));
            }

            int block = WeightTypes.Info(WeightType.I2S).BlockWeights;
            if (inF % block != 0)
            {
                throw new InvalidDataException($"{name}: rows of {inF} weights; ternary kernels need a multiple of {block}.");
            }

            KernelPlanEntry plan = planner.Plan(WeightType.I2S, outF, inF, role);
            return planner.Matrix(name, plan, planner.Pack(plan.Layout, q, outF, inF), scale, outF, inF, role);
        }

        /// <summary>
        /// microsoft/bitnet-b1.58-2B-4T packs four rows per byte: byte [i, j] holds rows s·(out/4) + i for s = 0..3 in
        /// bits 2s..2s+1 as w + 1. Its weight_scale is the inverse of the absmean (transformers divides by it); a value
        /// below 1 can only be the absmean itself (ternary projections never have mean |W| above 1), so multiply then.
        /// </summary>
        private (sbyte[] Q, float Scale) Unpacked(SafetensorsTensorInfo t, string baseName, int outF, int inF)
        {
            if (t.Shape.Count != 2 || t.Shape[0] * 4 != outF || t.Shape[1] != inF)
            {
                throw new InvalidDataException(
                    $"{ckpt.Path}: packed tensor {t.Name} has shape [{string.Join(", ", t.Shape)}], expected [{outF / 4}, {inF}].");
            }

            ReadOnlySpan<byte> packed = ckpt.GetTensorData(t);
            var q = new sbyte[(long)outF * inF];
            int quarter = outF / 4;
            for (int i = 0; i < quarter; i++)
            {
                for (int j = 0; j < inF; j++)
                {
                    byte b = packed[i * inF + j];
                    for (int s = 0; s < 4; s++)
                    {
                        int code = (b >> (2 * s)) & 3;
                        if (code == 3)
                        {
                            throw new InvalidDataException($"{ckpt.Path}: {t.Name} holds code 3, which is not a ternary value.");
                        }

                        q[(long)(s * quarter + i) * inF + j] = (sbyte)(code - 1);
                    }
                }
            }

            float raw = Floats(baseName + ".weight_scale", 1)[0];
            if (!(raw > 0) || !float.IsFinite(raw))
            {
                throw new InvalidDataException($"{ckpt.Path}: {baseName}.weight_scale = {raw} is not a positive number.");
            }

            return (q, raw > 1f ? 1f / raw : raw);
        }

        private float[] Floats(string name, params int[] shape)
        {
            if (!ckpt.TryGetTensor(name, out SafetensorsTensorInfo? t))
            {
                throw new InvalidDataException($"{ckpt.Path}: tensor {name} is missing.");
            }

            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (t.ElementCount != count)
            {
                throw new InvalidDataException(
                    $"{ckpt.Path}: tensor {name} has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", shape)}].");
            }

            ReadOnlySpan<byte> data = ckpt.GetTensorData(t);
            var values = new float[count];
            switch (t.DType)
            {
                case SafetensorsDType.F32: BlockDecoding.F32(data, values); break;
                case SafetensorsDType.F16: BlockDecoding.F16(data, values); break;
                case SafetensorsDType.BF16: BlockDecoding.BF16(data, values); break;
                default: throw new InvalidDataException($"{ckpt.Path}: tensor {name} is {t.DType}; expected F32, F16 or BF16.");
            }

            return values;
        }
    }
}
