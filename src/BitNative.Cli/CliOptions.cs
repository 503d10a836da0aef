using System.Globalization;
using BitNative.Model;
using BitNative.Kernels;
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

    public static Option<bool> ForceContext() => new("--force-ctx")
    {
        Description = "Allow --ctx-size above the context length the model was trained for (positions past it give unreliable output)",
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

    public static Option<bool> MemoryMap() => new("--mmap")
    {
        Description = "Read weights in place from the memory-mapped file (shared page cache, instant load) instead of copying them into huge-page memory (faster decoding)",
    };

    public static Option<string> Kernel() => new("--kernel")
    {
        Description = "Ternary kernels: auto (fastest for this CPU), mad (multiply-add on the file layout) or lut (lookup tables, repacked at load)",
        DefaultValueFactory = _ => "auto",
        Validators = { r => { if (ParseKernel(r.GetValueOrDefault<string>()) is null) r.AddError("--kernel must be auto, mad or lut."); } },
    };

    public static Option<string?> Activations() => new("--act")
    {
        Description = "Q/K/V and gate/up input precision: int8 or int4 (BitNet a4.8; on a model not trained for it, changes the numerics). " +
                      "Default: the model's own (its bitnative.activation_bits; int8 for BitNet b1.58)",
        Validators = { r => { if (ParseActivations(r.GetValueOrDefault<string?>()) is null) r.AddError("--act must be int8 or int4."); } },
    };

    public static Option<string?> KvCache() => new("--kv")
    {
        Description = "KV cache: f16, q8, q4 or q3 (one scale per head and position; q3 is BitNet a4.8's 3-bit cache, ~5x smaller than f16). " +
                      "Default: the model's own (f16 unless its file says otherwise)",
        Validators = { r => { if (ParseKvCache(r.GetValueOrDefault<string?>()) is null) r.AddError("--kv must be f16, q8, q4 or q3."); } },
    };

    public static Option<string?> Sparsity() => new("--sparsity")
    {
        Description = "BitNet a4.8 top-K: the share of the o_proj and down_proj int8 inputs set to zero (kernels that skip the zero columns run where the plan measures them faster): " +
                      "S for both, O,D for each (e.g. 0.5,0.8), or off. Default: the model's own (off unless its file says otherwise)",
        Validators = { r => { if (ParseSparsity(r.GetValueOrDefault<string?>()) is null) r.AddError("--sparsity must be off, S or O,D with shares in [0, 1)."); } },
    };

    /// <summary>The cache type a --kv value names (ModelRecipe's names: f16, q8, q4, q3), or null.</summary>
    public static KvCacheType? ParseKvCache(string? value)
    {
        try
        {
            return value is null ? null : ModelRecipe.ParseKv(value);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public static TopKSparsity? ParseSparsity(string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return TopKSparsity.None;
        }

        string[] parts = value.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2)
        {
            return null;
        }

        var shares = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out shares[i]) || shares[i] is not (>= 0f and < 1f))
            {
                return null;
            }
        }

        return new TopKSparsity(shares[0], shares[^1]);
    }

    public static Option<string?> Isa() => new("--isa")
    {
        Description = "Run every kernel with this instruction set instead of the plan measured at load (diagnosis): " +
                      "ref, avx2, avx512_vnni, neon, neon_dotprod; the environment variable BITNATIVE_ISA does the same",
        Validators =
        {
            r =>
            {
                string? value = r.GetValueOrDefault<string?>();
                if (value is not null && ParseIsa(value) is null)
                {
                    r.AddError($"--isa {value} is not an instruction set this CPU runs ({string.Join(", ", SupportedIsaNames())}).");
                }
            },
        },
    };

    /// <summary>The supported ISA named <paramref name="value"/> (the library's names, any case), or null.</summary>
    public static Kernels.Isa? ParseIsa(string? value) => Enum.GetValues<Kernels.Isa>()
        .Where(Kernels.KernelDispatch.IsSupported)
        .Select(i => (Kernels.Isa?)i)
        .FirstOrDefault(i => string.Equals(Kernels.KernelDispatch.NameOf(i!.Value), value?.Trim(), StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<string> SupportedIsaNames() =>
        Enum.GetValues<Kernels.Isa>().Where(Kernels.KernelDispatch.IsSupported).Select(Kernels.KernelDispatch.NameOf);

    /// <summary>Applies --isa: every later kernel of the process runs that ISA, the model's matrices included.</summary>
    public static Kernels.Isa? ApplyIsa(string? value)
    {
        Kernels.Isa? isa = ParseIsa(value);
        if (isa is { } forced)
        {
            Kernels.KernelDispatch.Force(forced);
        }

        return isa;
    }

    public static TernaryKernel? ParseKernel(string? value) => value?.ToLowerInvariant() switch
    {
        "auto" => TernaryKernel.Auto,
        "mad" => TernaryKernel.MultiplyAdd,
        "lut" => TernaryKernel.LookupTable,
        _ => null,
    };

    public static ActivationBits? ParseActivations(string? value) => value?.ToLowerInvariant() switch
    {
        "int8" => ActivationBits.Int8,
        "int4" => ActivationBits.Int4,
        _ => null,
    };

    public static Option<int> Seed() => new("--seed", "-s")
    {
        Description = "Random seed for sampling (-1: random)",
        DefaultValueFactory = _ => -1,
        Validators = { r => { if (r.GetValueOrDefault<int>() < -1) r.AddError($"--seed {r.GetValueOrDefault<int>()} is invalid: it must be >= 0, or -1 for a random seed."); } },
    };
}
