using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using BitNative.Model;

namespace BitNative.Cli.Commands;

/// <summary>
/// <c>bitnative perplexity</c>, computed as llama.cpp's llama-perplexity does: the text is tokenized once (with BOS),
/// cut into non-overlapping windows of <c>-c</c> tokens (the first token of each replaced by BOS), and only the second
/// half of each window is scored, so every scored token sees at least ctx/2 tokens of context.
/// </summary>
internal static class PerplexityCommand
{
    public static Command Create()
    {
        var model = new ModelArguments();
        var file = new Option<FileInfo>("--file", "-f") { Description = "Text file to score", Required = true };
        var chunks = new Option<int>("--chunks") { Description = "Score at most this many windows (0: all)", DefaultValueFactory = _ => 0 };
        var command = new Command("perplexity", "Perplexity of the model on a text file");
        model.AddTo(command);
        command.Options.Add(file);
        command.Options.Add(chunks);
        model.Context.DefaultValueFactory = _ => 512;
        command.SetAction(r =>
        {
            FileInfo text = r.GetValue(file)!;
            if (!text.Exists)
            {
                throw new CliException($"{text.FullName} does not exist.");
            }

            var (m, loadTime) = model.Load(r);
            using (m)
            {
                Console.Error.WriteLine($"recipe {m.Recipe.Describe()}{(m.Recipe.Name == "b1.58" ? "" : $" (file: {m.Recipe.Name})")}");
                var result = Run(m, File.ReadAllText(text.FullName), r.GetValue(model.Context), r.GetValue(chunks));
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Final estimate: PPL = {result.Perplexity:F4} +/- {result.StandardError:F5}"));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"active parameters per token: {result.ActiveShare:P1} of the projections' weights (nonzero inputs: Q/K/V {result.Activity.Density(ProjectionInput.AttentionInput):P1}, " +
                    $"o {result.Activity.Density(ProjectionInput.AttentionOutput):P1}, gate/up {result.Activity.Density(ProjectionInput.FeedForwardInput):P1}, " +
                    $"down {result.Activity.Density(ProjectionInput.FeedForwardDown):P1})"));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{result.Chunks} windows of {result.Context} tokens, {result.Scored} tokens scored, {result.Elapsed.TotalSeconds:F1} s " +
                    $"({result.Scored / Math.Max(result.Elapsed.TotalSeconds, 1e-9) * 2:F1} tok/s evaluated), load {loadTime.TotalMilliseconds:F0} ms, " +
                    $"peak RSS {Reporting.Mib(Reporting.PeakResidentBytes())}"));
            }

            return 0;
        });
        return command;
    }

    internal sealed record Result(double Perplexity, double StandardError, int Chunks, int Context, long Scored, TimeSpan Elapsed,
        ActivityCounter Activity, double ActiveShare);

    internal static Result Run(BitNetModel model, string text, int context, int maxChunks)
    {
        if (context < 4)
        {
            throw new CliException($"--ctx-size {context} is too small for perplexity (at least 4).");
        }

        int[] tokens = model.Tokenize(text, addBos: model.AddsBos);
        int windows = tokens.Length / context;
        if (maxChunks > 0)
        {
            windows = Math.Min(windows, maxChunks);
        }

        if (windows == 0)
        {
            throw new CliException($"The text has {tokens.Length} tokens; perplexity needs at least one window of {context} (lower --ctx-size).");
        }

        using InferenceSession session = model.CreateSession();
        var activity = new ActivityCounter();
        session.Activity = activity;
        if (session.ContextLength < context)
        {
            throw new CliException($"--ctx-size {context} exceeds the session context {session.ContextLength}.");
        }

        int vocab = model.Config.VocabSize, first = context / 2;
        double sum = 0, sumSquares = 0;
        long count = 0;
        var progress = new Reporting.Progress("perplexity", windows);
        var clock = Stopwatch.StartNew();
        int[] window = new int[context];
        for (int w = 0; w < windows; w++)
        {
            tokens.AsSpan(w * context, context).CopyTo(window);
            if (model.BosTokenId is int bosId && model.AddsBos)
            {
                window[0] = bosId;
            }

            session.Reset();
            float[] logits = session.EvaluateAll(window);
            for (int j = first; j < context - 1; j++)
            {
                double nll = NegativeLogLikelihood(logits.AsSpan(j * vocab, vocab), window[j + 1]);
                sum += nll;
                sumSquares += nll * nll;
                count++;
            }

            progress.Report(w + 1);
        }

        double mean = sum / count;
        double variance = Math.Max(sumSquares / count - mean * mean, 0);
        double ppl = Math.Exp(mean);
        double error = count > 1 ? ppl * Math.Sqrt(variance / (count - 1)) : 0;
        return new Result(ppl, error, windows, context, count, clock.Elapsed, activity, activity.ActiveShare(model.Config));
    }

    /// <summary>-log softmax(logits)[target], computed stably in double.</summary>
    internal static double NegativeLogLikelihood(ReadOnlySpan<float> logits, int target)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits)
        {
            max = MathF.Max(max, v);
        }

        double sum = 0;
        foreach (float v in logits)
        {
            sum += Math.Exp(v - max);
        }

        return Math.Log(sum) - (logits[target] - max);
    }
}
