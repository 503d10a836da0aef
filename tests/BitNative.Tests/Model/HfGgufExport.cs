using BitNative.Authoring.Gguf;
using System.Runtime.InteropServices;
using BitNative.Formats.Gguf;
using BitNative.Model;
using BitNative.Tokenization;

namespace BitNative.Tests.Model;

/// <summary>
/// Exports a checkpoint, as transformers runs it (<see cref="TransformersModel"/>), to GGUF the way the converters lay such
/// models out: bitnet.cpp's <c>bitnet-b1.58</c> (ReLU²) or llama.cpp's <c>bitnet</c> (SiLU) for BitNet, and llama.cpp's
/// <c>llama</c> for Falcon3-1.58bit-style LLaMA, whose Q and K rows its converter permutes into the interleaved pairs its
/// RoPE rotates (convert_hf_to_gguf.py, LlamaModel.permute). Every projection is I2_S with bitnet.cpp's trailing float
/// scale; token_embd / output F16, norms F32.
/// </summary>
internal static class HfGgufExport
{
    /// <summary>
    /// False when the model has something GGUF cannot carry: a module's own input norm (use_rms_norm), or a projection
    /// that is not one scale times ternary values (unconverted nn.Linear, AutoBitLinear offline over continuous floats).
    /// </summary>
    public static bool CanExport(TransformersModel m) => m.Layers.All(l => Projections(l).All(p => Ternary(p) is not null));

    public static void Write(TransformersModel m, TokenizerData tokenizer, string path)
    {
        ModelConfig c = m.Config;
        string a = c.Architecture switch
        {
            ModelArchitecture.BitNetB158 => "bitnet-b1.58",
            ModelArchitecture.BitNet => "bitnet",
            _ => "llama",
        };
        var w = new GgufWriter();
        w.AddString("general.architecture", a)
         .AddString("general.name", "exported from a Hugging Face test checkpoint")
         .AddUInt32($"{a}.vocab_size", (uint)c.VocabSize)
         .AddUInt32($"{a}.context_length", (uint)c.ContextLength)
         .AddUInt32($"{a}.embedding_length", (uint)c.EmbeddingLength)
         .AddUInt32($"{a}.block_count", (uint)c.BlockCount)
         .AddUInt32($"{a}.feed_forward_length", (uint)c.FeedForwardLength)
         .AddUInt32($"{a}.attention.head_count", (uint)c.HeadCount)
         .AddUInt32($"{a}.attention.head_count_kv", (uint)c.KvHeadCount)
         .AddUInt32($"{a}.rope.dimension_count", (uint)c.RopeDimensions)
         .AddFloat32($"{a}.rope.freq_base", c.RopeFreqBase)
         .AddFloat32($"{a}.attention.layer_norm_rms_epsilon", c.RmsNormEpsilon);
        GgufTokenizerMetadata.Add(w, tokenizer);

        int d = c.EmbeddingLength;
        w.AddTensor("token_embd.weight", GgmlType.F16, [d, c.VocabSize], F16(m.Embedding));
        w.AddTensor("output_norm.weight", GgmlType.F32, [d], F32(m.OutputNorm));
        if (!m.Tied)
        {
            w.AddTensor("output.weight", GgmlType.F16, [d, c.VocabSize], F16(m.Head));
        }

        bool llama = c.Architecture == ModelArchitecture.Llama;
        for (int l = 0; l < c.BlockCount; l++)
        {
            ReferenceLayer x = m.Layers[l];
            string p = $"blk.{l}.";
            w.AddTensor(p + "attn_norm.weight", GgmlType.F32, [d], F32(x.AttnNorm));
            AddI2S(w, p + "attn_q.weight", x.Q, llama ? c.HeadCount : 0);
            AddI2S(w, p + "attn_k.weight", x.K, llama ? c.KvHeadCount : 0);
            AddI2S(w, p + "attn_v.weight", x.V, 0);
            AddI2S(w, p + "attn_output.weight", x.O, 0);
            w.AddTensor(p + "ffn_norm.weight", GgmlType.F32, [d], F32(x.FfnNorm));
            AddI2S(w, p + "ffn_gate.weight", x.Gate, 0);
            AddI2S(w, p + "ffn_up.weight", x.Up, 0);
            AddI2S(w, p + "ffn_down.weight", x.Down, 0);
            if (x.AttnSubNorm is not null)
            {
                w.AddTensor(p + "attn_sub_norm.weight", GgmlType.F32, [d], F32(x.AttnSubNorm));
                w.AddTensor(p + "ffn_sub_norm.weight", GgmlType.F32, [c.FeedForwardLength], F32(x.FfnSubNorm!));
            }
        }

        w.WriteTo(path);
    }

    private static IEnumerable<ReferenceLinear> Projections(ReferenceLayer l) => [l.Q, l.K, l.V, l.O, l.Gate, l.Up, l.Down];

    /// <summary>The projection as ternary values and one scale, when it is exactly that and reads int8 inputs of its own input.</summary>
    private static (sbyte[] Q, float Scale)? Ternary(ReferenceLinear p)
    {
        if (p.InputNorm is not null)
        {
            return null;
        }

        if (p.Ternary is not null)
        {
            return (p.Ternary, p.Scale);
        }

        if (!p.QuantizeInput || p.Dense is null)
        {
            return null;
        }

        float magnitude = p.Dense.Select(MathF.Abs).FirstOrDefault(v => v != 0);
        if (p.Dense.Any(v => v != 0 && MathF.Abs(v) != magnitude))
        {
            return null;
        }

        return (p.Dense.Select(v => (sbyte)Math.Sign(v)).ToArray(), magnitude * p.Scale);
    }

    /// <summary>I2_S plus the trailing float scale; with <paramref name="permuteHeads"/>, llama.cpp's Q/K row permutation first.</summary>
    private static void AddI2S(GgufWriter w, string name, ReferenceLinear p, int permuteHeads)
    {
        (sbyte[] q, float scale) = Ternary(p) ?? throw new InvalidOperationException($"{name} is not ternary.");
        if (permuteHeads > 0)
        {
            q = Permute(q, p.Out, p.In, permuteHeads);
        }

        w.AddTensor(name, GgmlType.I2_S, [p.In, p.Out], GgufI2STensor.Encode(q, p.Out, p.In, scale));
    }

    /// <summary>
    /// LlamaModel.permute: rows reshaped (heads, 2, head_dim / 2) and the last two axes swapped, so row i of the first half
    /// of a head lands at 2i and row i of the second half at 2i + 1.
    /// </summary>
    private static sbyte[] Permute(sbyte[] q, int rows, int columns, int heads)
    {
        int headDim = rows / heads, half = headDim / 2;
        var permuted = new sbyte[q.Length];
        for (int h = 0; h < heads; h++)
        {
            for (int i = 0; i < half; i++)
            {
                for (int j = 0; j < 2; j++)
                {
                    q.AsSpan((h * headDim + j * half + i) * columns, columns).CopyTo(permuted.AsSpan((h * headDim + 2 * i + j) * columns, columns));
                }
            }
        }

        return permuted;
    }

    private static byte[] F16(float[] values) => MemoryMarshal.AsBytes(values.Select(v => (Half)v).ToArray().AsSpan()).ToArray();

    private static byte[] F32(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
