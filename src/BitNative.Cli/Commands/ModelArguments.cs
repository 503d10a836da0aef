using BitNative.Model;
using BitNative.Kernels;
using System.CommandLine;
using System.Diagnostics;

namespace BitNative.Cli.Commands;

/// <summary>-m / -t / -c / --head / --kernel / --act / --kv / --sparsity / --mmap / --isa, and loading the model they describe.</summary>
internal sealed class ModelArguments
{
    public Option<string?> Model { get; } = CliOptions.Model();
    public Option<int> Threads { get; } = CliOptions.Threads();
    public Option<int> Context { get; } = CliOptions.Context();
    public Option<OutputHeadPrecision> Head { get; } = CliOptions.Head();
    public Option<string> Kernel { get; } = CliOptions.Kernel();
    public Option<string?> Activations { get; } = CliOptions.Activations();
    public Option<string?> KvCache { get; } = CliOptions.KvCache();
    public Option<string?> Sparsity { get; } = CliOptions.Sparsity();
    public Option<bool> MemoryMap { get; } = CliOptions.MemoryMap();
    public Option<string?> Isa { get; } = CliOptions.Isa();

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Threads);
        command.Options.Add(Context);
        command.Options.Add(Head);
        command.Options.Add(Kernel);
        command.Options.Add(Activations);
        command.Options.Add(KvCache);
        command.Options.Add(Sparsity);
        command.Options.Add(MemoryMap);
        command.Options.Add(Isa);
    }

    public (BitNetModel Model, TimeSpan LoadTime) Load(ParseResult r)
    {
        string path = ModelLocator.Resolve(r.GetValue(Model));
        var clock = Stopwatch.StartNew();
        var model = BitNetModel.Load(path, Options(r));
        return (model, clock.Elapsed);
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
