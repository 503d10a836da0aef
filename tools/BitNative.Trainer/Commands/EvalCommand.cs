using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using BitNative.Tokenization;
using BitNative.Trainer.Eval;
using BitNative.Trainer.Export;
using BitNative.Trainer.Model;
using BitNative.Trainer.Ops;
using BitNative.Trainer.Training;

namespace BitNative.Trainer.Commands;

/// <summary>
/// <c>eval</c>: held-out perplexity with the trainer's own forward pass (windows as <c>bitnative perplexity</c>), of a
/// checkpoint (ternary, or <c>--float</c>: the full-precision latent weights) or of an exported GGUF.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<FileInfo?>("--checkpoint") { Description = "checkpoint.bin to evaluate" };
        var tokenizer = new Option<FileInfo?>("--tokenizer") { Description = "tokenizer.json (with --checkpoint)" };
        var gguf = new Option<FileInfo?>("--gguf") { Description = "Exported GGUF to evaluate (ternary as stored)" };
        var file = new Option<FileInfo>("--file", "-f") { Description = "Text to score", Required = true };
        var useFloat = new Option<bool>("--float") { Description = "Full-precision latent weights and activations (checkpoint only)" };
        var chunks = new Option<int>("--chunks") { Description = "Score at most this many windows (0: all)", DefaultValueFactory = _ => 0 };
        var int4 = new Option<bool>("--a4") { Description = "BitNet a4.8 split: int4 inputs for Q/K/V/gate/up, int8 for O/down (ternary only)" };
        var halfKv = new Option<bool>("--fp16-kv") { Description = "Round keys and values to fp16 like the engine's KV cache" };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 2 };
        var command = new Command("eval", "Held-out perplexity computed by the trainer")
        {
            checkpoint, tokenizer, gguf, file, useFloat, int4, halfKv, chunks, threads,
        };
        command.SetAction(r =>
        {
            Gemm.Threads = r.GetValue(threads);
            TrainingModel model;
            TokenizerData vocabulary;
            if (r.GetValue(gguf) is { } g)
            {
                (model, vocabulary) = GgufImporter.Read(g.FullName);
            }
            else if (r.GetValue(checkpoint) is { } c && r.GetValue(tokenizer) is { } t)
            {
                (_, model) = Checkpoint.Load(c.FullName, null, out _);
                vocabulary = TokenizerFiles.Load(t.FullName);
                model.Mode = r.GetValue(useFloat) ? QuantMode.Float : QuantMode.Ternary;
                model.Prepare();
            }
            else
            {
                throw new ArgumentException("Give --gguf FILE, or --checkpoint FILE with --tokenizer FILE.");
            }

            model.Int4Inputs = r.GetValue(int4);
            model.HalfPrecisionKv = r.GetValue(halfKv);
            var clock = Stopwatch.StartNew();
            int[] tokens = TokenizerFiles.Encode(vocabulary, r.GetValue(file)!.FullName, addBos: vocabulary.AddBos);
            var result = Perplexity.Evaluate(model, tokens, vocabulary.BosId ?? 0, r.GetValue(chunks), batch: 4);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"PPL = {result.Value:F4} (mean loss {result.MeanLoss:F4}) over {result.Windows} windows of {model.Shape.Context}, {result.Scored} tokens scored, {clock.Elapsed.TotalSeconds:F1} s"));
        });
        return command;
    }
}
