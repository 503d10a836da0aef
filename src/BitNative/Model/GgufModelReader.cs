using System.Runtime.InteropServices;
using BitNative.Formats.Gguf;
using BitNative.Kernels;
using BitNative.Model.Planning;
using BitNative.Tokenization;

namespace BitNative.Model;

/// <summary>
/// Reads a GGUF model as bitnet.cpp (architectures <c>bitnet-b1.58</c>, <c>bitnet-25</c>) or llama.cpp (<c>bitnet</c>,
/// <c>llama</c>) write it: hyperparameters, tokenizer and typed weights, zero-copy where the kernels read the file's
/// layout (I2_S, TQ2_0 with per-block scales, F16/F32 heads) and repacked once otherwise.
/// </summary>
internal static class GgufModelReader
{
    /// <summary>
    /// BitNative's metadata key (bool) saying a file's projections are dense weights to run as stored: a model trained in
    /// full precision, or post-training quantized from one (<c>bitnative quantize</c>). Without it, float projections in a
    /// BitNet-architecture file are BitNet masters (or ternary × scale) and are ternarized at load; a Hugging Face BitNet
    /// checkpoint says the same by leaving out its quantization_config.
    /// </summary>
    public const string DenseProjectionsKey = "bitnative.dense_projections";

    public static LoadedModel Read(string path, ModelLoadOptions options)
    {
        var owner = new ResourceOwner();
        try
        {
            GgufFile file = owner.Track(GgufFile.Open(path));
            ModelConfig config = ReadConfig(file);
            TokenizerData tokenizer = ReadTokenizer(file, config);
            ModelRecipe recipe;
            try
            {
                recipe = options.Resolve(ModelRecipe.Read(file.Metadata));
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{file.FilePath}: {e.Message}", e);
            }

            var (weights, plan) = ReadWeights(file, config, options, recipe, owner);
            return new LoadedModel(weights, tokenizer, plan, recipe);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    public static ModelArchitecture ArchitectureOf(string name) =>
        ArchitectureDescription.FromGgufName(name)?.Architecture ?? throw new InvalidDataException(
            $"Architecture '{name}' is not supported; BitNative runs {ArchitectureDescription.SupportedNames} models.");

    public static ModelConfig ReadConfig(GgufFile file)
    {
        GgufMetadata m = file.Metadata;
        string arch = m.GetStringOrNull("general.architecture")
            ?? throw new InvalidDataException($"{file.FilePath}: general.architecture is missing.");
        ArchitectureDescription description = ArchitectureDescription.Of(ArchitectureOf(arch));
        int embedding = m.GetInt($"{arch}.embedding_length");
        int heads = m.GetInt($"{arch}.attention.head_count");
        int vocab = m.GetInt($"{arch}.vocab_size", m.TryGetValue("tokenizer.ggml.tokens", out GgufValue? tokens) ? tokens.ArrayLength
            : file.TryGetTensor("token_embd.weight", out GgufTensorInfo? embd) ? (int)embd.Dimensions[^1] : null);
        // key_length: the head width when it is not embedding / heads (Qwen3-4B); llama.cpp writes it for every qwen3 file.
        int headDim = m.GetInt($"{arch}.attention.key_length", heads > 0 ? embedding / heads : 0);
        int valueDim = m.GetInt($"{arch}.attention.value_length", headDim);
        if (valueDim != headDim)
        {
            throw new InvalidDataException($"{file.FilePath}: {arch}.attention.value_length {valueDim} != key_length {headDim}; BitNative needs them equal.");
        }

        var config = new ModelConfig(
            description.Architecture,
            arch,
            vocab,
            embedding,
            m.GetInt($"{arch}.block_count"),
            m.GetInt($"{arch}.feed_forward_length"),
            heads,
            m.GetInt($"{arch}.attention.head_count_kv", heads),
            m.GetInt($"{arch}.rope.dimension_count", headDim),
            m.GetFloat($"{arch}.rope.freq_base", 10000f),
            m.GetFloat($"{arch}.attention.layer_norm_rms_epsilon", 1e-5f),
            m.GetInt($"{arch}.context_length", 4096),
            description.Activation,
            description.Rope)
        {
            HeadDim = headDim,
        };
        try
        {
            config.Validate();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{file.FilePath}: {e.Message}", e);
        }

        return config;
    }

    public static TokenizerData ReadTokenizer(GgufFile file, ModelConfig config)
    {
        GgufMetadata m = file.Metadata;
        string model = m.GetStringOrNull("tokenizer.ggml.model")
            ?? throw new InvalidDataException($"{file.FilePath}: tokenizer.ggml.model is missing; the file carries no tokenizer.");
        if (model is not ("gpt2" or "llama"))
        {
            throw new InvalidDataException(
                $"{file.FilePath}: tokenizer model '{model}' is not supported; BitNative reads byte-level BPE ('gpt2') and SentencePiece ('llama') vocabularies.");
        }

        IReadOnlyList<string> tokens = m.GetStringArray("tokenizer.ggml.tokens");
        IReadOnlyList<string> merges = m.ContainsKey("tokenizer.ggml.merges") ? m.GetStringArray("tokenizer.ggml.merges") : [];
        TokenType[] types = m.ContainsKey("tokenizer.ggml.token_type")
            ? m.GetArray<int>("tokenizer.ggml.token_type").ToArray().Select(t => (TokenType)t).ToArray()
            : Enumerable.Repeat(TokenType.Normal, tokens.Count).ToArray();
        int? Id(string key) => m.TryGetInt(key, out long v) ? (int)v : null;
        int? bos = Id("tokenizer.ggml.bos_token_id");
        int? eot = Id("tokenizer.ggml.eot_token_id");
        if (eot is null && tokens.Count > 0)
        {
            // Llama-3 vocabularies always have <|eot_id|>; older converters did not write its id.
            int found = IndexOf(tokens, "<|eot_id|>");
            eot = found >= 0 ? found : null;
        }

        var data = new TokenizerData(tokens, types, merges, bos, Id("tokenizer.ggml.eos_token_id"), eot,
            Id("tokenizer.ggml.padding_token_id"), m.GetBool("tokenizer.ggml.add_bos_token", bos is not null),
            m.GetStringOrNull("tokenizer.ggml.pre"), m.GetStringOrNull("tokenizer.chat_template"))
        {
            Model = model,
            Scores = model == "llama" && m.ContainsKey("tokenizer.ggml.scores") ? m.GetArray<float>("tokenizer.ggml.scores").ToArray() : [],
            AddSpacePrefix = m.GetBool("tokenizer.ggml.add_space_prefix", true),
        };
        try
        {
            data.Validate();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{file.FilePath}: tokenizer: {e.Message}", e);
        }

        if (tokens.Count > config.VocabSize)
        {
            throw new InvalidDataException($"{file.FilePath}: {tokens.Count} tokens but only {config.VocabSize} embedding rows.");
        }

        return data;
    }

    private static int IndexOf(IReadOnlyList<string> tokens, string token)
    {
        for (int i = tokens.Count - 1; i >= 0; i--)
        {
            if (tokens[i] == token)
            {
                return i;
            }
        }

        return -1;
    }

    private static (ModelWeights Weights, IReadOnlyList<KernelPlanEntry> Plan) ReadWeights(GgufFile file, ModelConfig c,
        ModelLoadOptions options, ModelRecipe recipe, ResourceOwner owner)
    {
        using var planner = new KernelPlanner(c, options, recipe, owner);
        var reader = new TensorReader(file, c, options, planner, owner);
        WeightMatrix head = file.TryGetTensor("output.weight", out _)
            ? reader.Head("output.weight")
            : reader.Head("token_embd.weight"); // tied
        EmbeddingTable embedding = reader.Embedding("token_embd.weight", c.VocabSize, c.EmbeddingLength); // after a tied head
        var layers = new LayerWeights[c.BlockCount];
        int d = c.EmbeddingLength, f = c.FeedForwardLength, kv = c.KvDim, q = c.QueryDim, hd = c.HeadDim;
        for (int i = 0; i < c.BlockCount; i++)
        {
            // llama.cpp's tensor names (LLM_TENSOR_*): every architecture shares them; the description says which norms exist.
            string p = $"blk.{i}.";
            layers[i] = new LayerWeights(
                reader.Vector(p + "attn_norm.weight", d),
                reader.Projection(p + "attn_q", q, d, ProjectionRole.AttentionInput),
                reader.Projection(p + "attn_k", kv, d, ProjectionRole.AttentionInput),
                reader.Projection(p + "attn_v", kv, d, ProjectionRole.AttentionInput),
                reader.OptionalVector(p + "attn_sub_norm.weight", q),
                reader.Projection(p + "attn_output", d, q, ProjectionRole.AttentionOutput),
                reader.Vector(p + "ffn_norm.weight", d),
                reader.Projection(p + "ffn_gate", f, d, ProjectionRole.FeedForwardInput),
                reader.Projection(p + "ffn_up", f, d, ProjectionRole.FeedForwardInput),
                reader.OptionalVector(p + "ffn_sub_norm.weight", f),
                reader.Projection(p + "ffn_down", d, f, ProjectionRole.FeedForwardOutput))
            {
                QueryNorm = reader.OptionalVector(p + "attn_q_norm.weight", hd),
                KeyNorm = reader.OptionalVector(p + "attn_k_norm.weight", hd),
            };
        }

        return (new ModelWeights(c, embedding, layers, reader.Vector("output_norm.weight", d), head, owner), planner.Entries);
    }

    /// <summary>Typed access to the tensors of one file, every shape checked against the config.</summary>
    private sealed class TensorReader(GgufFile file, ModelConfig config, ModelLoadOptions options, KernelPlanner planner,
        ResourceOwner owner)
    {
        /// <summary>The file declares its projections dense (<see cref="DenseProjectionsKey"/>).</summary>
        private readonly bool _denseProjections = file.Metadata.GetBool(DenseProjectionsKey, false);

        private GgufTensorInfo Get(string name, params long[] shape)
        {
            if (!file.TryGetTensor(name, out GgufTensorInfo? t))
            {
                throw new InvalidDataException($"{file.FilePath}: tensor {name} is missing.");
            }

            // GGUF lists ne0 (the contiguous, input dimension) first; trailing 1s are optional.
            IReadOnlyList<long> dims = t.Dimensions;
            bool ok = dims.Count >= shape.Length && dims.Skip(shape.Length).All(x => x == 1);
            for (int i = 0; ok && i < shape.Length; i++)
            {
                ok = dims[i] == shape[i];
            }

            if (!ok)
            {
                throw new InvalidDataException(
                    $"{file.FilePath}: tensor {name} has shape [{string.Join(", ", dims)}], but the hyperparameters need [{string.Join(", ", shape)}].");
            }

            return t;
        }

        public float[]? OptionalVector(string name, int length) =>
            file.TryGetTensor(name, out _) ? Vector(name, length) : null;

        public float[] Vector(string name, int length)
        {
            GgufTensorInfo t = Get(name, length);
            var values = new float[length];
            DequantizeRows(t, values);
            foreach (float v in values)
            {
                if (!float.IsFinite(v))
                {
                    throw new InvalidDataException($"{file.FilePath}: tensor {name} holds a value that is not finite.");
                }
            }

            return values;
        }

        /// <summary>
        /// The token embedding, read in place: only the rows of the tokens seen are touched. Each page fault on a mapped
        /// file maps its neighbours too (64 KiB on Linux), so 4,000 prompt tokens brought ~200 MiB of a 2B model's
        /// embedding into the resident set; the table therefore releases the pages around each row it has read.
        /// </summary>
        public EmbeddingTable Embedding(string name, int rows, int columns)
        {
            GgufTensorInfo t = Get(name, columns, rows);
            return new EmbeddingTable(name, CodecOf(t), file.GetTensorMemory(t), rows, columns) { ReleasesReadRows = true };
        }

        /// <summary>
        /// The output head in the precision the options ask for: F16 and Q8_0 kept as stored when they match it, F32 as F32
        /// unless 8 bits are asked for (those through <see cref="Resident"/>), other encodings converted once (see
        /// <see cref="OutputHeads"/>).
        /// </summary>
        public WeightMatrix Head(string name)
        {
            int d = config.EmbeddingLength, vocab = config.VocabSize;
            GgufTensorInfo t = Get(name, d, vocab);
            OutputHeadPrecision precision = options.OutputHead;
            WeightType? stored = t.Traits.Layout;
            bool inPlace = stored is { } type && OutputHeads.UsesStoredBytes(type, precision, d);
            ReadOnlyMemory<byte> data = inPlace ? Resident(t) : file.GetTensorMemory(t);
            WeightMatrix head = inPlace
                ? OutputHeads.Stored(name, stored!.Value, data, vocab, d)
                : OutputHeads.FromRows(name, new EmbeddingTable(name, CodecOf(t), data, vocab, d).ReadRow, vocab, d, precision, owner);
            if (!inPlace)
            {
                file.ReleaseTensorPages(t); // converted: only the copy is read from now on (a tied embedding faults its rows back)
            }

            return head;
        }

        /// <summary>
        /// The bytes of a tensor the kernels read as stored: the mapped file itself with
        /// <see cref="ModelLoadOptions.MemoryMapWeights"/>, otherwise a copy in weight memory (2 MiB pages where the OS
        /// has them: fewer TLB misses while the tensor streams from DRAM every token) with the file's pages released, so
        /// the process still holds one copy.
        /// </summary>
        private ReadOnlyMemory<byte> Resident(GgufTensorInfo t)
        {
            ReadOnlyMemory<byte> data = file.GetTensorMemory(t);
            if (options.MemoryMapWeights)
            {
                return data;
            }

            // Chunk by chunk, so the file's pages of a large tensor (a 2B model's F16 head is 626 MiB) never sit beside
            // the whole copy.
            const int Chunk = 16 << 20;
            var copy = owner.Track(new NativeBuffer<byte>(data.Length));
            Span<byte> target = copy.GetSpan();
            for (int start = 0; start < data.Length; start += Chunk)
            {
                int length = Math.Min(Chunk, data.Length - start);
                data.Span.Slice(start, length).CopyTo(target.Slice(start, length));
                file.ReleaseTensorPages(t, start, length);
            }

            return copy.Memory;
        }

        /// <summary>
        /// A projection [inFeatures -> outFeatures] with its optional llama.cpp `.scale` factor, in the layout the planner
        /// chose, and its optional input transform (<see cref="InputTransform"/>).
        /// </summary>
        public WeightMatrix Projection(string baseName, int outFeatures, int inFeatures, ProjectionRole role) =>
            InputTransform(ProjectionWeights(baseName, outFeatures, inFeatures, role), baseName);

        private WeightMatrix ProjectionWeights(string baseName, int outFeatures, int inFeatures, ProjectionRole role)
        {
            string name = baseName + ".weight";
            GgufTensorInfo t = Get(name, inFeatures, outFeatures);
            float extra = 1f;
            if (file.TryGetTensor(baseName + ".scale", out _))
            {
                float[] s = Vector(baseName + ".scale", 1);
                extra = s[0];
            }

            // Ternary tensor types are ternary in every architecture (Falcon3-1.58bit and Llama3-8B-1.58 converted to I2_S /
            // TQ). Any other type is a dense weight in a llama file, or in a file that declares its projections dense (a
            // full-precision model and its post-training quantizations): it runs on its stored bytes.
            bool ternaryType = t.Type is GgmlType.I2_S or GgmlType.TQ1_0 or GgmlType.TQ2_0;
            if (!ternaryType && (!config.IsTernary || _denseProjections))
            {
                return DenseMatrix(t, name, extra, outFeatures, inFeatures);
            }

            switch (t.Type)
            {
                case GgmlType.I2_S:
                    return I2SProjection(t, name, file.GetI2SScale(t) * extra, outFeatures, inFeatures, role);
                case GgmlType.TQ2_0 or GgmlType.TQ1_0:
                    return TqProjection(t, name, extra, outFeatures, inFeatures, role);
                default:
                    var values = new float[checked(outFeatures * inFeatures)];
                    DequantizeRows(t, values);
                    file.ReleaseTensorPages(t);
                    var (q, scale) = WeightConversion.TernarizeGgufFloats(values);
                    RequireI2SColumns(name, inFeatures);
                    KernelPlanEntry plan = planner.Plan(WeightType.I2S, outFeatures, inFeatures, role);
                    return planner.Matrix(name, plan, planner.Pack(plan.Layout, q, outFeatures, inFeatures), scale * extra, outFeatures,
                        inFeatures, role);
            }
        }

        /// <summary>
        /// The optional side data of a projection, as <c>bitnative quantize</c> writes it: <c>&lt;base&gt;.input_scale</c> (F32
        /// [in]: OneBit's column scale) and <c>&lt;base&gt;.split_columns</c> (I32 [c]: column indices, -1 for padding) with
        /// <c>&lt;base&gt;.split_weight</c> ([c, out], any dense type with a kernel: LLM.int8()'s fp16 outlier columns,
        /// BiLLM's residual-binarized salient columns). See <see cref="WeightMatrix.WithInputTransform"/>.
        /// </summary>
        private WeightMatrix InputTransform(WeightMatrix m, string baseName)
        {
            float[]? inputScale = file.TryGetTensor(baseName + ".input_scale", out _) ? Vector(baseName + ".input_scale", m.InFeatures) : null;
            SplitColumns? split = null;
            if (file.TryGetTensor(baseName + ".split_columns", out GgufTensorInfo? columns))
            {
                if (columns.Type != GgmlType.I32 || columns.Dimensions.Count != 1)
                {
                    throw new InvalidDataException($"{file.FilePath}: {columns.Name} must be a one-dimensional I32 tensor, not {columns.Type}.");
                }

                int c = (int)columns.Dimensions[0];
                int[] indices = MemoryMarshal.Cast<byte, int>(file.GetTensorData(columns))[..c].ToArray();
                GgufTensorInfo side = Get(baseName + ".split_weight", c, m.OutFeatures);
                split = new SplitColumns(indices, DenseMatrix(side, side.Name, 1f, m.OutFeatures, c));
            }

            try
            {
                return inputScale is null && split is null ? m : m.WithInputTransform(inputScale, split);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{file.FilePath}: {e.Message}", e);
            }
        }

        /// <summary>I2_S runs in place unless the planner chose another layout; then it is converted from the mapped file.</summary>
        private WeightMatrix I2SProjection(GgufTensorInfo t, string name, float scale, int outFeatures, int inFeatures, ProjectionRole role)
        {
            KernelPlanEntry plan = planner.Plan(WeightType.I2S, outFeatures, inFeatures, role);
            if (plan.Layout == WeightType.I2S)
            {
                return planner.Matrix(name, plan, Resident(t), scale, outFeatures, inFeatures, role);
            }

            ReadOnlyMemory<byte> converted = planner.Convert(WeightType.I2S, file.GetTensorData(t), plan.Layout, outFeatures, inFeatures);
            file.ReleaseTensorPages(t); // converted: the file's copy is not read again
            return planner.Matrix(name, plan, converted, scale, outFeatures, inFeatures, role);
        }

        /// <summary>
        /// TQ2_0 runs in place; TQ1_0 is repacked. When every block carries the same scale (what converters write for a
        /// ternary tensor) the weights are repacked as I2_S, whose kernel is the fastest, unless the options say otherwise.
        /// </summary>
        private WeightMatrix TqProjection(GgufTensorInfo t, string name, float extra, int outFeatures, int inFeatures, ProjectionRole role)
        {
            WeightType source = t.Type == GgmlType.TQ2_0 ? WeightType.Tq2 : WeightType.Tq1;
            ReadOnlyMemory<byte> data = file.GetTensorMemory(t);
            if (source == WeightType.Tq2 && !options.RepackToI2S)
            {
                return planner.Matrix(name, planner.Plan(WeightType.Tq2, outFeatures, inFeatures, role), Resident(t), extra, outFeatures,
                    inFeatures, role);
            }

            var (scratch, blockScales) = WeightConversion.UnpackTq(source, data.Span, outFeatures, inFeatures);
            using IDisposable scratchOwner = scratch;
            ReadOnlySpan<sbyte> q = scratch.GetSpan();
            bool i2sShaped = inFeatures % WeightTypes.Info(WeightType.I2S).BlockWeights == 0;
            float? uniform = options.RepackToI2S && i2sShaped ? WeightConversion.UniformScale(blockScales, q) : null;
            if (uniform is null && source == WeightType.Tq2)
            {
                return planner.Matrix(name, planner.Plan(WeightType.Tq2, outFeatures, inFeatures, role), Resident(t), extra, outFeatures,
                    inFeatures, role);
            }

            file.ReleaseTensorPages(t); // repacked: the file's copy is not read again
            if (uniform is float scale)
            {
                KernelPlanEntry plan = planner.Plan(WeightType.I2S, outFeatures, inFeatures, role);
                return planner.Matrix(name, plan, planner.Pack(plan.Layout, q, outFeatures, inFeatures), scale * extra, outFeatures,
                    inFeatures, role);
            }

            return planner.Matrix(name, planner.Plan(WeightType.Tq2, outFeatures, inFeatures, role), WeightConversion.PackTq2(q, blockScales, owner),
                extra, outFeatures, inFeatures, role);
        }

        /// <summary>
        /// A dense projection (a float baseline's, or a post-training quantization of one): any type the traits table has a
        /// kernel for runs on its stored bytes with the activations that type pairs with (F16 / BF16 / F32 / F8 with
        /// floats, Q8_0 / Q4_0 / k-quants / Q2_0 / Q1_0 with int8 rows); another encoding is widened to F32 once.
        /// </summary>
        private WeightMatrix DenseMatrix(GgufTensorInfo t, string name, float scale, int outFeatures, int inFeatures)
        {
            if (t.Traits.Layout is { } type && WeightTypes.Info(type) is { IsTernary: false } info
                && inFeatures % info.BlockWeights == 0 && Matmul.IsSupported(type, info.Activation, Isa.Reference))
            {
                return new WeightMatrix(name, type, Resident(t), scale, outFeatures, inFeatures, info.Activation);
            }

            var values = new float[checked(outFeatures * inFeatures)];
            DequantizeRows(t, values);
            file.ReleaseTensorPages(t);
            var buffer = owner.Track(new NativeBuffer<byte>(values.Length * 4));
            values.CopyTo(MemoryMarshal.Cast<byte, float>(buffer.GetSpan()));
            return new WeightMatrix(name, WeightType.F32, buffer.Memory, scale, outFeatures, inFeatures, ActivationType.F32);
        }

        private void RequireI2SColumns(string name, int inFeatures)
        {
            int block = WeightTypes.Info(WeightType.I2S).BlockWeights;
            if (inFeatures % block != 0)
            {
                throw new InvalidDataException($"{file.FilePath}: {name} has rows of {inFeatures} weights; ternary kernels need a multiple of {block}.");
            }
        }

        private void DequantizeRows(GgufTensorInfo t, Span<float> values)
        {
            RowCodec codec = CodecOf(t);
            int rowLength = (int)t.Dimensions[0];
            ReadOnlySpan<byte> data = file.GetTensorData(t);
            long rowBytes = codec.RowBytes(rowLength);
            for (int r = 0; r < values.Length / rowLength; r++)
            {
                codec.Dequantize(data.Slice((int)(r * rowBytes), (int)rowBytes), values.Slice(r * rowLength, rowLength));
            }
        }

        private RowCodec CodecOf(GgufTensorInfo t) => t.Type switch
        {
            GgmlType.F32 => RowCodec.F32,
            GgmlType.F16 => RowCodec.F16,
            GgmlType.BF16 => RowCodec.BF16,
            GgmlType.Q8_0 => RowCodec.Q8_0,
            GgmlType.Q4_0 => RowCodec.Q4_0,
            GgmlType.Q6_K => RowCodec.Q6_K,
            GgmlType.Q4_K => RowCodec.Q4_K,
            GgmlType.Q5_K => RowCodec.Q5_K,
            _ => throw new InvalidDataException(
                $"{file.FilePath}: tensor {t.Name} is {t.Type}, which this engine cannot use for an embedding, norm or head."),
        };
    }
}
