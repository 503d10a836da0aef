using BitNative.Authoring.Tokenization;
using System.CommandLine;
using System.Diagnostics;
using BitNative.Tokenization;

namespace BitNative.Trainer.Commands;

/// <summary><c>tokenizer</c>: trains the byte-level BPE vocabulary (Llama-3 pre-tokenizer, BitNet chat template) on a text file.</summary>
internal static class TokenizerCommand
{
    public static Command Create()
    {
        var train = TrainerOptions.Required<FileInfo>("--train", "Training text");
        var vocab = TrainerOptions.WithDefault<int>("--vocab", 4096, "Vocabulary size incl. bytes and special tokens");
        var output = TrainerOptions.Required<FileInfo>("--out", "tokenizer.json to write (Hugging Face format)");
        var command = new Command("tokenizer", "Train the BPE vocabulary") { train, vocab, output };
        command.SetAction(r =>
        {
            var clock = Stopwatch.StartNew();
            TokenizerData data = ByteLevelBpeTrainer.Train(File.ReadAllText(r.GetPath(train)), r.GetValue(vocab));
            if (data.Count != r.GetValue(vocab))
            {
                throw new InvalidOperationException($"The corpus yields only {data.Count} tokens; ask for fewer.");
            }

            string path = r.GetPath(output);
            data.WriteHuggingFace(path, Path.Combine(Path.GetDirectoryName(path)!, "tokenizer_config.json"));
            Console.WriteLine($"{data.Count} tokens ({data.Merges.Count} merges) written to {path} in {clock.Elapsed.TotalSeconds:F1} s");
        });
        return command;
    }
}
