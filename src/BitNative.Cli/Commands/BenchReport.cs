using BitNative.Kernels;
using System.Text.Json.Serialization;

namespace BitNative.Cli.Commands;

/// <summary>What <c>bitnative bench --json</c> prints: the model and how it ran, then one entry per thread count.</summary>
internal sealed record BenchReport(
    string ModelPath,
    long ModelBytes,
    BenchSynthetic? Synthetic,
    string Architecture,
    long WeightsBytesPerToken,
    string Isa,
    string Kernel,
    int ActivationBits,
    string HeadPrecision,
    int PromptTokens,
    int GenTokens,
    int Repetitions,
    string TimestampUtc,
    IReadOnlyList<BenchRun> Runs);

/// <summary>The <c>--synthetic</c> choices the model file was generated with.</summary>
internal sealed record BenchSynthetic(string Shape, string Weights, string Head, string Architecture, int Seed);

/// <summary>
/// One thread count. <see cref="PeakRssBytesProcess"/> is the whole process's peak resident memory (runtime, tool and model);
/// <see cref="PeakRssScope"/> says whether it was reset before this run (<c>run</c>: Linux clear_refs) or is the peak
/// since the process started (<c>process</c>, so it includes earlier runs). <see cref="KvCacheBytes"/> is the KV cache (of the run's --kv type)
/// allocated for <see cref="ContextLength"/> positions; only the positions a run fills become resident.
/// </summary>
internal sealed record BenchRun(
    int Threads,
    int ContextLength,
    long KvCacheBytes,
    BenchSamples? Prefill,
    BenchSamples Decode,
    double MsPerTokenMedian,
    long PeakRssBytesProcess,
    string PeakRssScope)
{
    /// <summary>The kernel plan the model ran with at this thread count.</summary>
    public IReadOnlyList<PlanRow> KernelPlan { get; init; } = [];

    /// <summary>
    /// Share of the projection weights active per decoded token (nonzero inputs times the rows they feed, as BitNet a4.8
    /// counts it), from an untimed pass after the timed ones.
    /// </summary>
    public double ActiveParameterShare { get; init; }
}

/// <summary>
/// One shape of the kernel plan: the layout kept, the ISA per batch class, and each candidate's timings, measured on input
/// rows with <see cref="Sparsity"/> of their entries zero (top-K; 0 for dense rows).
/// </summary>
internal sealed record PlanRow(int N, int K, string Input, float Sparsity, string Layout, string Gemv, string Gemm, IReadOnlyList<PlanTiming> Candidates)
{
    public static PlanRow Of(BitNative.Model.Planning.KernelPlanEntry e) => new(e.Key.N, e.Key.K, KernelPlanTable.Input(e.Key.Input),
        e.Key.Sparsity, KernelPlanTable.Name(e.Layout), Kernels.KernelDispatch.NameOf(e.Gemv), Kernels.KernelDispatch.NameOf(e.Gemm),
        e.Timings.Select(t => new PlanTiming(KernelPlanTable.Name(t.Layout), Kernels.KernelDispatch.NameOf(t.Isa), t.GemvMicroseconds,
            t.GemmMicroseconds)).ToList());
}

/// <summary>One candidate's median microseconds per matrix: one token, and a batch.</summary>
internal sealed record PlanTiming(string Layout, string Isa, double GemvMicroseconds, double GemmMicroseconds);

/// <summary>Tokens per second of each repetition, with their median and range.</summary>
internal sealed record BenchSamples(double Median, double Min, double Max, IReadOnlyList<double> Samples)
{
    public static BenchSamples Of(IReadOnlyList<double> samples) =>
        new(BenchStatistics.Median(samples), samples.Min(), samples.Max(), samples);
}

internal static class BenchStatistics
{
    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
