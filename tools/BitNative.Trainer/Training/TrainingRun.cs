using System.Diagnostics;
using System.Globalization;
using BitNative.Trainer.Data;
using BitNative.Trainer.Eval;
using BitNative.Trainer.Model;
using BitNative.Trainer.Ops;
using BitNative.Trainer.Optim;

namespace BitNative.Trainer.Training;

/// <summary>
/// The training loop: per step, ternarize the latent weights (QAT; a full-precision run uses them as they are), forward
/// and backward a batch, clip, AdamW with the
/// warmup + cosine schedule. Logs every step to <c>log.csv</c> in the run folder (held-out loss every EvalEvery
/// steps), saves <c>checkpoint.bin</c> every CheckpointEvery steps and at the end, and resumes from it.
/// </summary>
internal sealed class TrainingRun
{
    public const string CheckpointFile = "checkpoint.bin";
    public const string LogFile = "log.csv";
    private const string LogHeader = "step,tokens,lr,loss,grad_norm,val_loss,seconds";

    private readonly string _folder;
    private readonly TokenDataset _train;
    private readonly int[] _validation;
    private readonly TextWriter _console;

    public TrainingRun(string folder, TokenDataset train, int[] validation, TextWriter console)
    {
        _folder = folder;
        _train = train;
        _validation = validation;
        _console = console;
    }

    /// <summary>
    /// Trains from scratch, or resumes when the folder holds a checkpoint and <paramref name="resume"/> is set. With
    /// <paramref name="stopAfter"/>, saves a checkpoint and returns after that many steps of this session (the run
    /// itself keeps its length and schedule: resume it later).
    /// </summary>
    public TrainingModel Run(ModelShape shape, TrainOptions options, bool resume, int stopAfter = int.MaxValue,
        Func<TrainOptions, TrainOptions>? onResume = null)
    {
        Directory.CreateDirectory(_folder);
        string checkpointPath = Path.Combine(_folder, CheckpointFile);
        string logPath = Path.Combine(_folder, LogFile);
        TrainingModel model;
        AdamW optimizer;
        int start = 0;
        long tokens = 0;
        double previousSeconds = 0;
        if (resume && File.Exists(checkpointPath))
        {
            (CheckpointHeader header, model) = Checkpoint.Load(checkpointPath,
                h => new AdamW(new ParameterLayout(h.Shape).Count, h.Options.Beta1, h.Options.Beta2, h.Options.Epsilon, h.Options.WeightDecay),
                out AdamW? state);
            optimizer = state!;
            options = header.Options; // the schedule and batches depend on them: a resumed run continues the same run
            if (onResume is not null)
            {
                options = onResume(options); // only the second stage's recipe may change (TrainCommand)
            }

            (start, tokens, previousSeconds) = (header.Step, header.TokensSeen, header.Seconds);
            TrimLog(logPath, start);
            _console.WriteLine($"resuming at step {start} ({tokens:N0} tokens, {previousSeconds:F0} s so far)");
        }
        else
        {
            model = new TrainingModel(shape);
            model.Initialize(options.Seed);
            optimizer = new AdamW(model.Layout.Count, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
            File.WriteAllText(logPath, LogHeader + "\n");
        }

        model.Mode = options.Mode;
        var schedule = new LearningRateSchedule(options.LearningRate, options.WarmupSteps, options.Steps, options.MinLearningRateRatio);
        int context = model.Shape.Context;
        var inputs = new int[options.Batch * context];
        var targets = new int[options.Batch * context];
        _console.WriteLine($"model {model.Shape} ({(options.FullPrecision ? "full precision" : "QAT, ternary")}): {model.Layout.Count:N0} parameters; {options.Steps} steps of {options.Batch}x{context} tokens, {Gemm.Threads} threads");

        var clock = Stopwatch.StartNew();
        using var log = new StreamWriter(logPath, append: true);
        int end = (int)Math.Min(options.Steps, (long)start + stopAfter);
        for (int step = start; step < end; step++)
        {
            float lr = schedule.At(step);
            BitNative.Model.ModelRecipe recipe = options.RecipeAt(step);
            if (recipe != model.Recipe)
            {
                _console.WriteLine($"step {step}: recipe {recipe.Describe()}");
                model.Recipe = recipe;
            }

            model.Prepare();
            _train.FillBatch(options.Seed, step, options.Batch, context, inputs, targets);
            float loss = (float)model.Forward(inputs, targets, options.Batch);
            model.Backward();
            float norm = AdamW.ClipGradients(model.Gradients, options.GradientClip);
            optimizer.Update(model.Parameters, model.Gradients, lr, model.Layout);
            tokens += options.Batch * context;
            if (!float.IsFinite(loss))
            {
                throw new InvalidOperationException($"Loss is {loss} at step {step}; lower the learning rate.");
            }

            bool last = step + 1 == options.Steps;
            string validation = "";
            if ((step + 1) % options.EvalEvery == 0 || last)
            {
                model.Prepare();
                var result = Perplexity.Evaluate(model, _validation, _train.Bos, options.EvalWindows, options.Batch);
                validation = result.MeanLoss.ToString("F4", CultureInfo.InvariantCulture);
            }

            double seconds = previousSeconds + clock.Elapsed.TotalSeconds;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{step + 1},{tokens},{lr:G4},{loss:F4},{norm:F3},{validation},{seconds:F1}"));
            if ((step + 1) % 10 == 0 || validation.Length > 0)
            {
                log.Flush();
                _console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"step {step + 1,5}/{options.Steps}  loss {loss:F4}  lr {lr:E2}  |g| {norm:F2}  {(validation.Length > 0 ? "val " + validation + "  " : "")}{(step + 1 - start) * options.Batch * context / clock.Elapsed.TotalSeconds:F0} tok/s  {seconds:F0} s"));
            }

            if ((step + 1) % options.CheckpointEvery == 0 || step + 1 == end)
            {
                log.Flush();
                Checkpoint.Save(checkpointPath, new CheckpointHeader(model.Shape, options, step + 1, tokens, seconds), model, optimizer);
            }
        }

        return model;
    }

    /// <summary>Keeps the log rows of the steps the checkpoint contains (a crash may have logged a few more).</summary>
    private static void TrimLog(string path, int steps)
    {
        if (!File.Exists(path))
        {
            File.WriteAllText(path, LogHeader + "\n");
            return;
        }

        var kept = File.ReadAllLines(path).Where((line, i) => i == 0 ||
            int.Parse(line.AsSpan(0, line.IndexOf(',')), CultureInfo.InvariantCulture) <= steps);
        File.WriteAllLines(path, kept);
    }
}
