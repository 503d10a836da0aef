using System.CommandLine;
using BitNative.Cli;
using BitNative.Cli.Commands;

var root = new RootCommand("bitnative: run 1.58-bit (ternary) BitNet models on the CPU")
{
    RunCommand.Create(),
    ChatCommand.Create(),
    PerplexityCommand.Create(),
    ScoreCommand.Create(),
    InspectCommand.Create(),
    MakeModelCommand.Create(),
    QuantizeCommand.Create(),
    BenchCommand.Create(),
    ServeCommand.Create(),
};

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    return CliErrors.Report(parsed.Errors); // one line, exit 2: no help text in front of the error
}

try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e)
{
    return CliErrors.Report(e);
}
