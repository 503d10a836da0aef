using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using BitNative.Generation;
using BitNative.Model;

namespace BitNative.Cli.Commands;

/// <summary>
/// <c>bitnative bench</c>: prefill and decode speed like llama-bench (median of repetitions, with their spread), and
/// with <c>--profile</c> a breakdown of one decode step into its parts (each projection family, attention, norms,
/// output head, sampling, managed overhead, native calls per token).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var prompt = new Option<int>("--n-prompt", "-p") { Description = "Prompt tokens evaluated as one batch (0: none)", DefaultValueFactory = _ => 128 };
        var generate = new Option<int>("--n-gen", "-n") { Description = "Tokens decoded one at a time", DefaultValueFactory = _ => 64 };
        var threads = new Option<string>("--threads", "-t") { Description = "Comma-separated thread counts", DefaultValueFactory = _ => "1" };
        var repetitions = new Option<int>("--repetitions", "-r") { Description = "Repetitions per thread count (median reported)", DefaultValueFactory = _ => 3 };
        var profile = new Option<bool>("--profile") { Description = "Break one decode step into its parts" };
        var head = CliOptions.Head();
        var command = new Command("bench", "Measure prefill and decode speed (and, with --profile, where a decode step spends its time)");
        foreach (Option o in new Option[] { model, prompt, generate, threads, repetitions, head, profile })
        {
            command.Options.Add(o);
        }

        command.SetAction(r =>
        {
            int p = r.GetValue(prompt), n = r.GetValue(generate), reps = r.GetValue(repetitions);
            if (p < 0 || n < 1 || reps < 1)
            {
                throw new CliException("bench needs -p >= 0, -n >= 1 and -r >= 1.");
            }

            int[] threadCounts = ParseThreads(r.GetValue(threads)!);
            string path = ModelLocator.Resolve(r.GetValue(model));
            foreach (int t in threadCounts)
            {
                Run(path, t, p, n, reps, r.GetValue(head), r.GetValue(profile));
            }

            return 0;
        });
        return command;
    }

    private static int[] ParseThreads(string text)
    {
        try
        {
            int[] values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            if (values.Length > 0 && values.All(v => v is >= 1 and <= 256))
            {
                return values;
            }
        }
        catch (FormatException)
        {
        }

        throw new CliException($"--threads '{text}' is not a comma-separated list of counts in 1..256.");
    }

    private static void Run(string path, int threads, int promptTokens, int genTokens, int reps, OutputHeadPrecision head, bool profile)
    {
        int context = Math.Max(promptTokens + genTokens + 1, 64);
        using BitNetModel model = BitNetModel.Load(path, new ModelOptions { Threads = threads, ContextLength = context, OutputHead = head });
        using InferenceSession session = model.CreateSession();
        int vocab = model.Config.VocabSize;
        var rng = new Random(1234);
        int[] prompt = Enumerable.Range(0, Math.Max(promptTokens, 1)).Select(_ => rng.Next(vocab)).ToArray();

        // Warm-up: page the weights in and let the JIT settle.
        session.Evaluate(prompt.AsSpan(0, Math.Min(prompt.Length, 8)));
        Decode(session, 4, null, null);

        var prefill = new List<double>();
        var decode = new List<double>();
        for (int rep = 0; rep < reps; rep++)
        {
            session.Reset();
            long start = Stopwatch.GetTimestamp();
            session.Evaluate(prompt);
            double prefillSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (promptTokens > 0)
            {
                prefill.Add(promptTokens / prefillSeconds);
            }

            start = Stopwatch.GetTimestamp();
            Decode(session, genTokens, null, null);
            decode.Add(genTokens / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        Console.Out.WriteLine(
            $"{Path.GetFileName(path)} | {model.KernelIsa} | threads {threads} | weights read per token {Reporting.Mib(model.WeightBytesPerToken)}");
        if (prefill.Count > 0)
        {
            Console.Out.WriteLine($"  prefill pp{promptTokens}: {Summary(prefill)} tok/s");
        }

        Console.Out.WriteLine($"  decode  tg{genTokens}: {Summary(decode)} tok/s ({1000.0 / Median(decode):F2} ms/token) | " +
            $"peak RSS {Reporting.Mib(Reporting.PeakResidentBytes())}");

        if (profile)
        {
            session.Reset();
            session.Evaluate(prompt);
            var profiler = new TransformerProfiler();
            var sampler = new Sampler(new SamplingOptions { Seed = 1 }, vocab);
            for (int i = 0; i < 100; i++)
            {
                sampler.Sample(session.Logits, prompt); // the JIT's optimized tier, as a long generation has it
            }

            long samplingTicks = 0;
            session.Profiler = profiler;
            long start = Stopwatch.GetTimestamp();
            Decode(session, genTokens, sampler, ticks => samplingTicks += ticks);
            long totalTicks = Stopwatch.GetTimestamp() - start;
            session.Profiler = null;
            PrintProfile(profiler, samplingTicks, totalTicks, genTokens);
        }
    }

    /// <summary>Decodes <paramref name="count"/> tokens, each chosen from the previous logits (greedy, or by the sampler).</summary>
    private static void Decode(InferenceSession session, int count, Sampler? sampler, Action<long>? samplingTime)
    {
        Span<int> next = stackalloc int[1];
        int[] history = sampler is null ? [] : session.Tokens.ToArray();
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            next[0] = sampler is null ? TensorPrimitives.IndexOfMax(session.Logits) : sampler.Sample(session.Logits, history);
            samplingTime?.Invoke(Stopwatch.GetTimestamp() - start);
            session.Evaluate(next);
        }
    }

    private static void PrintProfile(TransformerProfiler p, long samplingTicks, long totalTicks, int tokens)
    {
        double MsPerToken(long ticks) => ticks * 1000.0 / Stopwatch.Frequency / tokens;
        double total = MsPerToken(totalTicks);
        Console.Out.WriteLine($"  profile of {tokens} decode steps: {total:F3} ms/token");
        Console.Out.WriteLine($"    {"part",-22} {"ms/token",9} {"share",7} {"calls/token",12}");
        foreach (ForwardPart part in Enum.GetValues<ForwardPart>())
        {
            Line(part.ToString(), MsPerToken(p.Ticks(part)), p.Calls(part) / (double)tokens);
        }

        Line("Sampling", MsPerToken(samplingTicks), 0);
        long outside = totalTicks - p.ForwardTicks - samplingTicks; // session bookkeeping between forward passes
        Line("ManagedOverhead", MsPerToken(p.UntimedTicks + outside), 0);
        Console.Out.WriteLine($"    {"native calls",-22} {p.TotalCalls / (double)tokens,30:F1} per token");

        void Line(string name, double ms, double calls) =>
            Console.Out.WriteLine($"    {name,-22} {ms,9:F3} {100 * ms / total,6:F1}% {calls,12:F1}");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Summary(List<double> values) =>
        values.Count == 1 ? $"{values[0]:F2}" : $"{Median(values):F2} (min {values.Min():F2}, max {values.Max():F2}, n={values.Count})";
}
