using BitNative.Formats.Gguf;
using BitNative.Kernels;
using BitNative.Model;

namespace BitNative.Tests.Model;

/// <summary>
/// Builds a <see cref="ReferenceTransformer"/> straight from a GGUF file's tensors: each projection unpacked to plain
/// ternary values with its scale as the format defines it (I2_S trailer, uniform TQ block scale, or max |w| of F16
/// ternary × scale), or, for ggml's 2-bit and 1-bit blocks (Q2_0, PrismML's 128-weight Q2_0, Q1_0), decoded here from
/// their layout to dense values over int8 rows; norms (QK-norms included) and embedding decoded to floats; a separate
/// output head when the file has one. No engine loading code is involved.
/// </summary>
internal static class FileReference
{
    public static ReferenceTransformer Build(string path, ModelConfig config)
    {
        using GgufFile file = GgufFile.Open(path);
        int d = config.EmbeddingLength, f = config.FeedForwardLength, kv = config.KvDim, qd = config.QueryDim;
        float[] Floats(string name, int count)
        {
            GgufTensorInfo t = file.GetTensor(name);
            var values = new float[count];
            RowCodec codec = t.Type switch
            {
                GgmlType.F32 => RowCodec.F32,
                GgmlType.F16 => RowCodec.F16,
                GgmlType.Q8_0 => RowCodec.Q8_0,
                GgmlType.Q6_K => RowCodec.Q6_K,
                GgmlType.Q4_0 => RowCodec.Q4_0,
                GgmlType.Q4_K => RowCodec.Q4_K,
                GgmlType.Q5_K => RowCodec.Q5_K,
                _ => throw new InvalidOperationException(t.Type.ToString()),
            };
            codec.Dequantize(file.GetTensorData(t), values);
            return values;
        }

        float[]? Optional(string name, int count) => file.TryGetTensor(name, out _) ? Floats(name, count) : null;

        ReferenceLinear Projection(string name, int outF, int inF)
        {
            GgufTensorInfo t = file.GetTensor(name);
            if (t.TypeName is "Q2_0" or "Q2_0_G128" or "Q1_0")
            {
                return new ReferenceLinear(outF, inF, null, 1f, DequantizeGroups(t.TypeName, file.GetTensorData(t), outF * inF), QuantizeInput: true);
            }

            var q = new sbyte[outF * inF];
            float scale;
            switch (t.Type)
            {
                case GgmlType.I2_S:
                    WeightPacker.Unpack(WeightType.I2S, file.GetTensorData(t), outF, inF, q, default);
                    scale = file.GetI2SScale(t);
                    break;
                case GgmlType.TQ2_0 or GgmlType.TQ1_0:
                    var blocks = new float[q.Length / 256];
                    WeightPacker.Unpack(t.Type == GgmlType.TQ2_0 ? WeightType.Tq2 : WeightType.Tq1, file.GetTensorData(t), outF, inF, q, blocks);
                    scale = blocks.Max();
                    break;
                default:
                    float[] w = Floats(name, outF * inF);
                    scale = w.Max(MathF.Abs);
                    for (int i = 0; i < w.Length; i++)
                    {
                        q[i] = (sbyte)MathF.Round(w[i] / scale);
                    }

                    break;
            }

            return new ReferenceLinear(outF, inF, q, scale, null);
        }

        var layers = new ReferenceLayer[config.BlockCount];
        for (int l = 0; l < config.BlockCount; l++)
        {
            string p = $"blk.{l}.";
            layers[l] = new ReferenceLayer(
                Floats(p + "attn_norm.weight", d), Projection(p + "attn_q.weight", qd, d), Projection(p + "attn_k.weight", kv, d),
                Projection(p + "attn_v.weight", kv, d), Optional(p + "attn_sub_norm.weight", qd), Projection(p + "attn_output.weight", d, qd),
                Floats(p + "ffn_norm.weight", d), Projection(p + "ffn_gate.weight", f, d), Projection(p + "ffn_up.weight", f, d),
                Optional(p + "ffn_sub_norm.weight", f), Projection(p + "ffn_down.weight", d, f))
            {
                QNorm = Optional(p + "attn_q_norm.weight", config.HeadDim),
                KNorm = Optional(p + "attn_k_norm.weight", config.HeadDim),
            };
        }

        // The engine keeps an F16 head as stored, runs a block-quantized head whose type pairs with int8 rows (Q8_0, the
        // k-quants) on its stored bytes, and converts other encodings to fp16 once; model the same.
        float[] embedding = Floats("token_embd.weight", config.VocabSize * d);
        string headName = file.TryGetTensor("output.weight", out _) ? "output.weight" : "token_embd.weight";
        float[] headValues = headName == "output.weight" ? Floats(headName, config.VocabSize * d) : embedding;
        WeightType? stored = WeightTypes.FromGgmlType((int)file.GetTensor(headName).Type);
        bool int8Head = stored is { } type && WeightTypes.Info(type).Activation == ActivationType.Int8;
        float[] head = int8Head ? headValues : headValues.Select(x => (float)(Half)x).ToArray();
        return new ReferenceTransformer(config, embedding, layers, Floats("output_norm.weight", d), head, int8Head);
    }

    /// <summary>
    /// ggml's 2-bit / 1-bit blocks as bitnative.h specifies them, decoded independently of the engine: {fp16 d; codes};
    /// Q2_0 / Q2_0_G128: code c of weight j at bits 2 (j % 4) of byte j / 4, w = d (c - 1); Q1_0: bit j % 8 of byte j / 8,
    /// w = ±d.
    /// </summary>
    private static float[] DequantizeGroups(string type, ReadOnlySpan<byte> data, int count)
    {
        (int group, int bytes) = type switch { "Q2_0" => (64, 18), "Q2_0_G128" => (128, 34), _ => (128, 18) };
        var values = new float[count];
        for (int b = 0; b < count / group; b++)
        {
            ReadOnlySpan<byte> block = data.Slice(b * bytes, bytes);
            float d = (float)BitConverter.ToHalf(block[..2]);
            for (int j = 0; j < group; j++)
            {
                int code = type == "Q1_0" ? ((block[2 + j / 8] >> (j % 8)) & 1) * 2 : (block[2 + j / 4] >> (2 * (j % 4))) & 3;
                values[b * group + j] = d * (code - 1);
            }
        }

        return values;
    }
}
