using BitNative.Authoring.Gguf;
using System.Runtime.InteropServices;
using BitNative.Formats.Gguf;
using BitNative.Kernels;
using BitNative.Model;
using BitNative.Tokenization;
using BitNative.Trainer.Model;
using BitNative.Trainer.Ops;

namespace BitNative.Trainer.Export;

/// <summary>How the exported file stores the tied embedding / head and the projections (the file-level lossy choices).</summary>
/// <param name="Head">F16 (the reference), Q8_0 or Q6_K.</param>
/// <param name="Weights">
/// I2_S (the reference), TQ2_0 or TQ1_0 (the same ternary values; the scale becomes a per-block fp16), or F16: the latent
/// weights themselves, for a full-precision run (the float baseline), marked as dense projections.
/// </param>
internal sealed record ExportOptions(GgmlType Head = GgmlType.F16, GgmlType Weights = GgmlType.I2_S)
{
    public static ExportOptions Parse(string head, string weights) => new(
        head.ToLowerInvariant() switch
        {
            "f16" => GgmlType.F16,
            "q8_0" => GgmlType.Q8_0,
            "q6_k" => GgmlType.Q6_K,
            _ => throw new ArgumentException($"--head {head} is not f16, q8_0 or q6_k."),
        },
        weights.ToLowerInvariant() switch
        {
            "i2_s" => GgmlType.I2_S,
            "tq2_0" => GgmlType.TQ2_0,
            "tq1_0" => GgmlType.TQ1_0,
            "f16" => GgmlType.F16,
            _ => throw new ArgumentException($"--weights {weights} is not i2_s, tq2_0, tq1_0 or f16."),
        });
}

/// <summary>
/// Writes a trained model as a bitnet.cpp-style GGUF (architecture <c>bitnet-b1.58</c>) through the project's
/// <see cref="GgufWriter"/>, in the layout of SyntheticModelWriter: hyperparameters, the byte-level BPE tokenizer with
/// its special tokens and chat template, <c>token_embd.weight</c> as F16 (tied head, no output.weight), norms as F32,
/// and every projection ternarized with the engine's own absmean kernel and packed as I2_S followed by bitnet.cpp's
/// 32-byte trailer holding the float32 scale. With F16 projections (a full-precision run) the latent weights are written
/// as they are and the file says so (<see cref="GgufModelReader.DenseProjectionsKey"/>), so the engine runs them as
/// float weights instead of ternarizing them as it does a BitNet file's float masters.
/// </summary>
internal static class GgufExporter
{
    public const string Architecture = "bitnet-b1.58";

    public static void Write(TrainingModel model, TokenizerData tokenizer, string path, string name, ExportOptions? options = null)
    {
        options ??= new ExportOptions();
        ModelShape s = model.Shape;
        if (tokenizer.Count != s.Vocab)
        {
            throw new ArgumentException($"The tokenizer has {tokenizer.Count} tokens but the model {s.Vocab} embedding rows.");
        }

        string a = Architecture;
        var w = new GgufWriter();
        w.AddString("general.architecture", a)
         .AddString("general.name", name)
         // llama_ftype: MOSTLY_F16 = 1, MOSTLY_TQ1_0 = 36, MOSTLY_TQ2_0 = 37; bitnet.cpp writes 40 for I2_S.
         .AddUInt32("general.file_type", options.Weights switch { GgmlType.F16 => 1u, GgmlType.TQ1_0 => 36u, GgmlType.TQ2_0 => 37u, _ => 40u })
         .AddUInt32($"{a}.vocab_size", (uint)s.Vocab)
         .AddUInt32($"{a}.context_length", (uint)s.Context)
         .AddUInt32($"{a}.embedding_length", (uint)s.Dim)
         .AddUInt32($"{a}.block_count", (uint)s.Layers)
         .AddUInt32($"{a}.feed_forward_length", (uint)s.FeedForward)
         .AddUInt32($"{a}.attention.head_count", (uint)s.Heads)
         .AddUInt32($"{a}.attention.head_count_kv", (uint)s.KvHeads)
         .AddUInt32($"{a}.rope.dimension_count", (uint)s.HeadDim)
         .AddFloat32($"{a}.rope.freq_base", s.RopeBase)
         .AddFloat32($"{a}.attention.layer_norm_rms_epsilon", s.NormEps);
        if (options.Weights == GgmlType.F16)
        {
            w.AddBool(GgufModelReader.DenseProjectionsKey, true);
        }

        GgufTokenizerMetadata.Add(w, tokenizer);
        GgufRecipeMetadata.Add(w, model.Recipe);

        foreach (ParameterTensor t in model.Layout.Tensors)
        {
            ReadOnlySpan<float> values = model.Parameters.AsSpan(t.Offset, t.Length);
            switch (t.Kind)
            {
                case TensorKind.Embedding:
                    w.AddTensor(t.Name, options.Head, [t.Columns, t.Rows], EncodeEmbedding(t, values, options.Head));
                    break;
                case TensorKind.Norm:
                    w.AddTensor(t.Name, GgmlType.F32, [t.Columns], MemoryMarshal.AsBytes(values));
                    break;
                case TensorKind.Projection when options.Weights == GgmlType.F16:
                    var halves = new Half[t.Length];
                    System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(values, halves);
                    w.AddTensor(t.Name, GgmlType.F16, [t.Columns, t.Rows], MemoryMarshal.AsBytes(halves.AsSpan()).ToArray());
                    break;
                default:
                    w.AddTensor(t.Name, options.Weights, [t.Columns, t.Rows], PackTernary(t, values, options.Weights));
                    break;
            }
        }

        w.WriteTo(path);
    }

    /// <summary>
    /// Ternarizes with the engine's kernel and checks the codes against the trainer's own rule (the one every training
    /// step used): the shipped weights must be exactly the weights the trainer evaluated.
    /// </summary>
    private static byte[] PackTernary(ParameterTensor t, ReadOnlySpan<float> latent, GgmlType type)
    {
        var q = new sbyte[t.Length];
        float gamma = WeightPacker.TernarizeAbsmean(latent, q);
        var mine = new float[t.Length];
        float myGamma = BitLinear.Ternarize(latent, mine);
        for (int i = 0; i < q.Length; i++)
        {
            if (q[i] != mine[i] || gamma != myGamma)
            {
                throw new InvalidOperationException(
                    $"{t.Name}: the engine ternarizes weight {i} to {q[i]} (scale {gamma}), the trainer to {mine[i]} (scale {myGamma}).");
            }
        }

        if (type != GgmlType.I2_S)
        {
            // TQ blocks carry the scale as fp16 (llama.cpp's converter stores BitNet this way).
            WeightType tqType = type == GgmlType.TQ2_0 ? WeightType.Tq2 : WeightType.Tq1;
            var tq = new byte[WeightTypes.Bytes(tqType, t.Rows, t.Columns)];
            WeightPacker.Pack(tqType, q, t.Rows, t.Columns, gamma, tq);
            return tq;
        }

        return GgufI2STensor.Encode(q, t.Rows, t.Columns, gamma);
    }

    private static byte[] EncodeEmbedding(ParameterTensor t, ReadOnlySpan<float> values, GgmlType type)
    {
        if (type == GgmlType.F16)
        {
            var halves = new Half[t.Length];
            System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(values, halves);
            return MemoryMarshal.AsBytes(halves.AsSpan()).ToArray();
        }

        RowCodec codec = type == GgmlType.Q8_0 ? RowCodec.Q8_0 : RowCodec.Q6_K;
        int rowBytes = (int)codec.RowBytes(t.Columns);
        var bytes = new byte[rowBytes * t.Rows];
        for (int r = 0; r < t.Rows; r++)
        {
            ReadOnlySpan<float> row = values.Slice(r * t.Columns, t.Columns);
            Span<byte> destination = bytes.AsSpan(r * rowBytes, rowBytes);
            if (type == GgmlType.Q8_0)
            {
                BlockDequantization.EncodeQ8_0(row, destination);
            }
            else
            {
                BlockDequantization.EncodeQ6_K(row, destination);
            }
        }

        return bytes;
    }
}
