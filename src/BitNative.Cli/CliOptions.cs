using System.CommandLine;

namespace BitNative.Cli;

/// <summary>Options shared by the commands that load a model.</summary>
internal static class CliOptions
{
    public static Option<string?> Model() => new("--model", "-m")
    {
        Description = "Model file (GGUF) or Hugging Face checkpoint folder; default: the bundled model",
    };

    public static Option<int> Threads() => new("--threads", "-t")
    {
        Description = "Kernel threads (default: all logical CPUs)",
        DefaultValueFactory = _ => 0,
        Validators = { r => { if (r.GetValueOrDefault<int>() is < 0 or > 256) r.AddError("--threads must be 1..256 (or 0 for all CPUs)."); } },
    };

    public static Option<int> Context() => new("--ctx-size", "-c")
    {
        Description = "Context length in tokens (default: the model's)",
        DefaultValueFactory = _ => 0,
        Validators = { r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--ctx-size must be positive."); } },
    };

    public static Option<OutputHeadPrecision> Head() => new("--head")
    {
        Description = "Output head precision: auto (as the file stores it), f16, or int8 (Q8_0 weights x int8 activations)",
        DefaultValueFactory = _ => OutputHeadPrecision.Auto,
        CustomParser = r =>
        {
            switch (r.Tokens.Single().Value.ToLowerInvariant())
            {
                case "auto": return OutputHeadPrecision.Auto;
                case "f16": return OutputHeadPrecision.F16;
                case "int8" or "q8_0": return OutputHeadPrecision.Int8;
                default:
                    r.AddError($"--head {r.Tokens.Single().Value} is not one of auto, f16, int8.");
                    return OutputHeadPrecision.Auto;
            }
        },
    };

    public static Option<int> Seed() => new("--seed", "-s")
    {
        Description = "Random seed for sampling (-1: random)",
        DefaultValueFactory = _ => -1,
    };
}
