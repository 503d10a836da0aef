using System.Buffers.Binary;
using System.Runtime.InteropServices;
using BitNative.Formats.Gguf;
using BitNative.Kernels;
using BitNative.Tokenization;
using BitNative.Trainer.Model;
using BitNative.Trainer.Ops;

namespace BitNative.Trainer.Export;

/// <summary>
/// Writes a trained model as a bitnet.cpp-style GGUF (architecture <c>bitnet-b1.58</c>) through the project's
/// <see cref="GgufWriter"/>, in the layout of SyntheticModelWriter: hyperparameters, the byte-level BPE tokenizer with
/// its special tokens and chat template, <c>token_embd.weight</c> as F16 (tied head, no output.weight), norms as F32,
/// and every projection ternarized with the engine's own absmean kernel and packed as I2_S followed by bitnet.cpp's
/// 32-byte trailer holding the float32 scale.
/// </summary>
internal static class GgufExporter
{
    public const string Architecture = "bitnet-b1.58";

    public static void Write(TrainingModel model, TokenizerData tokenizer, string path, string name)
    {
        ModelShape s = model.Shape;
        if (tokenizer.Count != s.Vocab)
        {
            throw new ArgumentException($"The tokenizer has {tokenizer.Count} tokens but the model {s.Vocab} embedding rows.");
        }

        string a = Architecture;
        var w = new GgufWriter();
        w.AddString("general.architecture", a)
         .AddString("general.name", name)
         .AddUInt32("general.file_type", 40) // bitnet.cpp's I2_S file type
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
        AddTokenizer(w, tokenizer);

        foreach (ParameterTensor t in model.Layout.Tensors)
        {
            ReadOnlySpan<float> values = model.Parameters.AsSpan(t.Offset, t.Length);
            switch (t.Kind)
            {
                case TensorKind.Embedding:
                    var halves = new Half[t.Length];
                    System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(values, halves);
                    w.AddTensor(t.Name, GgmlType.F16, [t.Columns, t.Rows], MemoryMarshal.AsBytes(halves.AsSpan()));
                    break;
                case TensorKind.Norm:
                    w.AddTensor(t.Name, GgmlType.F32, [t.Columns], MemoryMarshal.AsBytes(values));
                    break;
                default:
                    w.AddTensor(t.Name, GgmlType.I2_S, [t.Columns, t.Rows], PackI2S(t, values));
                    break;
            }
        }

        w.WriteTo(path);
    }

    /// <summary>
    /// Ternarizes with the engine's kernel and checks the codes against the trainer's own rule (the one every training
    /// step used): the shipped weights must be exactly the weights the trainer evaluated.
    /// </summary>
    private static byte[] PackI2S(ParameterTensor t, ReadOnlySpan<float> latent)
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

        var packed = new byte[WeightPacker.PackedBytes(TernaryFormat.I2S, t.Rows, t.Columns) + 32];
        WeightPacker.Pack(TernaryFormat.I2S, q, gamma, packed);
        BinaryPrimitives.WriteSingleLittleEndian(packed.AsSpan(packed.Length - 32), gamma); // bitnet.cpp's trailer
        return packed;
    }

    private static void AddTokenizer(GgufWriter w, TokenizerData t)
    {
        w.AddString("tokenizer.ggml.model", "gpt2")
         .AddString("tokenizer.ggml.pre", TokenizerData.Llama3PreTokenizerName)
         .AddStringArray("tokenizer.ggml.tokens", t.Tokens)
         .AddArray<int>("tokenizer.ggml.token_type", t.TokenTypes.Select(x => (int)x).ToArray())
         .AddStringArray("tokenizer.ggml.merges", t.Merges)
         .AddBool("tokenizer.ggml.add_bos_token", t.AddBos)
         .AddString("tokenizer.chat_template", t.ChatTemplate ?? ChatFormatter.BitNetTemplate);
        if (t.BosId is int bos) w.AddUInt32("tokenizer.ggml.bos_token_id", (uint)bos);
        if (t.EosId is int eos) w.AddUInt32("tokenizer.ggml.eos_token_id", (uint)eos);
        if (t.EotId is int eot) w.AddUInt32("tokenizer.ggml.eot_token_id", (uint)eot);
        if ((t.PadId ?? t.EosId) is int pad) w.AddUInt32("tokenizer.ggml.padding_token_id", (uint)pad);
    }
}
