using System.CommandLine;
using BitNative.Cli;
using BitNative.Cli.Commands;
using BitNative.Formats;

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

try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is CliException or ArgumentException or InvalidDataException or BitNativeFormatException
                              or FileNotFoundException or BitNative.Kernels.BitNativeException or DllNotFoundException
                              or PlatformNotSupportedException)
{
    Console.Out.Flush();
    // BITNATIVE_TRACE=1 adds the stack trace, for reporting a bug; a user's error stays one line
    Console.Error.WriteLine(Environment.GetEnvironmentVariable("BITNATIVE_TRACE") == "1" ? $"error: {e}" : $"error: {e.Message}");
    return e is ArgumentException or CliException ? 2 : 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}
