using BitNative.Formats.Gguf;
using BitNative.Kernels;
using BitNative.Model;

namespace BitNative.Tests.Model;

/// <summary>
/// Builds a <see cref="ReferenceTransformer"/> straight from a GGUF file's tensors: each projection unpacked to plain
/// ternary values with its scale as the format defines it (I2_S trailer, uniform TQ block scale, or max |w| of F16
/// ternary × scale), norms and embedding decoded to floats. No engine loading code is involved.
/// </summary>
internal static class FileReference
{
    public static ReferenceTransformer Build(string path, ModelConfig config)
    {
        using GgufFile file = GgufFile.Open(path);
        int d = config.EmbeddingLength, f = config.FeedForwardLength, kv = config.KvDim;
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
            codec.Decode(file.GetTensorData(t), values);
            return values;
        }

        ReferenceLinear Projection(string name, int outF, int inF)
        {
            GgufTensorInfo t = file.GetTensor(name);
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
                Floats(p + "attn_norm.weight", d), Projection(p + "attn_q.weight", d, d), Projection(p + "attn_k.weight", kv, d),
                Projection(p + "attn_v.weight", kv, d), Floats(p + "attn_sub_norm.weight", d), Projection(p + "attn_output.weight", d, d),
                Floats(p + "ffn_norm.weight", d), Projection(p + "ffn_gate.weight", f, d), Projection(p + "ffn_up.weight", f, d),
                Floats(p + "ffn_sub_norm.weight", f), Projection(p + "ffn_down.weight", d, f));
        }

        // The engine keeps an F16 head as stored, runs a block-quantized head whose type pairs with int8 rows (Q8_0, the
        // k-quants) on its stored bytes, and converts other encodings to fp16 once; model the same.
        float[] embedding = Floats("token_embd.weight", config.VocabSize * d);
        WeightType? stored = WeightTypes.FromGgmlType((int)file.GetTensor("token_embd.weight").Type);
        bool int8Head = stored is { } type && WeightTypes.Info(type).Activation == ActivationType.Int8;
        float[] head = int8Head ? embedding : embedding.Select(x => (float)(Half)x).ToArray();
        return new ReferenceTransformer(config, embedding, layers, Floats("output_norm.weight", d), head, int8Head);
    }
}
