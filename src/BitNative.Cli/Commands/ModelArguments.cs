using BitNative.Model;
using BitNative.Kernels;
using System.CommandLine;
using System.Diagnostics;

namespace BitNative.Cli.Commands;

/// <summary>-m / -t / -c / --force-ctx / --head / --kernel / --act / --kv / --sparsity / --mmap / --isa, and loading the model they describe.</summary>
internal sealed class ModelArguments
{
    public Option<string?> Model { get; } = CliOptions.Model();
    public Option<int> Threads { get; } = CliOptions.Threads();
    public Option<int> Context { get; } = CliOptions.Context();
    public Option<bool> ForceContext { get; } = CliOptions.ForceContext();
    public Option<OutputHeadPrecision> Head { get; } = CliOptions.Head();
    public Option<string> Kernel { get; } = CliOptions.Kernel();
    public Option<string?> Activations { get; } = CliOptions.Activations();
    public Option<string?> KvCache { get; } = CliOptions.KvCache();
    public Option<string?> Sparsity { get; } = CliOptions.Sparsity();
    public Option<bool> MemoryMap { get; } = CliOptions.MemoryMap();
    public Option<string?> Isa { get; } = CliOptions.Isa();

    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Model, Threads, Context, ForceContext, Head, Kernel, Activations, KvCache, Sparsity, MemoryMap, Isa })
        {
            command.Options.Add(o);
        }
    }

    /// <summary>Loads the model; -c above its training context is an error unless --force-ctx (then a warning).</summary>
    public (BitNetModel Model, TimeSpan LoadTime) Load(ParseResult r) => Load(r, defaultContext: 0);

    /// <summary>As <see cref="Load(ParseResult)"/>, with sessions of <paramref name="defaultContext"/> positions unless -c is given (0: the model's).</summary>
    public (BitNetModel Model, TimeSpan LoadTime) Load(ParseResult r, int defaultContext)
    {
        string path = ModelLocator.Resolve(r.GetValue(Model));
        var clock = Stopwatch.StartNew();
        int given = r.GetValue(Context);
        BitNetModel model = Load(path, Options(r) with { ContextLength = given > 0 ? given : defaultContext });
        try
        {
            CheckContext(given, model.Config.ContextLength, r.GetValue(ForceContext));
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return (model, clock.Elapsed);
    }

    /// <summary>Loads <paramref name="path"/>; a context the library refuses (its KV cache cannot fit) is reported against -c.</summary>
    public static BitNetModel Load(string path, ModelOptions options)
    {
        try
        {
            return BitNetModel.Load(path, options);
        }
        catch (ArgumentException e) when (e.ParamName == nameof(ModelOptions.ContextLength))
        {
            throw new CliException($"--ctx-size: {CliErrors.MessageOf(e)}");
        }
    }

    /// <summary>
    /// -c beyond the positions the model was trained on gives unreliable text (and attention costs grow with it), so it
    /// needs --force-ctx; with it, a warning.
    /// </summary>
    public static void CheckContext(int requested, int trained, bool force)
    {
        if (requested <= trained)
        {
            return;
        }

        string problem = $"--ctx-size {requested} is above the {trained} positions the model was trained on; positions past them give unreliable output";
        if (!force)
        {
            throw new CliException($"{problem} (pass --force-ctx to run anyway).");
        }

        Console.Error.WriteLine($"warning: {problem}.");
    }

    /// <summary>The load options these arguments describe.</summary>
    public ModelOptions Options(ParseResult r) => new()
    {
        Threads = r.GetValue(Threads),
        ContextLength = r.GetValue(Context),
        OutputHead = r.GetValue(Head),
        Kernel = CliOptions.ParseKernel(r.GetValue(Kernel)) ?? TernaryKernel.Auto,
        ActivationBits = CliOptions.ParseActivations(r.GetValue(Activations)),
        KvCache = CliOptions.ParseKvCache(r.GetValue(KvCache)),
        Sparsity = CliOptions.ParseSparsity(r.GetValue(Sparsity)),
        MemoryMapWeights = r.GetValue(MemoryMap),
        Isa = CliOptions.ApplyIsa(r.GetValue(Isa)),
    };
}
