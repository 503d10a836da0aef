using System.CommandLine;
using BitNative.Trainer.Export;
using BitNative.Trainer.Training;

namespace BitNative.Trainer.Commands;

/// <summary><c>export</c>: checkpoint -> GGUF (I2_S projections, F16 tied embedding, tokenizer inside).</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "checkpoint.bin of a run", Required = true };
        var tokenizer = new Option<FileInfo>("--tokenizer") { Description = "tokenizer.json the model was trained with", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "GGUF file to write", Required = true };
        var name = new Option<string>("--name") { DefaultValueFactory = _ => "BitNative Brown 1.58-bit" };
        var head = new Option<string>("--head") { Description = "Tied embedding / head storage: f16, q8_0, q6_k", DefaultValueFactory = _ => "f16" };
        var weights = new Option<string>("--weights") { Description = "Projection storage: i2_s, tq2_0, tq1_0, or f16 (a full-precision run's float baseline)", DefaultValueFactory = _ => "i2_s" };
        var command = new Command("export", "Write a checkpoint as a BitNet b1.58 GGUF (I2_S)") { checkpoint, tokenizer, output, name, head, weights };
        command.SetAction(r =>
        {
            var (header, model) = Checkpoint.Load(r.GetValue(checkpoint)!.FullName, null, out _);
            model.Recipe = header.Options.RecipeAt(header.Step - 1); // the file states it, so the engine runs it as trained
            string path = r.GetValue(output)!.FullName;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            GgufExporter.Write(model, TokenizerFiles.Load(r.GetValue(tokenizer)!.FullName), path, r.GetValue(name)!,
                ExportOptions.Parse(r.GetValue(head)!, r.GetValue(weights)!));
            Console.WriteLine($"step {header.Step} ({header.TokensSeen:N0} tokens) written to {path} ({new FileInfo(path).Length:N0} bytes)");
        });
        return command;
    }
}
