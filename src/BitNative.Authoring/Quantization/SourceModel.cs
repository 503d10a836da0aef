using BitNative.Authoring.Gguf;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using BitNative.Formats.Gguf;
using BitNative.Formats.Safetensors;
using BitNative.Model;
using BitNative.Tokenization;

namespace BitNative.Authoring.Quantization;

/// <summary>What a tensor of a model is to the quantizer.</summary>
internal enum TensorRole
{
    /// <summary>A norm weight or another vector: kept as F32.</summary>
    Vector,

    /// <summary>The token embedding (and, when the file has no output.weight, the tied head).</summary>
    Embedding,

    /// <summary>An untied output head (output.weight).</summary>
    Head,

    /// <summary>One of a block's seven projections (blk.N.attn_q ... ffn_down): what the type quantizes.</summary>
    Projection,
}

/// <summary>A tensor of the source model under its GGUF name, with a reader of its float values ([Rows, Columns] row-major).</summary>
/// <param name="Name">GGUF name (blk.0.attn_q.weight).</param>
/// <param name="Role">What the quantizer does with it.</param>
/// <param name="Rows">Output features (1 for a vector).</param>
/// <param name="Columns">Input features (the contiguous dimension, GGUF's ne0).</param>
/// <param name="Read">Reads and dequantizes the values (a fresh array each call).</param>
internal sealed record SourceTensor(string Name, TensorRole Role, int Rows, int Columns, Func<float[]> Read)
{
    public long Elements => (long)Rows * Columns;

    /// <summary>The name without ".weight" (the prefix of a projection's side tensors).</summary>
    public string BaseName => Name.EndsWith(".weight", StringComparison.Ordinal) ? Name[..^".weight".Length] : Name;

    private static readonly Regex ProjectionName = new(@"^blk\.\d+\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)\.weight$");

    /// <summary>The role of a 2-D or 1-D tensor by its GGUF name.</summary>
    public static TensorRole RoleOf(string name, int dimensions) =>
        dimensions == 1 ? TensorRole.Vector
        : name == "token_embd.weight" ? TensorRole.Embedding
        : name == "output.weight" ? TensorRole.Head
        : ProjectionName.IsMatch(name) ? TensorRole.Projection
        : throw new InvalidDataException($"Tensor {name} is not one the quantizer knows (embedding, head, norms, the seven projections).");
}

/// <summary>
/// A full-precision model to quantize, as GGUF metadata (architecture keys, tokenizer) and float tensors under GGUF
/// names: a GGUF file with F32 / F16 / BF16 tensors, or a Hugging Face folder (config.json, tokenizer.json, one or
/// several .safetensors files) with F32 / F16 / BF16 or FP8 E4M3 weights and their scales.
/// </summary>
internal sealed class SourceModel : IDisposable
{
    private readonly IDisposable _owner;

    private SourceModel(string path, string description, ModelConfig config, IReadOnlyList<KeyValuePair<string, GgufValue>> metadata,
        IReadOnlyList<SourceTensor> tensors, long storedBytes, IDisposable owner)
    {
        Path = path;
        Description = description;
        Config = config;
        Metadata = metadata;
        Tensors = tensors;
        StoredBytes = storedBytes;
        _owner = owner;
    }

    public string Path { get; }

    /// <summary>"GGUF (F16)", "Hugging Face safetensors, 2 files (BF16)": for messages.</summary>
    public string Description { get; }

    public ModelConfig Config { get; }

    /// <summary>The key/value pairs an output file carries over (everything but the ones the quantizer sets).</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata { get; }

    public IReadOnlyList<SourceTensor> Tensors { get; }

    /// <summary>Bytes of tensor data in the source (the memory rule's "before").</summary>
    public long StoredBytes { get; }

    public long Parameters => Tensors.Sum(t => t.Elements);

    public void Dispose() => _owner.Dispose();

    /// <summary>Keys the quantizer writes itself, never copied from a source file.</summary>
    public static readonly string[] OwnKeys =
        ["general.file_type", "general.quantization_version", "general.alignment", GgufModelReader.DenseProjectionsKey, QuantizationKey];

    /// <summary>BitNative's key naming the quantization of a file (bitnative quantize's --type).</summary>
    public const string QuantizationKey = "bitnative.quantization";

    /// <summary>Opens a GGUF file, or a Hugging Face folder (or one of its .safetensors / index files).</summary>
    public static SourceModel Open(string path)
    {
        if (File.Exists(path) && path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            return OpenGguf(path);
        }

        if (Directory.Exists(path) || File.Exists(path))
        {
            return OpenHuggingFace(path);
        }

        throw new FileNotFoundException($"{path} is neither a GGUF file nor a Hugging Face folder.", path);
    }

    private static SourceModel OpenGguf(string path)
    {
        GgufFile file = GgufFile.Open(path);
        try
        {
            ModelConfig config = GgufModelReader.ReadConfig(file);
            var tensors = new List<SourceTensor>();
            var types = new SortedSet<string>();
            foreach (GgufTensorInfo t in file.Tensors)
            {
                RowCodec codec = t.Type switch
                {
                    GgmlType.F32 => RowCodec.F32,
                    GgmlType.F16 => RowCodec.F16,
                    GgmlType.BF16 => RowCodec.BF16,
                    _ => throw new InvalidDataException(
                        $"{path}: tensor {t.Name} is {t.Type}; bitnative quantize reads F32, F16 and BF16 models (quantize the original, not a quantized file)."),
                };
                types.Add(t.Type.ToString());
                int columns = (int)t.Dimensions[0];
                int rows = (int)(t.ElementCount / columns);
                GgufTensorInfo info = t;
                tensors.Add(new SourceTensor(t.Name, SourceTensor.RoleOf(t.Name, rows == 1 ? 1 : 2), rows, columns, () =>
                    {
                        var values = new float[checked((int)info.ElementCount)];
                        codec.Dequantize(file.GetTensorData(info), values);
                        return values;
                    }));
            }

            var metadata = file.Metadata.Where(kv => !OwnKeys.Contains(kv.Key)).ToList();
            return new SourceModel(path, $"GGUF ({string.Join(", ", types)})", config, metadata, tensors,
                file.Tensors.Sum(t => t.ByteSize), file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static SourceModel OpenHuggingFace(string path)
    {
        string folder = Directory.Exists(path) ? path : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        HuggingFaceConfig hf = HuggingFaceConfig.Read(System.IO.Path.Combine(folder, "config.json"));
        if (hf.Quantization is not null)
        {
            throw new InvalidDataException(
                $"{folder}: a BitNet checkpoint (quantization_config bitnet) is ternary already; bitnative quantize takes full-precision (or FP8) weights.");
        }

        string tokenizerJson = System.IO.Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(tokenizerJson))
        {
            throw new InvalidDataException($"{folder}: tokenizer.json is missing.");
        }

        string tokenizerConfig = System.IO.Path.Combine(folder, "tokenizer_config.json");
        TokenizerData tokenizer = TokenizerData.FromHuggingFace(tokenizerJson, File.Exists(tokenizerConfig) ? tokenizerConfig : null);
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.Open(path);
        try
        {
            ModelConfig c = hf.Model;
            string arch = c.Architecture switch
            {
                ModelArchitecture.Llama when c.Activation == FeedForwardActivation.Silu => "llama",
                ModelArchitecture.Llama => throw new InvalidDataException(
                    $"{folder}: a llama checkpoint with hidden_act relu2 has no GGUF architecture (GGUF's llama is SwiGLU)."),
                ModelArchitecture.BitNetB158 => "bitnet-b1.58",
                _ => "bitnet",
            };
            var reader = new HuggingFaceFloats(checkpoint, hf.Fp8);
            var tensors = new List<SourceTensor>();
            int d = c.EmbeddingLength, f = c.FeedForwardLength, kv = c.KvDim;
            void Add(string gguf, string name, int rows, int columns, Func<float[], float[]>? transform = null)
            {
                tensors.Add(new SourceTensor(gguf, SourceTensor.RoleOf(gguf, rows == 1 ? 1 : 2), rows, columns, () =>
                {
                    float[] values = reader.Read(name, rows, columns);
                    return transform is null ? values : transform(values);
                }));
            }

            // llama.cpp's convert_hf_to_gguf permutes a llama's Q and K rows so RoPE pairs (2i, 2i + 1) as its NORM
            // rope does (the engine's llama layout); BitNet files keep Hugging Face's rotate-half order.
            bool permute = arch == "llama";
            Add("token_embd.weight", "model.embed_tokens.weight", c.VocabSize, d);
            for (int l = 0; l < c.BlockCount; l++)
            {
                string p = $"model.layers.{l}.", g = $"blk.{l}.";
                Add(g + "attn_norm.weight", p + "input_layernorm.weight", 1, d);
                Add(g + "attn_q.weight", p + "self_attn.q_proj.weight", d, d, permute ? w => PermuteRope(w, c.HeadCount, d) : null);
                Add(g + "attn_k.weight", p + "self_attn.k_proj.weight", kv, d, permute ? w => PermuteRope(w, c.KvHeadCount, d) : null);
                Add(g + "attn_v.weight", p + "self_attn.v_proj.weight", kv, d);
                Add(g + "attn_output.weight", p + "self_attn.o_proj.weight", d, d);
                Add(g + "ffn_norm.weight", p + "post_attention_layernorm.weight", 1, d);
                Add(g + "ffn_gate.weight", p + "mlp.gate_proj.weight", f, d);
                Add(g + "ffn_up.weight", p + "mlp.up_proj.weight", f, d);
                Add(g + "ffn_down.weight", p + "mlp.down_proj.weight", d, f);
                if (arch != "llama")
                {
                    Add(g + "attn_sub_norm.weight", p + "self_attn.attn_sub_norm.weight", 1, d);
                    Add(g + "ffn_sub_norm.weight", p + "mlp.ffn_sub_norm.weight", 1, f);
                }
            }

            Add("output_norm.weight", "model.norm.weight", 1, d);
            if (!hf.TieWordEmbeddings)
            {
                Add("output.weight", "lm_head.weight", c.VocabSize, d);
            }

            var w = new GgufWriter();
            w.AddString("general.architecture", arch)
             .AddString("general.name", System.IO.Path.GetFileName(System.IO.Path.GetFullPath(folder).TrimEnd(System.IO.Path.DirectorySeparatorChar)))
             .AddUInt32($"{arch}.vocab_size", (uint)c.VocabSize)
             .AddUInt32($"{arch}.context_length", (uint)c.ContextLength)
             .AddUInt32($"{arch}.embedding_length", (uint)d)
             .AddUInt32($"{arch}.block_count", (uint)c.BlockCount)
             .AddUInt32($"{arch}.feed_forward_length", (uint)f)
             .AddUInt32($"{arch}.attention.head_count", (uint)c.HeadCount)
             .AddUInt32($"{arch}.attention.head_count_kv", (uint)c.KvHeadCount)
             .AddUInt32($"{arch}.rope.dimension_count", (uint)c.RopeDimensions)
             .AddFloat32($"{arch}.rope.freq_base", c.RopeFreqBase)
             .AddFloat32($"{arch}.attention.layer_norm_rms_epsilon", c.RmsNormEpsilon);
            GgufTokenizerMetadata.Add(w, tokenizer);
            var dtypes = checkpoint.Tensors.Select(t => t.DType.ToString()).Distinct().Order();
            return new SourceModel(path,
                $"Hugging Face safetensors, {checkpoint.Files.Count} file{(checkpoint.Files.Count == 1 ? "" : "s")} ({string.Join(", ", dtypes)})",
                c with { ArchitectureName = arch }, w.Metadata, tensors, checkpoint.Tensors.Sum(t => t.ByteSize), checkpoint);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>
    /// llama.cpp's LlamaModel.permute: within each of <paramref name="heads"/> heads, row i · hd/2 + j (half i, pair j)
    /// moves to row 2j + i, so the interleaved RoPE pairs (2j, 2j + 1) rotate what rotate-half paired (j, j + hd/2).
    /// </summary>
    public static float[] PermuteRope(float[] w, int heads, int columns)
    {
        int rows = w.Length / columns, headDim = rows / heads;
        var permuted = new float[w.Length];
        for (int h = 0; h < heads; h++)
        {
            for (int i = 0; i < 2; i++)
            {
                for (int j = 0; j < headDim / 2; j++)
                {
                    w.AsSpan((h * headDim + i * headDim / 2 + j) * columns, columns).CopyTo(permuted.AsSpan((h * headDim + 2 * j + i) * columns));
                }
            }
        }

        return permuted;
    }
}

/// <summary>Float values of a Hugging Face checkpoint's tensors: F32, F16, BF16, and FP8 E4M3 times its scales.</summary>
internal sealed class HuggingFaceFloats(SafetensorsCheckpoint checkpoint, Fp8Weights? fp8)
{
    public float[] Read(string name, int rows, int columns)
    {
        if (!checkpoint.TryGetTensor(name, out SafetensorsTensorInfo? t))
        {
            throw new InvalidDataException($"{checkpoint.Path}: tensor {name} is missing.");
        }

        long[] expected = rows == 1 ? [columns] : [rows, columns];
        if (!TensorShapes.Match(t.Shape, expected, outerOnesAllowed: false))
        {
            throw TensorShapes.Mismatch(checkpoint.Path, name, t.Shape, expected);
        }

        ReadOnlySpan<byte> data = checkpoint.GetTensorData(t);
        var values = new float[t.ElementCount];
        switch (t.DType)
        {
            case SafetensorsDType.F32: BlockDequantization.F32(data, values); break;
            case SafetensorsDType.F16: BlockDequantization.F16(data, values); break;
            case SafetensorsDType.BF16: BlockDequantization.BF16(data, values); break;
            case SafetensorsDType.F8_E4M3: Fp8(name, data, rows, columns, values); break;
            default: throw new InvalidDataException($"{checkpoint.Path}: tensor {name} is {t.DType}; expected F32, F16, BF16 or F8_E4M3.");
        }

        return values;
    }

    /// <summary>
    /// e4m3 · scale, with <c>&lt;name&gt;_scale_inv</c> (transformers' fp8: one float per block of the config's
    /// weight_block_size, [ceil(rows / br), ceil(columns / bc)]) or <c>&lt;name&gt;_scale</c> (compressed-tensors: one
    /// per tensor or one per row).
    /// </summary>
    private void Fp8(string name, ReadOnlySpan<byte> data, int rows, int columns, float[] values)
    {
        float[] Scales(SafetensorsTensorInfo s)
        {
            var v = new float[s.ElementCount];
            ReadOnlySpan<byte> b = checkpoint.GetTensorData(s);
            switch (s.DType)
            {
                case SafetensorsDType.F32: BlockDequantization.F32(b, v); break;
                case SafetensorsDType.F16: BlockDequantization.F16(b, v); break;
                case SafetensorsDType.BF16: BlockDequantization.BF16(b, v); break;
                default: throw new InvalidDataException($"{checkpoint.Path}: scale {s.Name} is {s.DType}; expected a float type.");
            }

            return v;
        }

        Func<int, int, float> scaleOf;
        if (checkpoint.TryGetTensor(name + "_scale_inv", out SafetensorsTensorInfo? inverse))
        {
            int br = fp8 is { BlockRows: > 0 } ? fp8.BlockRows : 128, bc = fp8 is { BlockColumns: > 0 } ? fp8.BlockColumns : 128;
            int blockColumns = (columns + bc - 1) / bc;
            float[] s = Scales(inverse);
            if (s.Length != (rows + br - 1) / br * blockColumns)
            {
                throw new InvalidDataException(
                    $"{checkpoint.Path}: {inverse.Name} has {s.Length} scales, but {rows}x{columns} in {br}x{bc} blocks needs {(rows + br - 1) / br * blockColumns}.");
            }

            scaleOf = (r, c) => s[r / br * blockColumns + c / bc];
        }
        else if (checkpoint.TryGetTensor(name + "_scale", out SafetensorsTensorInfo? scale))
        {
            float[] s = Scales(scale);
            scaleOf = s.Length == 1 ? (_, _) => s[0]
                : s.Length == rows ? (r, _) => s[r]
                : throw new InvalidDataException($"{checkpoint.Path}: {scale.Name} has {s.Length} scales; expected 1 or {rows}.");
        }
        else
        {
            throw new InvalidDataException($"{checkpoint.Path}: FP8 tensor {name} has neither {name}_scale_inv nor {name}_scale.");
        }

        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                byte q = data[r * columns + c];
                if ((q & 0x7f) == 0x7f)
                {
                    throw new InvalidDataException($"{checkpoint.Path}: FP8 tensor {name} holds a NaN at [{r}, {c}].");
                }

                values[r * columns + c] = WeightEncoding.E4M3Value(q) * scaleOf(r, c);
            }
        }
    }
}
