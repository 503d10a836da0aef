using BitNative.Kernels;
using BitNative.Authoring.Synthetic;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BitNative.Formats.Gguf;
using BitNative.Model;

namespace BitNative.Cli.Commands;

/// <summary>
/// <c>bitnative inspect</c>: architecture, hyperparameters, tensor table, parameter count, bits per weight, and the
/// memory needed to run the model (weights as stored + fp16 KV cache at the model's context length) next to the usual
/// rule of thumb (parameters × bytes per parameter × 1.25) and its FP16 equivalent.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("file") { Description = "GGUF model file" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var plan = new Option<bool>("--plan")
        {
            Description = "Also load the model and print the kernel plan for this CPU (measured at the first load, then cached): " +
                          "per projection shape the layout kept and the ISA for one token and for a batch",
        };
        var threads = CliOptions.Threads();
        var kernel = CliOptions.Kernel();
        var activations = CliOptions.Activations();
        var isa = CliOptions.Isa();
        var command = new Command("inspect", "Describe a GGUF model file");
        command.Arguments.Add(path);
        command.Options.Add(json);
        command.Options.Add(plan);
        command.Options.Add(threads);
        command.Options.Add(kernel);
        command.Options.Add(activations);
        command.Options.Add(isa);
        command.SetAction(r =>
        {
            string file = r.GetValue(path)!;
            if (!File.Exists(file))
            {
                throw new CliException($"{Path.GetFullPath(file)} does not exist.");
            }

            Report report;
            using (GgufFile gguf = GgufFile.Open(file))
            {
                report = Describe(gguf);
            }

            if (r.GetValue(plan))
            {
                using BitNetModel model = BitNetModel.Load(file, new ModelOptions
                {
                    Threads = r.GetValue(threads),
                    Kernel = CliOptions.ParseKernel(r.GetValue(kernel)) ?? TernaryKernel.Auto,
                    ActivationBits = CliOptions.ParseActivations(r.GetValue(activations)),
                    Isa = CliOptions.ApplyIsa(r.GetValue(isa)),
                });
                report = report with { KernelPlan = model.KernelPlan.Select(PlanRow.Of).ToList() };
                if (!r.GetValue(json))
                {
                    Print(report);
                    Console.Out.WriteLine();
                    KernelPlanTable.Print(model.KernelPlan, Console.Out, "");
                    return 0;
                }
            }

            if (r.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                Print(report);
            }

            return 0;
        });
        return command;
    }

    internal sealed record TensorRow(string Name, string Type, long[] Shape, long Bytes);

    /// <summary>The KV cache of one session at the model's context length, for each cache type the engine offers.</summary>
    internal sealed record KvRow(string Type, long Bytes);

    internal sealed record Report(
        string File, uint Version, string Architecture, string Family, string Formats, ModelConfig? Config, string? ConfigError, long Parameters,
        long WeightBytes,
        double BitsPerWeight, long KvCacheBytes, long MemoryBytes, long RuleOfThumbBytes, long Fp16RuleOfThumbBytes,
        IReadOnlyList<TensorRow> Tensors)
    {
        /// <summary>The recipe the file states (b1.58 when it states none), and the KV cache it runs with.</summary>
        public string? Recipe { get; init; }

        /// <summary>KV cache bytes at the context length per type (f16, q8, q4, q3; quantized types need heads of a multiple of 32).</summary>
        public IReadOnlyList<KvRow>? KvCacheByType { get; init; }

        /// <summary>With --plan: the kernel plan of this CPU.</summary>
        public IReadOnlyList<PlanRow>? KernelPlan { get; init; }
    }

    internal static Report Describe(GgufFile gguf)
    {
        string arch = gguf.Metadata.TryGetValue("general.architecture", out GgufValue? a) && a.Type == GgufValueType.String ? a.AsString() : "?";
        ModelConfig? config = null;
        string? error = null;
        try
        {
            config = ModelConfig.FromGguf(gguf);
        }
        catch (InvalidDataException e)
        {
            error = e.Message;
        }

        var rows = gguf.Tensors.Select(t => new TensorRow(t.Name, t.TypeName, t.Dimensions.ToArray(), t.ByteSize)).ToList();
        string family = ModelFamily.Recognise(gguf) is { } f ? $"{f.Name} [{f.Id}]" : "not one of the known 1-bit / 1.58-bit families";
        string Of(string name) => gguf.TryGetTensor(name, out GgufTensorInfo? t) ? t.TypeName : "-";
        string formats = $"projections {Of("blk.0.attn_q.weight")}, token_embd {Of("token_embd.weight")}, " +
                         $"head {(gguf.TryGetTensor("output.weight", out _) ? Of("output.weight") : "tied to token_embd")}";
        long parameters = gguf.Tensors.Sum(t => t.ElementCount);
        long bytes = gguf.Tensors.Sum(t => t.ByteSize);
        ModelRecipe? recipe = null;
        try
        {
            recipe = ModelRecipe.Read(gguf.Metadata);
        }
        catch (InvalidDataException e)
        {
            error ??= e.Message;
        }

        var kvRows = new List<KvRow>();
        if (config is not null)
        {
            foreach (KvCacheType type in Enum.GetValues<KvCacheType>())
            {
                try
                {
                    kvRows.Add(new KvRow(ModelRecipe.KvName(type), config.KvCacheBytes(config.ContextLength, type)));
                }
                catch (ArgumentException)
                {
                    // a quantized cache needs heads of a multiple of 32 dimensions: this model cannot use that type
                }
            }
        }

        // memory to run: the weights and the cache the file's recipe uses
        string used = ModelRecipe.KvName(recipe?.KvCache ?? KvCacheType.F16);
        long kv = kvRows.FirstOrDefault(k => k.Type == used)?.Bytes ?? kvRows.FirstOrDefault()?.Bytes ?? 0;
        double bitsPerWeight = parameters > 0 ? bytes * 8.0 / parameters : 0;
        return new Report(Path.GetFullPath(gguf.FilePath), gguf.Version, arch, family, formats, config, error, parameters, bytes, bitsPerWeight, kv,
            bytes + kv, (long)(parameters * (bitsPerWeight / 8) * 1.25), (long)(parameters * 2 * 1.25), rows)
        {
            Recipe = recipe?.Describe(),
            KvCacheByType = kvRows,
        };
    }

    private static void Print(Report r)
    {
        var o = Console.Out;
        string Gb(long b) => (b / 1e9).ToString("F3", CultureInfo.InvariantCulture) + " GB";
        o.WriteLine($"file           {r.File} (GGUF v{r.Version})");
        o.WriteLine($"architecture   {r.Architecture}");
        o.WriteLine($"family         {r.Family}");
        o.WriteLine($"formats        {r.Formats}");
        if (r.Config is { } c)
        {
            o.WriteLine($"vocab          {c.VocabSize}");
            o.WriteLine($"embedding      {c.EmbeddingLength}   layers {c.BlockCount}   ffn {c.FeedForwardLength}");
            o.WriteLine($"heads          {c.HeadCount} (kv {c.KvHeadCount}, head dim {c.HeadDim}, rope dims {c.RopeDimensions}, base {c.RopeFreqBase})");
            o.WriteLine($"context        {c.ContextLength}   rms eps {c.RmsNormEpsilon}   ffn gate {c.Activation}");
        }
        else
        {
            o.WriteLine($"config         not runnable: {r.ConfigError}");
        }

        o.WriteLine();
        o.WriteLine($"{"tensor",-32} {"type",-9} {"shape",-20} {"bytes",14}");
        foreach (TensorRow t in r.Tensors)
        {
            o.WriteLine($"{t.Name,-32} {t.Type,-9} {"[" + string.Join(", ", t.Shape) + "]",-20} {t.Bytes,14:N0}");
        }

        o.WriteLine();
        o.WriteLine($"parameters     {r.Parameters:N0} ({r.Parameters / 1e9:F3} B)");
        o.WriteLine($"weights        {Gb(r.WeightBytes)} ({r.BitsPerWeight:F2} bits per weight)");
        if (r.Recipe is not null)
        {
            o.WriteLine($"recipe         {r.Recipe}");
        }

        string byType = string.Join(", ", (r.KvCacheByType ?? []).Select(k => $"{k.Type} {Reporting.Mib(k.Bytes)}"));
        o.WriteLine($"KV cache       {Gb(r.KvCacheBytes)} at {r.Config?.ContextLength ?? 0} positions, one session (--kv {byType})");
        o.WriteLine($"memory to run  {Gb(r.MemoryBytes)} (weights as stored + KV cache)");
        o.WriteLine($"rule of thumb  {Gb(r.RuleOfThumbBytes)} (params x {r.BitsPerWeight / 8:F3} bytes x 1.25)");
        o.WriteLine($"FP16 model     {Gb(r.Fp16RuleOfThumbBytes)} (params x 2 bytes x 1.25): ternary storage is {(double)r.Fp16RuleOfThumbBytes / Math.Max(r.RuleOfThumbBytes, 1):F1}x smaller");
    }
}
