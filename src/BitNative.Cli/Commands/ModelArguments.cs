using System.CommandLine;
using System.Diagnostics;

namespace BitNative.Cli.Commands;

/// <summary>-m / -t / -c / --head / --kernel / --act / --mmap / --isa, and loading the model they describe.</summary>
internal sealed class ModelArguments
{
    public Option<string?> Model { get; } = CliOptions.Model();
    public Option<int> Threads { get; } = CliOptions.Threads();
    public Option<int> Context { get; } = CliOptions.Context();
    public Option<OutputHeadPrecision> Head { get; } = CliOptions.Head();
    public Option<string> Kernel { get; } = CliOptions.Kernel();
    public Option<string> Activations { get; } = CliOptions.Activations();
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
        ActivationBits = CliOptions.ParseActivations(r.GetValue(Activations)) ?? ActivationBits.Int8,
        MemoryMapWeights = r.GetValue(MemoryMap),
        Isa = CliOptions.ApplyIsa(r.GetValue(Isa)),
    };
}
