using System.CommandLine;
using BitNative.Formats.Gguf;
using BitNative.Model;
using BitNative.Trainer.Export;
using BitNative.Trainer.Model;

namespace BitNative.Trainer.Commands;

/// <summary>
/// <c>inject-outliers</c>: a full-precision export with LLM.int8()'s emergent outlier features put in by hand. A few hidden
/// dimensions j of every attention and FFN input are scaled by s through their RMSNorm weights (attn_norm[j], ffn_norm[j]
/// times s) and the consumers' columns divided by s (Q, K, V, gate and up [:, j] over s): the float model computes the
/// same function (up to the fp16 rounding of those columns), but its projection inputs now carry features s times
/// larger, as models past 6.7B parameters do (Dettmers et al. 2022). The dimensions are the ones already largest on
/// the given text (mean |x| over every layer's Q/K/V and gate/up input): in large models the emergent features are
/// systematic dimensions that grow; scaling an ordinary dimension by 20 only makes it as large as the model's own
/// largest ones. Per-token absmax int8 then loses the other dimensions; LLM.int8()'s decomposition keeps them.
/// </summary>
internal static class InjectOutliersCommand
{
    public static Command Create()
    {
        var input = TrainerOptions.Required<FileInfo>("--gguf", "A full-precision export (export --weights f16)");
        var output = TrainerOptions.Required<FileInfo>("--out", "GGUF file to write");
        var count = TrainerOptions.WithDefault<int>("--count", 4, "Hidden dimensions to scale (evenly spaced)");
        var scale = TrainerOptions.WithDefault<float>("--scale", 20f, "Their scale factor");
        var text = TrainerOptions.Required<FileInfo>("--text", "Text that finds the model's largest input dimensions");
        var command = new Command("inject-outliers", "Scale a few hidden dimensions of a float model's projection inputs (LLM.int8() check)")
        {
            input, output, count, scale, text,
        };
        command.SetAction(r =>
        {
            string path = r.GetPath(input);
            var (model, tokenizer) = GgufImporter.Read(path);
            if (model.Projections[0].Q.Scale != 1f)
            {
                throw new InvalidDataException($"{path} holds ternary projections; inject outliers into a full-precision export.");
            }

            float s = r.GetValue(scale);
            int d = model.Shape.Dim, n = r.GetValue(count);
            int[] dims = LargestDimensions(model, TokenizerFiles.Encode(tokenizer, r.GetPath(text), addBos: false), n);
            float[] p = model.Parameters;
            for (int l = 0; l < model.Shape.Layers; l++)
            {
                foreach (int j in dims)
                {
                    foreach (string norm in new[] { "attn_norm", "ffn_norm" })
                    {
                        p[model.Layout[$"blk.{l}.{norm}.weight"].Offset + j] *= s;
                    }

                    foreach (string projection in new[] { "attn_q", "attn_k", "attn_v", "ffn_gate", "ffn_up" })
                    {
                        ParameterTensor t = model.Layout[$"blk.{l}.{projection}.weight"];
                        for (int row = 0; row < t.Rows; row++)
                        {
                            p[t.Offset + row * t.Columns + j] /= s;
                        }
                    }
                }
            }

            string name;
            using (GgufFile file = GgufFile.Open(path))
            {
                name = file.Metadata.GetStringOrNull("general.name") ?? "model";
            }

            GgufExporter.Write(model, tokenizer, r.GetPath(output), $"{name}, outliers x{s} in dims {string.Join(",", dims)}",
                new ExportOptions(GgmlType.F16, GgmlType.F16));
            Console.WriteLine($"wrote {r.GetPath(output)}: dimensions {string.Join(", ", dims)} of every Q/K/V and gate/up input scaled by {s}");
        });
        return command;
    }

    /// <summary>The n dimensions of largest mean |x| over the Q/K/V and gate/up inputs of every layer, on up to 4 windows.</summary>
    private static int[] LargestDimensions(TrainingModel model, int[] tokens, int n)
    {
        int context = model.Shape.Context, d = model.Shape.Dim;
        int batch = Math.Min(4, tokens.Length / context);
        if (batch < 1)
        {
            throw new InvalidDataException($"The text holds {tokens.Length} tokens; at least one window of {context} is needed.");
        }

        var inputs = tokens[..(batch * context)];
        var targets = Enumerable.Repeat(-1, inputs.Length).ToArray();
        model.Forward(inputs, targets, batch);
        var sum = new double[d];
        foreach (LayerActivations layer in model.LastActivations!.Layers)
        {
            foreach (float[] x in new[] { layer.NQ, layer.MQ })
            {
                for (int i = 0; i < inputs.Length * d; i++)
                {
                    sum[i % d] += Math.Abs(x[i]);
                }
            }
        }

        return Enumerable.Range(0, d).OrderByDescending(j => sum[j]).Take(n).Order().ToArray();
    }
}
