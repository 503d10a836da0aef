using System.CommandLine;
using BitNative.Model;
using BitNative.Tokenization;
using BitNative.Trainer.Data;
using BitNative.Trainer.Model;
using BitNative.Trainer.Ops;
using BitNative.Trainer.Training;

namespace BitNative.Trainer.Commands;

/// <summary><c>train</c>: quantization-aware training from scratch, or resumed from the run folder's checkpoint.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var train = new Option<FileInfo>("--train") { Description = "Training text", Required = true };
        var test = new Option<FileInfo>("--test") { Description = "Held-out text (validation loss)", Required = true };
        var tokenizer = new Option<FileInfo>("--tokenizer") { Description = "tokenizer.json from the tokenizer command", Required = true };
        var run = new Option<DirectoryInfo>("--run") { Description = "Run folder: checkpoint.bin, log.csv", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from the run folder's checkpoint if there is one" };
        var threads = new Option<int>("--threads") { Description = "Worker threads", DefaultValueFactory = _ => 2 };
        var dim = new Option<int>("--dim") { DefaultValueFactory = _ => 256 };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 4 };
        var ff = new Option<int>("--ff") { DefaultValueFactory = _ => 768 };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 4 };
        var kvHeads = new Option<int>("--kv-heads") { DefaultValueFactory = _ => 2 };
        var context = new Option<int>("--context") { DefaultValueFactory = _ => 256 };
        var defaults = new TrainOptions();
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => defaults.Steps };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => defaults.Batch };
        var lr = new Option<float>("--lr") { DefaultValueFactory = _ => defaults.LearningRate };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => defaults.WarmupSteps };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => defaults.Seed };
        var evalEvery = new Option<int>("--eval-every") { DefaultValueFactory = _ => defaults.EvalEvery };
        var checkpointEvery = new Option<int>("--checkpoint-every") { DefaultValueFactory = _ => defaults.CheckpointEvery };
        var recipe = new Option<string>("--recipe") { Description = "Forward recipe from step 0: b1.58, a4.8, v2-a8, v2", DefaultValueFactory = _ => "b1.58" };
        var stage2 = new Option<string?>("--stage2") { Description = "Recipe of the second stage (a4.8, v2); on --resume it may be set for a run that had none" };
        var stage2From = new Option<int>("--stage2-from") { Description = "First step of the second stage", DefaultValueFactory = _ => int.MaxValue };
        var fullPrecision = new Option<bool>("--full-precision")
        {
            Description = "Train the float baseline: no quantization of weights or activations (same model, data and schedule)",
        };
        var stopAfter = new Option<int>("--stop-after") { Description = "Checkpoint and stop after this many steps (resume later)", DefaultValueFactory = _ => int.MaxValue };
        var command = new Command("train", "Train the model (QAT: ternary weights, int8 activations, straight-through estimator; or --full-precision)")
        {
            train, test, tokenizer, run, resume, threads, dim, layers, ff, heads, kvHeads, context,
            steps, batch, lr, warmup, seed, evalEvery, checkpointEvery, fullPrecision, stopAfter, recipe, stage2, stage2From,
        };
        command.SetAction(r =>
        {
            Gemm.Threads = r.GetValue(threads);
            TokenizerData vocabulary = TokenizerFiles.Load(r.GetValue(tokenizer)!.FullName);
            int bos = vocabulary.BosId ?? throw new InvalidDataException("The tokenizer has no BOS token.");
            var dataset = new TokenDataset(TokenizerFiles.Encode(vocabulary, r.GetValue(train)!.FullName, addBos: false), bos);
            int[] validation = TokenizerFiles.Encode(vocabulary, r.GetValue(test)!.FullName, addBos: true);
            Console.WriteLine($"{dataset.Tokens.Length:N0} training tokens, {validation.Length:N0} held-out tokens");
            var shape = new ModelShape(vocabulary.Count, r.GetValue(dim), r.GetValue(layers), r.GetValue(ff), r.GetValue(heads),
                r.GetValue(kvHeads), r.GetValue(context));
            var options = new TrainOptions
            {
                Steps = r.GetValue(steps),
                Batch = r.GetValue(batch),
                LearningRate = r.GetValue(lr),
                WarmupSteps = r.GetValue(warmup),
                Seed = r.GetValue(seed),
                EvalEvery = r.GetValue(evalEvery),
                CheckpointEvery = r.GetValue(checkpointEvery),
                Recipe = ModelRecipe.Parse(r.GetValue(recipe)!).Name,
                Stage2Recipe = r.GetValue(stage2) is { } s2 ? ModelRecipe.Parse(s2).Name : null,
                Stage2From = r.GetValue(stage2From),
                FullPrecision = r.GetValue(fullPrecision),
            };
            if (options.FullPrecision && (options.Recipe != ModelRecipe.B158.Name || options.Stage2Recipe is not null))
            {
                // the float baseline has no quantizers for a recipe to change
                throw new ArgumentException("--full-precision trains the float baseline; --recipe and --stage2 are for QAT runs.");
            }

            // A resumed run keeps its schedule; a second stage given on the command line (a4.8 continued from the b1.58
            // run's step-800 checkpoint) replaces the checkpoint's.
            Func<TrainOptions, TrainOptions>? onResume = options.Stage2Recipe is null
                ? null
                : saved => saved with { Stage2Recipe = options.Stage2Recipe, Stage2From = options.Stage2From };
            new TrainingRun(r.GetValue(run)!.FullName, dataset, validation, Console.Out)
                .Run(shape, options, r.GetValue(resume), r.GetValue(stopAfter), onResume);
        });
        return command;
    }
}
