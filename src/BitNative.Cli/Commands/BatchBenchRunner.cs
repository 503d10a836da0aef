using BitNative.Kernels;
using BitNative.Generation;
using System.Diagnostics;

namespace BitNative.Cli.Commands;

/// <summary>
/// <c>bench --parallel N,...</c>: aggregate decode speed of N concurrent greedy streams decoded together by a
/// <see cref="BatchedGenerator"/> (what <c>serve --parallel N</c> does), against the same model and threads.
/// </summary>
internal static class BatchBenchRunner
{
    /// <summary>One measurement: N streams, the median aggregate decode tokens/s over the repetitions.</summary>
    public sealed record Result(int Streams, BenchSamples AggregateDecode, double StepsPerSecond); // steps/s: median of the repetitions

    public static IReadOnlyList<Result> Measure(string path, int threads, IReadOnlyList<int> streamCounts, BenchSettings s)
    {
        using BitNetModel model = BitNetModel.Load(path, s.ModelOptions(threads));
        var rng = new Random(1234);
        var results = new List<Result>();
        foreach (int n in streamCounts)
        {
            using var generator = new BatchedGenerator(model, new BatchedGeneratorOptions { Slots = n, QueueLimit = 0 });
            int[][] prompts = Enumerable.Range(0, n)
                .Select(_ => Enumerable.Range(0, Math.Max(s.PromptTokens, 1)).Select(_ => rng.Next(model.Config.VocabSize)).ToArray())
                .ToArray();
            Run(generator, prompts, 4); // warm-up: pages the weights in, lets the JIT settle
            var rates = new List<double>();
            var steps = new List<double>();
            for (int rep = 0; rep < s.Repetitions; rep++)
            {
                (double rate, double stepRate) = Run(generator, prompts, s.GenTokens);
                rates.Add(rate);
                steps.Add(stepRate);
            }

            results.Add(new Result(n, BenchSamples.Of(rates), BenchStatistics.Median(steps)));
            if (s.Profile)
            {
                var profiler = new BitNative.Model.TransformerProfiler();
                generator.Profiler = profiler;
                long before = generator.Statistics.Steps, clock = Stopwatch.GetTimestamp();
                Run(generator, prompts, s.GenTokens);
                long total = Stopwatch.GetTimestamp() - clock;
                generator.Profiler = null;
                int stepCount = (int)(generator.Statistics.Steps - before);
                s.ProfileOutput.WriteLine($"  {n} streams: every forward pass of the run (prefill steps included), per step:");
                BenchRunner.PrintProfile(s.ProfileOutput, profiler, 0, total, stepCount, "batched steps");
            }
        }

        return results;
    }

    /// <summary>
    /// Starts every stream, waits until all prompts are in (prefill is not decode), then times the steps until every
    /// stream has its tokens: generated tokens / wall time, and steps / wall time.
    /// </summary>
    private static (double TokensPerSecond, double StepsPerSecond) Run(BatchedGenerator generator, int[][] prompts, int tokens)
    {
        var settings = new GenerationSettings { MaxTokens = tokens, Sampling = Generation.SamplingOptions.Greedy, StopOnEndOfGeneration = false };
        BatchedGeneratorStatistics before = generator.Statistics;
        long promptTokens = prompts.Sum(p => (long)p.Length);
        var streams = prompts.Select(p => generator.Start(p, settings, CancellationToken.None)).ToList();
        Task all = Task.WhenAll(streams.Select(s => s.ReadToEndAsync(CancellationToken.None)));
        while (generator.Statistics.PromptTokens - before.PromptTokens < promptTokens)
        {
            Thread.Sleep(1);
        }

        BatchedGeneratorStatistics start = generator.Statistics;
        long clock = Stopwatch.GetTimestamp();
        all.GetAwaiter().GetResult();
        double seconds = Stopwatch.GetElapsedTime(clock).TotalSeconds;
        BatchedGeneratorStatistics end = generator.Statistics;
        streams.ForEach(s => s.Dispose());
        return ((end.GeneratedTokens - start.GeneratedTokens) / seconds, (end.Steps - start.Steps) / seconds);
    }
}
