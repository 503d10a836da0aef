using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ActivationBits = BitNative.Kernels.ActivationBits;
using BitNative.Model;
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
        var chunks = TrainerOptions.WithDefault<int>("--chunks", 0, "Score at most this many windows (0: all)");
        var int4 = new Option<bool>("--a4") { Description = "BitNet a4.8 split: int4 inputs for Q/K/V/gate/up, int8 for O/down (ternary only)" };
        var halfKv = new Option<bool>("--fp16-kv") { Description = "Round keys and values to fp16 like the engine's KV cache" };
        var threads = TrainerOptions.WithDefault<int>("--threads", 2);
        var recipe = new Option<string?>("--recipe") { Description = "Recipe to evaluate with (b1.58, a4.8, v2-a8, v2); default: the model's own" };
        var kv = new Option<string?>("--kv") { Description = "KV cache type f16, q8, q4, q3 (overrides the recipe's)" };
        var sparsity = new Option<string?>("--sparsity") { Description = "Top-K sparsity of the o_proj,down_proj inputs, e.g. 0.5,0.8 or 0 (overrides the recipe's)" };
        var outBits = new Option<int?>("--out-bits") { Description = "Bits of the o_proj / down_proj inputs (4 or 8) instead of the recipe's" };
        var hadamard = new Option<bool>("--hadamard") { Description = "H-BitLinear's quantization on a model not trained for it: the o/down inputs are quantized in the Hadamard domain and rotated back" };
        var command = new Command("eval", "Held-out perplexity computed by the trainer")
        {
            checkpoint, tokenizer, gguf, file, useFloat, int4, halfKv, chunks, threads, recipe, kv, sparsity, hadamard, outBits,
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
                (CheckpointHeader header, model) = Checkpoint.Load(c.FullName, null, out _);
                vocabulary = TokenizerFiles.Load(t.FullName);
                model.Mode = r.GetValue(useFloat) ? QuantMode.Float : QuantMode.Ternary;
                model.Recipe = header.Options.RecipeAt(header.Step - 1);
                model.Prepare();
            }
            else
            {
                throw new ArgumentException("Give --gguf FILE, or --checkpoint FILE with --tokenizer FILE.");
            }

            if (model.Recipe.Hadamard && r.GetValue(hadamard))
            {
                throw new ArgumentException("--hadamard simulates H-BitLinear on a model not trained for it; this one was (its weights need the transform).");
            }

            model.Recipe = Override(model.Recipe, r.GetValue(recipe), r.GetValue(int4), r.GetValue(kv), r.GetValue(sparsity), r.GetValue(hadamard));
            model.HadamardRoundTrip = r.GetValue(hadamard);
            model.OutputBits = r.GetValue(outBits) switch
            {
                null => null,
                4 => ActivationBits.Int4,
                8 => ActivationBits.Int8,
                int b => throw new ArgumentException($"--out-bits {b} is not 4 or 8."),
            };
            model.HalfPrecisionKv = r.GetValue(halfKv);
            Console.WriteLine($"recipe {model.Recipe.Describe()}{(model.OutputBits is { } ob ? $", o/down inputs {(int)ob}-bit" : "")}{(model.HadamardRoundTrip ? " (Hadamard-domain quantization rotated back)" : "")}");
            var clock = Stopwatch.StartNew();
            int[] tokens = TokenizerFiles.Encode(vocabulary, r.GetPath(file), addBos: vocabulary.AddBos);
            var result = Perplexity.Evaluate(model, tokens, vocabulary.BosId ?? 0, r.GetValue(chunks), batch: 4);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"PPL = {result.Value:F4} (mean loss {result.MeanLoss:F4}) over {result.Windows} windows of {model.Shape.Context}, {result.Scored} tokens scored, {clock.Elapsed.TotalSeconds:F1} s"));
        });
        return command;
    }

    /// <summary>The model's recipe with the command line's replacements.</summary>
    internal static ModelRecipe Override(ModelRecipe recipe, string? name, bool int4, string? kv, string? sparsity, bool hadamard)
    {
        if (name is not null)
        {
            recipe = ModelRecipe.Parse(name);
        }

        if (int4)
        {
            recipe = recipe with { ActivationBits = ActivationBits.Int4 };
        }

        if (kv is not null)
        {
            recipe = recipe with { KvCache = ModelRecipe.ParseKv(kv) };
        }

        if (sparsity is not null)
        {
            float[] parts = sparsity.Split(',').Select(p => float.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            recipe = recipe with { AttentionOutputSparsity = parts[0], FeedForwardDownSparsity = parts.Length > 1 ? parts[1] : parts[0] };
        }

        if (hadamard)
        {
            recipe = recipe with { Hadamard = true };
        }

        return recipe;
    }
}
