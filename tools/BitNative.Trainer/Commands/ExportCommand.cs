using System.CommandLine;
using BitNative.Trainer.Export;
using BitNative.Trainer.Training;

namespace BitNative.Trainer.Commands;

/// <summary><c>export</c>: checkpoint -> GGUF (I2_S projections, F16 tied embedding, tokenizer inside).</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = TrainerOptions.Required<FileInfo>("--checkpoint", "checkpoint.bin of a run");
        var tokenizer = TrainerOptions.Required<FileInfo>("--tokenizer", "tokenizer.json the model was trained with");
        var output = TrainerOptions.Required<FileInfo>("--out", "GGUF file to write");
        var name = TrainerOptions.WithDefault<string>("--name", "BitNative Brown 1.58-bit");
        var head = TrainerOptions.WithDefault<string>("--head", "f16", "Tied embedding / head storage: f16, q8_0, q6_k");
        var weights = TrainerOptions.WithDefault<string>("--weights", "i2_s", "Projection storage: i2_s, tq2_0, tq1_0, or f16 (a full-precision run's float baseline)");
        var command = new Command("export", "Write a checkpoint as a BitNet b1.58 GGUF (I2_S)") { checkpoint, tokenizer, output, name, head, weights };
        command.SetAction(r =>
        {
            var (header, model) = Checkpoint.Load(r.GetPath(checkpoint), null, out _);
            model.Recipe = header.Options.RecipeAt(header.Step - 1); // the file states it, so the engine runs it as trained
            string path = r.GetPath(output);
            GgufExporter.Write(model, TokenizerFiles.Load(r.GetPath(tokenizer)), path, r.GetValue(name)!,
                ExportOptions.Parse(r.GetValue(head)!, r.GetValue(weights)!));
            Console.WriteLine($"step {header.Step} ({header.TokensSeen:N0} tokens) written to {path} ({new FileInfo(path).Length:N0} bytes)");
        });
        return command;
    }
}
