using System.Diagnostics;
using System.Numerics.Tensors;
using BitNative.Generation;
using BitNative.Kernels;
using BitNative.Model;

namespace BitNative.Cli.Commands;

/// <summary>How <c>bench</c> runs each thread count.</summary>
internal sealed record BenchSettings(
    int PromptTokens,
    int GenTokens,
    int Repetitions,
    int ContextLength,
    OutputHeadPrecision Head,
    TernaryKernel Kernel,
    ActivationBits? Activations,
    KvCacheType? KvCache,
    TopKSparsity? Sparsity,
    bool MemoryMapWeights,
    Isa? Isa,
    bool Profile,
    TextWriter ProfileOutput)
{
    /// <summary>The options every bench loads its model with: the KV cache for the run (-c, or the default) and the flags.</summary>
    public ModelOptions ModelOptions(int threads) => new()
    {
        Threads = threads,
        ContextLength = ContextLength > 0 ? ContextLength : BenchRunner.DefaultContext(PromptTokens, GenTokens),
        OutputHead = Head,
        Kernel = Kernel,
        ActivationBits = Activations,
        KvCache = KvCache,
        Sparsity = Sparsity,
        MemoryMapWeights = MemoryMapWeights,
        Isa = Isa,
    };
}

/// <summary>What the loaded model reported about itself (the same for every thread count).</summary>
internal sealed record BenchModelFacts(
    string Architecture,
    long WeightsBytesPerToken,
    string Isa,
    string Kernel,
    int ActivationBits,
    string HeadPrecision,
    IReadOnlyList<BitNative.Model.Planning.KernelPlanEntry> Plan,
    string Recipe);

/// <summary>Loads the model for one thread count, times prefill and decode, and (with --profile) one decode breakdown.</summary>
internal static class BenchRunner
{
    /// <summary>The KV-cache size when -c is not given: the prompt, the generated tokens and one spare (at least 64).</summary>
    public static int DefaultContext(int promptTokens, int genTokens) => Math.Max(promptTokens + genTokens + 1, 64);

    /// <summary>Positions one repetition fills (an empty prompt still evaluates one token), and the warm-up's 8 + 4.</summary>
    public static int RequiredContext(int promptTokens, int genTokens) => Math.Max(Math.Max(promptTokens, 1) + genTokens, 12);

    public static (BenchRun Run, BenchModelFacts Facts) Measure(string path, int threads, BenchSettings s)
    {
        string rssScope = ResetPeakResident() ? "run" : "process";
        ModelOptions options = s.ModelOptions(threads);
        using BitNetModel model = BitNetModel.Load(path, options);
        using InferenceSession session = model.CreateSession();
        int vocab = model.Config.VocabSize;
        var rng = new Random(1234);
        int[] prompt = Enumerable.Range(0, Math.Max(s.PromptTokens, 1)).Select(_ => rng.Next(vocab)).ToArray();

        // Warm-up: page the weights in and let the JIT settle.
        session.Evaluate(prompt.AsSpan(0, Math.Min(prompt.Length, 8)));
        Decode(session, 4, null, null);

        var prefill = new List<double>();
        var decode = new List<double>();
        for (int rep = 0; rep < s.Repetitions; rep++)
        {
            session.Reset();
            long start = Stopwatch.GetTimestamp();
            session.Evaluate(prompt);
            double prefillSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (s.PromptTokens > 0)
            {
                prefill.Add(s.PromptTokens / prefillSeconds);
            }

            start = Stopwatch.GetTimestamp();
            Decode(session, s.GenTokens, null, null);
            decode.Add(s.GenTokens / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        // Untimed: the share of parameters active per decoded token (top-K and ReLU² zeros), counted on the rows of a few
        // decode steps after the prompt, so counting never slows a timed token.
        var activity = new ActivityCounter();
        session.Reset();
        session.Evaluate(prompt.AsSpan(0, Math.Min(prompt.Length, 8)));
        session.Activity = activity;
        Decode(session, 8, null, null);
        session.Activity = null;

        var run = new BenchRun(
            threads,
            model.ContextLength,
            session.KvCacheBytes, // K and V as the session stores them (--kv)
            prefill.Count > 0 ? BenchSamples.Of(prefill) : null,
            BenchSamples.Of(decode),
            BenchStatistics.Median(decode.Select(tokensPerSecond => 1000.0 / tokensPerSecond)),
            Reporting.PeakResidentBytes(),
            rssScope)
        {
            ActiveParameterShare = activity.ActiveShare(model.Config),
        };
        var facts = new BenchModelFacts(
            model.Config.ArchitectureName,
            model.WeightBytesPerToken,
            model.KernelIsa,
            model.Kernel == TernaryKernel.LookupTable ? "lut" : "mad",
            (int)model.ActivationBits,
            WeightTypes.Info(model.OutputHeadType).Name,
            model.KernelPlan,
            model.Recipe.Describe());

        if (s.Profile)
        {
            Profile(session, prompt, vocab, s.GenTokens, s.ProfileOutput);
        }

        return (run, facts);
    }

    /// <summary>
    /// Resets the kernel's peak-RSS counter (VmHWM) to the current RSS, after collecting what earlier runs left, so each
    /// thread count's peak is its own. Linux only (writing 5 to /proc/self/clear_refs); false elsewhere.
    /// </summary>
    private static bool ResetPeakResident()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void Profile(InferenceSession session, int[] prompt, int vocab, int genTokens, TextWriter output)
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
        PrintProfile(output, profiler, samplingTicks, totalTicks, genTokens, "decode steps");

        // the prompt as one batch: where prefill time goes (the GEMMs, attention over the prompt, the last token's head)
        session.Reset();
        var prefill = new TransformerProfiler();
        session.Profiler = prefill;
        start = Stopwatch.GetTimestamp();
        session.Evaluate(prompt);
        totalTicks = Stopwatch.GetTimestamp() - start;
        session.Profiler = null;
        PrintProfile(output, prefill, 0, totalTicks, prompt.Length, "prompt tokens (one batch)");
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

    internal static void PrintProfile(TextWriter output, TransformerProfiler p, long samplingTicks, long totalTicks, int tokens, string what)
    {
        double MsPerToken(long ticks) => ticks * 1000.0 / Stopwatch.Frequency / tokens;
        double total = MsPerToken(totalTicks);
        output.WriteLine($"  profile of {tokens} {what}: {total:F3} ms/token");
        output.WriteLine($"    {"part",-22} {"ms/token",9} {"share",7} {"calls/token",12}");
        foreach (ForwardPart part in Enum.GetValues<ForwardPart>())
        {
            Line(part.ToString(), MsPerToken(p.Ticks(part)), p.Calls(part) / (double)tokens);
        }

        Line("Sampling", MsPerToken(samplingTicks), 0);
        long outside = totalTicks - p.ForwardTicks - samplingTicks; // session bookkeeping between forward passes
        Line("ManagedOverhead", MsPerToken(p.UntimedTicks + outside), 0);
        output.WriteLine($"    {"native calls",-22} {p.TotalCalls / (double)tokens,30:F1} per token");

        void Line(string name, double ms, double calls) =>
            output.WriteLine($"    {name,-22} {ms,9:F3} {100 * ms / total,6:F1}% {calls,12:F1}");
    }
}
