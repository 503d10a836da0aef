using BitNative.Formats.Safetensors;
using BitNative.Kernels;
using BitNative.Tokenization;

namespace BitNative.Model;

/// <summary>
/// Reads a Hugging Face checkpoint: config.json (<see cref="HuggingFaceConfig"/>), tokenizer.json (+ tokenizer_config.json)
/// and safetensors weights (single file or sharded with model.safetensors.index.json), with the rules transformers applies
/// to the same files: the projections as <see cref="HuggingFaceProjections"/> builds them from quantization_config, and
/// the output head as tie_word_embeddings says.
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
            HuggingFaceConfig config = HuggingFaceConfig.Read(Path.Combine(folder, "config.json"));
            if (config.Fp8 is not null)
            {
                throw new InvalidDataException(
                    $"{folder}: an FP8 checkpoint (quantization_config {string.Join(" / ", Fp8Weights.Methods)}); convert it first: bitnative quantize {folder} OUT.gguf --type f8");
            }

            string tokenizerJson = Path.Combine(folder, "tokenizer.json");
            if (!File.Exists(tokenizerJson))
            {
                throw new InvalidDataException($"{folder}: tokenizer.json is missing.");
            }

            string configJson = Path.Combine(folder, "tokenizer_config.json");
            TokenizerData tokenizer = TokenizerData.FromHuggingFace(tokenizerJson, File.Exists(configJson) ? configJson : null);
            ModelRecipe recipe = options.Resolve(ModelRecipe.B158);
            using var planner = new KernelPlanner(config.Model, options, recipe, owner);
            var reader = new Reader(new HuggingFaceTensors(checkpoint), config, options, planner, owner);
            ModelWeights weights = reader.Weights();
            return new LoadedModel(weights, tokenizer, planner.Entries, recipe);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    private sealed class Reader(HuggingFaceTensors tensors, HuggingFaceConfig hf, ModelLoadOptions options, KernelPlanner planner,
        ResourceOwner owner)
    {
        private const string EmbeddingName = "model.embed_tokens.weight";
        private const string HeadName = "lm_head.weight";

        private readonly ModelConfig _config = hf.Model;
        private readonly HuggingFaceProjections _projections = new(tensors, hf.Quantization, planner, owner);

        public ModelWeights Weights()
        {
            ModelConfig c = _config;
            int d = c.EmbeddingLength, f = c.FeedForwardLength, kv = c.KvDim, v = c.VocabSize;
            float[] embedding = tensors.Floats(EmbeddingName, v, d);
            var embeddingBuffer = owner.Track(new NativeBuffer<byte>(checked(v * d * 2)));
            Span<Half> halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(embeddingBuffer.GetSpan());
            System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(embedding, halves);
            var table = new EmbeddingTable(EmbeddingName, RowCodec.F16, embeddingBuffer.Memory, v, d);
            WeightMatrix head = hf.TieWordEmbeddings
                ? TiedHead(embedding, embeddingBuffer.Memory, table)
                : UntiedHead(v, d);

            var layers = new LayerWeights[c.BlockCount];
            for (int i = 0; i < c.BlockCount; i++)
            {
                string p = $"model.layers.{i}.";
                layers[i] = new LayerWeights(
                    tensors.Floats(p + "input_layernorm.weight", d),
                    _projections.Build(p + "self_attn.q_proj", d, d, ProjectionRole.AttentionInput),
                    _projections.Build(p + "self_attn.k_proj", kv, d, ProjectionRole.AttentionInput),
                    _projections.Build(p + "self_attn.v_proj", kv, d, ProjectionRole.AttentionInput),
                    SubNorm(p + "self_attn.attn_sub_norm.weight", d),
                    _projections.Build(p + "self_attn.o_proj", d, d, ProjectionRole.AttentionOutput),
                    tensors.Floats(p + "post_attention_layernorm.weight", d),
                    _projections.Build(p + "mlp.gate_proj", f, d, ProjectionRole.FeedForwardInput),
                    _projections.Build(p + "mlp.up_proj", f, d, ProjectionRole.FeedForwardInput),
                    SubNorm(p + "mlp.ffn_sub_norm.weight", f),
                    _projections.Build(p + "mlp.down_proj", d, f, ProjectionRole.FeedForwardOutput));
            }

            return new ModelWeights(c, table, layers, tensors.Floats("model.norm.weight", d), head, owner);
        }

        /// <summary>
        /// BitNet layers have sub-norms (BitNetAttention.attn_sub_norm, BitNetMLP.ffn_sub_norm); LLaMA layers have none,
        /// and a llama checkpoint that carries them would be run without them by transformers, so that is an error.
        /// </summary>
        private float[]? SubNorm(string name, int length)
        {
            if (_config.IsTernary)
            {
                return tensors.Floats(name, length);
            }

            return tensors.Has(name)
                ? throw new InvalidDataException($"{tensors.Path}: {name} is present, but model_type llama has no sub-norms; is this a bitnet checkpoint?")
                : null;
        }

        /// <summary>
        /// tie_word_embeddings true: the head is the embedding, whose F16 copy it reads in place unless 8 bits are asked
        /// for. A stored lm_head.weight that differs would be a second, contradicting head (which one transformers ends up
        /// with depends on its load order), so it is an error.
        /// </summary>
        private WeightMatrix TiedHead(float[] embedding, ReadOnlyMemory<byte> embeddingF16, EmbeddingTable table)
        {
            int v = _config.VocabSize, d = _config.EmbeddingLength;
            if (tensors.Has(HeadName) && !tensors.Floats(HeadName, v, d).AsSpan().SequenceEqual(embedding))
            {
                throw new InvalidDataException(
                    $"{tensors.Path}: config.json ties the output head to {EmbeddingName} (tie_word_embeddings true), but {HeadName} holds other values.");
            }

            return OutputHeads.UsesStoredBytes(WeightType.F16, options.OutputHead, d)
                ? OutputHeads.Stored(EmbeddingName, WeightType.F16, embeddingF16, v, d)
                : OutputHeads.FromRows(EmbeddingName, table.ReadRow, v, d, options.OutputHead, owner);
        }

        /// <summary>
        /// tie_word_embeddings false (the default of BitNetConfig and LlamaConfig when the key is absent): lm_head.weight is
        /// the head, F16 (or 8 bits when asked), never the F32 master values, which would double the bytes per token.
        /// </summary>
        private WeightMatrix UntiedHead(int vocab, int d)
        {
            float[] w = tensors.Floats(tensors.Get(HeadName,
                "config.json does not tie the output head to the embedding (tie_word_embeddings is false or absent, and false is the default)"), vocab, d);
            return OutputHeads.FromRows(HeadName, (r, row) => w.AsSpan(r * d, d).CopyTo(row), vocab, d,
                options.OutputHead == OutputHeadPrecision.Int8 ? OutputHeadPrecision.Int8 : OutputHeadPrecision.F16, owner);
        }
    }
}
