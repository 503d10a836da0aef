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
        var train = TrainerOptions.Required<FileInfo>("--train", "Training text");
        var test = TrainerOptions.Required<FileInfo>("--test", "Held-out text (validation loss)");
        var tokenizer = TrainerOptions.Required<FileInfo>("--tokenizer", "tokenizer.json from the tokenizer command");
        var run = TrainerOptions.Required<DirectoryInfo>("--run", "Run folder: checkpoint.bin, log.csv");
        var resume = new Option<bool>("--resume") { Description = "Continue from the run folder's checkpoint if there is one" };
        var threads = TrainerOptions.WithDefault<int>("--threads", 2, "Worker threads");
        var dim = TrainerOptions.WithDefault<int>("--dim", 256);
        var layers = TrainerOptions.WithDefault<int>("--layers", 4);
        var ff = TrainerOptions.WithDefault<int>("--ff", 768);
        var heads = TrainerOptions.WithDefault<int>("--heads", 4);
        var kvHeads = TrainerOptions.WithDefault<int>("--kv-heads", 2);
        var context = TrainerOptions.WithDefault<int>("--context", 256);
        var defaults = new TrainOptions();
        var steps = TrainerOptions.WithDefault<int>("--steps", defaults.Steps);
        var batch = TrainerOptions.WithDefault<int>("--batch", defaults.Batch);
        var lr = TrainerOptions.WithDefault<float>("--lr", defaults.LearningRate);
        var warmup = TrainerOptions.WithDefault<int>("--warmup", defaults.WarmupSteps);
        var seed = TrainerOptions.WithDefault<ulong>("--seed", defaults.Seed);
        var evalEvery = TrainerOptions.WithDefault<int>("--eval-every", defaults.EvalEvery);
        var checkpointEvery = TrainerOptions.WithDefault<int>("--checkpoint-every", defaults.CheckpointEvery);
        var recipe = TrainerOptions.WithDefault<string>("--recipe", "b1.58", "Forward recipe from step 0: b1.58, a4.8, v2-a8, v2");
        var stage2 = new Option<string?>("--stage2") { Description = "Recipe of the second stage (a4.8, v2); on --resume it may be set for a run that had none" };
        var stage2From = TrainerOptions.WithDefault<int>("--stage2-from", int.MaxValue, "First step of the second stage");
        var fullPrecision = new Option<bool>("--full-precision")
        {
            Description = "Train the float baseline: no quantization of weights or activations (same model, data and schedule)",
        };
        var stopAfter = TrainerOptions.WithDefault<int>("--stop-after", int.MaxValue, "Checkpoint and stop after this many steps (resume later)");
        var command = new Command("train", "Train the model (QAT: ternary weights, int8 activations, straight-through estimator; or --full-precision)")
        {
            train, test, tokenizer, run, resume, threads, dim, layers, ff, heads, kvHeads, context,
            steps, batch, lr, warmup, seed, evalEvery, checkpointEvery, fullPrecision, stopAfter, recipe, stage2, stage2From,
        };
        command.SetAction(r =>
        {
            Gemm.Threads = r.GetValue(threads);
            TokenizerData vocabulary = TokenizerFiles.Load(r.GetPath(tokenizer));
            int bos = vocabulary.BosId ?? throw new InvalidDataException("The tokenizer has no BOS token.");
            var dataset = new TokenDataset(TokenizerFiles.Encode(vocabulary, r.GetPath(train), addBos: false), bos);
            int[] validation = TokenizerFiles.Encode(vocabulary, r.GetPath(test), addBos: true);
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
            new TrainingRun(r.GetPath(run), dataset, validation, Console.Out)
                .Run(shape, options, r.GetValue(resume), r.GetValue(stopAfter), onResume);
        });
        return command;
    }
}
