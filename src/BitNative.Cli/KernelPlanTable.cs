using BitNative.Kernels;
using BitNative.Model.Planning;

namespace BitNative.Cli;

/// <summary>Prints a model's kernel plan: per projection shape the layout kept, the ISA per batch class, and the timings behind them.</summary>
internal static class KernelPlanTable
{
    public static void Print(IReadOnlyList<KernelPlanEntry> plan, TextWriter output, string indent)
    {
        if (plan.Count == 0)
        {
            return;
        }

        output.WriteLine($"{indent}kernel plan ({plan[0].Key.Threads} thread(s); us per matrix: one token, a batch of {plan[0].Key.BatchRows})");
        output.WriteLine($"{indent}  {"shape",-12} {"input",-13} {"layout",-6} {"1 token",-12} {"batch",-12} candidates");
        foreach (KernelPlanEntry e in plan)
        {
            string candidates = e.Timings.Count == 0
                ? "(not measured)"
                : string.Join("  ", e.Timings.Select(t => $"{Name(t.Layout)}/{KernelDispatch.NameOf(t.Isa)} {t.GemvMicroseconds:F1} {t.GemmMicroseconds:F0}"));
            output.WriteLine($"{indent}  {$"{e.Key.N}x{e.Key.K}",-12} {Input(e.Key),-13} {Name(e.Layout),-6} " +
                             $"{KernelDispatch.NameOf(e.Gemv),-12} {KernelDispatch.NameOf(e.Gemm),-12} {candidates}");
        }
    }

    public static string Name(WeightType type) => WeightTypes.Info(type).Name;

    /// <summary>The activations a shape reads, with the share of zeros top-K leaves in them (e.g. "int8 50% zero").</summary>
    public static string Input(KernelPlanKey key) =>
        key.Sparsity > 0f ? $"{Input(key.Input)} {Math.Round(key.Sparsity * 100f).ToString(System.Globalization.CultureInfo.InvariantCulture)}% zero" : Input(key.Input);

    public static string Input(ActivationType input) => input switch
    {
        ActivationType.Int4 => "int4",
        ActivationType.Int8 => "int8",
        _ => "f32",
    };
}
