using System.Runtime.InteropServices;
using BitNative.Formats.Gguf;
using BitNative.Kernels;
using BitNative.Model;
using BitNative.Tokenization;
using BitNative.Trainer.Model;

namespace BitNative.Trainer.Export;

/// <summary>
/// Reads an exported GGUF back into the trainer's model: the F16 embedding, F32 norms and the I2_S codes with their
/// scales (or a full-precision export's F16 projections) become the trainer's forward weights as they are. The trainer then evaluates exactly the shipped file with its
/// own forward pass, an implementation independent of the engine's (shared: only the file reader and the unpacker).
/// </summary>
internal static class GgufImporter
{
    public static (TrainingModel Model, TokenizerData Tokenizer) Read(string path)
    {
        using GgufFile file = GgufFile.Open(path);
        ModelConfig c = GgufModelReader.ReadConfig(file);
        TokenizerData tokenizer = GgufModelReader.ReadTokenizer(file, c);
        var shape = new ModelShape(c.VocabSize, c.EmbeddingLength, c.BlockCount, c.FeedForwardLength, c.HeadCount, c.KvHeadCount,
            c.ContextLength, c.RopeFreqBase, c.RmsNormEpsilon);
        var model = new TrainingModel(shape);
        bool ternary = false;
        foreach (ParameterTensor t in model.Layout.Tensors)
        {
            GgufTensorInfo info = file.GetTensor(t.Name);
            ReadOnlySpan<byte> data = file.GetTensorData(info);
            Span<float> values = model.Parameters.AsSpan(t.Offset, t.Length);
            switch (info.Type)
            {
                case GgmlType.F16:
                    System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(data)[..t.Length], values);
                    break;
                case GgmlType.F32:
                    MemoryMarshal.Cast<byte, float>(data)[..t.Length].CopyTo(values);
                    break;
                case GgmlType.Q8_0 or GgmlType.Q6_K when t.Kind == TensorKind.Embedding:
                    // The engine turns a quantized head into F16 at load; do the same, so both evaluate the same values.
                    RowCodec codec = info.Type == GgmlType.Q8_0 ? RowCodec.Q8_0 : RowCodec.Q6_K;
                    int rowBytes = (int)codec.RowBytes(t.Columns);
                    for (int r = 0; r < t.Rows; r++)
                    {
                        Span<float> row = values.Slice(r * t.Columns, t.Columns);
                        codec.Dequantize(data.Slice(r * rowBytes, rowBytes), row);
                    }

                    break;
                case GgmlType.I2_S:
                    var codes = new sbyte[t.Length];
                    WeightPacker.Unpack(WeightType.I2S, data, t.Rows, t.Columns, codes, []);
                    float gamma = file.GetI2SScale(info);
                    for (int i = 0; i < codes.Length; i++)
                    {
                        values[i] = codes[i] * gamma; // the dequantized weight (what QuantMode.Float would use)
                    }

                    model.Projections.SelectMany(p => p.All).Single(p => p.Name == t.Name).SetTernary(codes, gamma);
                    ternary = true;
                    break;
                default:
                    throw new InvalidDataException($"{path}: {t.Name} is {info.Type}; the trainer reads F16, F32, I2_S (and Q8_0 / Q6_K embeddings).");
            }
        }

        if (ternary)
        {
            model.PrepareHead();
        }
        else
        {
            // a full-precision export (F16 projections): the file's values are the forward weights
            model.Mode = Ops.QuantMode.Float;
            model.Prepare();
        }

        model.Frozen = true;
        model.Recipe = ModelRecipe.Read(file.Metadata);
        return (model, tokenizer);
    }
}
