using BitNative.Kernels;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace BitNative.Cli.Commands;

/// <summary>
/// <c>bitnative bench</c>: prefill and decode speed like llama-bench (median of repetitions, with their spread), on a
/// given file, the bundled model or a cached synthetic one (<c>--synthetic small|2b4t</c>); <c>--json</c> for scripts
/// (build/bench-peers.sh), and with <c>--profile</c> a breakdown of one decode step into its parts (each projection
/// family, attention, norms, output head, sampling, managed overhead, native calls per token).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var synthetic = new Option<string?>("--synthetic")
        {
            Description = "Benchmark a synthetic model instead of -m: small or 2b4t (generated once, then cached under .cache/models)",
        };
        var syntheticWeights = new Option<string>("--synthetic-weights") { Description = "i2_s | tq2_0 | tq1_0", DefaultValueFactory = _ => "i2_s" };
        var syntheticHead = new Option<string>("--synthetic-head") { Description = "f16 | q8_0", DefaultValueFactory = _ => "q8_0" };
        var syntheticArch = new Option<string>("--synthetic-arch") { Description = "bitnet-b1.58 | bitnet (llama.cpp's)", DefaultValueFactory = _ => "bitnet-b1.58" };
        var syntheticSeed = new Option<int>("--synthetic-seed") { Description = "Seed of the synthetic weights", DefaultValueFactory = _ => 1 };
        var prompt = new Option<int>("--n-prompt", "-p") { Description = "Prompt tokens evaluated as one batch (0: none)", DefaultValueFactory = _ => 128 };
        var generate = new Option<int>("--n-gen", "-n") { Description = "Tokens decoded one at a time", DefaultValueFactory = _ => 64 };
        var threads = new Option<string>("--threads", "-t") { Description = "Comma-separated thread counts", DefaultValueFactory = _ => "1" };
        var repetitions = new Option<int>("--repetitions", "-r") { Description = "Repetitions per thread count (median reported)", DefaultValueFactory = _ => 3 };
        var context = CliOptions.Context();
        context.Description = "KV-cache positions (default: prompt + gen + 1, at least 64); the cache is allocated whole, but only the positions -p and -n fill become resident";
        var head = CliOptions.Head();
        var kernel = CliOptions.Kernel();
        var activations = CliOptions.Activations();
        var kv = CliOptions.KvCache();
        var sparsity = CliOptions.Sparsity();
        var mmap = CliOptions.MemoryMap();
        var isa = CliOptions.Isa();
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout (progress and --profile go to stderr)" };
        var profile = new Option<bool>("--profile") { Description = "Break one decode step into its parts" };
        var parallel = new Option<string?>("--parallel")
        {
            Description = "Comma-separated stream counts: aggregate decode tok/s of N concurrent greedy streams decoded together (as serve --parallel N)",
        };
        var command = new Command("bench", "Measure prefill and decode speed (and, with --profile, where a decode step spends its time)");
        Option[] syntheticOptions = [syntheticWeights, syntheticHead, syntheticArch, syntheticSeed];
        command.Options.Add(isa);
        foreach (Option o in new Option[] { model, synthetic }.Concat(syntheticOptions)
                     .Concat([prompt, generate, threads, repetitions, context, head, kernel, activations, kv, sparsity, mmap, json, profile, parallel]))
        {
            command.Options.Add(o);
        }

        command.SetAction(r =>
        {
            int p = r.GetValue(prompt), n = r.GetValue(generate), reps = r.GetValue(repetitions), ctx = r.GetValue(context);
            if (p < 0 || n < 1 || reps < 1)
            {
                throw new CliException("bench needs -p >= 0, -n >= 1 and -r >= 1.");
            }

            if (ctx > 0 && ctx < BenchRunner.RequiredContext(p, n))
            {
                throw new CliException(
                    $"-c {ctx} is too small: each repetition fills {BenchRunner.RequiredContext(p, n)} positions (-p + -n, at least 12).");
            }

            int[] threadCounts = ParseCounts(r.GetValue(threads)!, "--threads");
            string? shape = r.GetValue(synthetic);
            if (shape is not null && !string.IsNullOrEmpty(r.GetValue(model)))
            {
                throw new CliException("-m and --synthetic are mutually exclusive: benchmark a file (-m) or a synthetic model (--synthetic), not both.");
            }

            if (shape is null && syntheticOptions.FirstOrDefault(o => r.GetResult(o) is { Implicit: false }) is { } stray)
            {
                throw new CliException($"{stray.Name} only applies with --synthetic small|2b4t.");
            }

            SyntheticRequest? request = shape is null
                ? null
                : new SyntheticRequest(shape, r.GetValue(syntheticWeights)!, r.GetValue(syntheticHead)!, r.GetValue(syntheticArch)!,
                    r.GetValue(syntheticSeed));
            request?.Validate();
            string path = request is null ? ModelLocator.Resolve(r.GetValue(model)) : SyntheticModelCache.GetOrCreate(request);
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                throw new FileNotFoundException($"model {path} does not exist.", path);
            }

            bool asJson = r.GetValue(json);
            if (request is null)
            {
                Console.Error.WriteLine($"model: {Path.GetFullPath(path)}");
            }

            var settings = new BenchSettings(p, n, reps, ctx, r.GetValue(head),
                CliOptions.ParseKernel(r.GetValue(kernel)) ?? TernaryKernel.Auto,
                CliOptions.ParseActivations(r.GetValue(activations)), CliOptions.ParseKvCache(r.GetValue(kv)),
                CliOptions.ParseSparsity(r.GetValue(sparsity)), r.GetValue(mmap), CliOptions.ApplyIsa(r.GetValue(isa)), r.GetValue(profile), asJson ? Console.Error : Console.Out);
            long modelBytes = ModelBytes(path);
            if (r.GetValue(parallel) is { } streamList)
            {
                if (asJson)
                {
                    throw new CliException("--parallel prints its own table; it does not combine with --json.");
                }

                MeasureParallel(path, threadCounts, ParseCounts(streamList, "--parallel"), settings);
                return 0;
            }

            var runs = new List<BenchRun>();
            BenchModelFacts? facts = null;
            foreach (int t in threadCounts)
            {
                (BenchRun run, facts) = BenchRunner.Measure(path, t, settings);
                runs.Add(run with { KernelPlan = facts.Plan.Select(PlanRow.Of).ToList() });
                if (!asJson)
                {
                    PrintRun(path, modelBytes, facts, run, settings);
                }
            }

            if (asJson)
            {
                var report = new BenchReport(Path.GetFullPath(path), modelBytes,
                    request is null ? null : new BenchSynthetic(request.Shape, request.Weights, request.Head, request.Architecture, request.Seed),
                    facts!.Architecture, facts.WeightsBytesPerToken, facts.Isa, facts.Kernel, facts.ActivationBits, facts.HeadPrecision,
                    p, n, reps, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), runs);
                Console.Out.WriteLine(JsonSerializer.Serialize(report, BenchJsonContext.Default.BenchReport));
            }

            return 0;
        });
        return command;
    }

    private static void MeasureParallel(string path, int[] threadCounts, int[] streamCounts, BenchSettings settings)
    {
        Console.Out.WriteLine($"{Path.GetFileName(path)} | {settings.PromptTokens}-token prompts, {settings.GenTokens} greedy tokens per stream, " +
            "aggregate decode tok/s of all streams (prefill excluded)");
        foreach (int t in threadCounts)
        {
            IReadOnlyList<BatchBenchRunner.Result> results = BatchBenchRunner.Measure(path, t, streamCounts, settings);
            double single = results.FirstOrDefault(x => x.Streams == 1)?.AggregateDecode.Median ?? double.NaN;
            foreach (BatchBenchRunner.Result x in results)
            {
                string ratio = double.IsNaN(single) ? "" : $" | {x.AggregateDecode.Median / single:F2}x one stream";
                Console.Out.WriteLine($"  threads {t} | streams {x.Streams,3}: {Summary(x.AggregateDecode)} tok/s " +
                    $"({x.AggregateDecode.Median / x.Streams:F2} per stream, {x.StepsPerSecond:F2} steps/s){ratio}");
            }
        }
    }

    private static int[] ParseCounts(string text, string option)
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
        catch (Exception e) when (e is FormatException or OverflowException)
        {
        }

        throw new CliException($"{option} '{text}' is not a comma-separated list of counts in 1..256.");
    }

    /// <summary>Size on disk: the file, or the files of a Hugging Face checkpoint folder.</summary>
    private static long ModelBytes(string path) => Directory.Exists(path)
        ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
        : new FileInfo(path).Length;

    private static void PrintRun(string path, long modelBytes, BenchModelFacts facts, BenchRun run, BenchSettings s)
    {
        Console.Out.WriteLine(
            $"{Path.GetFileName(path)} ({Reporting.Mib(modelBytes)}) | {facts.Isa} | kernel {facts.Kernel}, act int{facts.ActivationBits}, " +
            $"head {facts.HeadPrecision} | threads {run.Threads} | ctx {run.ContextLength} (KV cache {Reporting.Mib(run.KvCacheBytes)}) | " +
            $"weights read per token {Reporting.Mib(facts.WeightsBytesPerToken)}");
        Console.Out.WriteLine($"  recipe {facts.Recipe}");
        if (run.Prefill is { } prefill)
        {
            Console.Out.WriteLine($"  prefill pp{s.PromptTokens}: {Summary(prefill)} tok/s");
        }

        string scope = run.PeakRssScope == "run" ? "this run" : "whole process so far";
        Console.Out.WriteLine($"  decode  tg{s.GenTokens}: {Summary(run.Decode)} tok/s ({run.MsPerTokenMedian:F2} ms/token) | " +
            $"peak RSS {Reporting.Mib(run.PeakRssBytesProcess)} (process, {scope}) | active parameters per token {run.ActiveParameterShare:P1}");
        KernelPlanTable.Print(facts.Plan, Console.Out, "  ");
    }

    private static string Summary(BenchSamples s) =>
        s.Samples.Count == 1 ? $"{s.Median:F2}" : $"{s.Median:F2} (min {s.Min:F2}, max {s.Max:F2}, n={s.Samples.Count})";
}
