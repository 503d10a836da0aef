using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace BitNative.Benchmarks;

/// <summary>
/// Short, repeatable jobs (the machines are shared and noisy: medians of many iterations, ratios within one run) with
/// throughput columns derived from the shape and kernel parameters.
/// </summary>
public sealed class KernelBenchmarkConfig : ManualConfig
{
    public KernelBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15).WithLaunchCount(1));
        AddColumn(StatisticColumn.Median, StatisticColumn.Min);
        AddColumn(ThroughputColumns.WeightsPerSecond, ThroughputColumns.PackedGigabytesPerSecond);
        AddExporter(MarkdownExporter.GitHub);
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}

/// <summary>G weights/s and packed-weight GB/s from the median time and the case's Shape/Kernel parameters.</summary>
public sealed class ThroughputColumns : IColumn
{
    public static readonly IColumn WeightsPerSecond = new ThroughputColumns("G weights/s", bytes: false);
    public static readonly IColumn PackedGigabytesPerSecond = new ThroughputColumns("packed GB/s", bytes: true);

    private readonly bool _bytes;

    private ThroughputColumns(string name, bool bytes)
    {
        ColumnName = name;
        _bytes = bytes;
    }

    public string Id => ColumnName;
    public string ColumnName { get; }
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => _bytes ? 1 : 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => _bytes ? "Packed weight bytes read per second (1e9), from the median" : "Ternary weights per second (1e9), from the median";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } stats)
        {
            return "-";
        }

        string? shape = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Shape")?.Value?.ToString();
        string kernel = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Kernel")?.Value?.ToString() ?? "";
        if (shape is null)
        {
            return "-";
        }

        string[] kn = shape.Split('x');
        double weights = double.Parse(kn[0]) * double.Parse(kn[1]);
        double bitsPerWeight = kernel.Contains("i2s") || kernel.Contains("tl1") || kernel.StartsWith("stream", StringComparison.Ordinal) ? 2.0 : kernel.Contains("tq1") ? 54 * 8 / 256.0 : 66 * 8 / 256.0;
        double perSecond = (_bytes ? weights * bitsPerWeight / 8 : weights) / (stats.Median * 1e-9) / 1e9;
        return perSecond.ToString("F1");
    }
}
