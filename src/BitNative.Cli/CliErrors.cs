using System.CommandLine.Parsing;
using BitNative.Formats;
using BitNative.Kernels;

namespace BitNative.Cli;

/// <summary>Turns a failure into its one <c>error:</c> line on stderr and its exit code (<see cref="ExitCodes"/>).</summary>
internal static class CliErrors
{
    private const string TraceVariable = "BITNATIVE_TRACE";

    /// <summary>Reports command-line errors found while parsing: the first one, without the help text.</summary>
    public static int Report(IReadOnlyList<ParseError> errors)
    {
        string more = errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "";
        Console.Error.WriteLine($"error: {OneLine(errors[0].Message).TrimEnd('.')}{more} (bitnative --help lists the options)");
        return ExitCodes.Usage;
    }

    /// <summary>Reports an exception that ended a command.</summary>
    public static int Report(Exception e)
    {
        Console.Out.Flush();
        if (e is OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return ExitCodes.Cancelled;
        }

        (int code, string message) = Classify(e);
        Console.Error.WriteLine($"error: {message}");
        if (System.Environment.GetEnvironmentVariable(TraceVariable) == "1")
        {
            Console.Error.WriteLine(e); // for a bug report; a user's error stays one line
        }

        return code;
    }

    internal static (int Code, string Message) Classify(Exception e) => e switch
    {
        CliException c => (c.ExitCode, OneLine(c.Message)),
        OutputFileException => (ExitCodes.Output, OneLine(e.Message)),
        ArgumentException a => (ExitCodes.Usage, OneLine(MessageOf(a))),
        IOException or UnauthorizedAccessException or InvalidDataException or BitNativeException or NotSupportedException
            => (ExitCodes.Input, OneLine(e.Message)),
        DllNotFoundException or PlatformNotSupportedException => (ExitCodes.Environment, e.Message), // the resolver's trace: one line per path tried
        OutOfMemoryException or InsufficientMemoryException => (ExitCodes.Environment, "out of memory: " + OneLine(e.Message)),
        _ => (ExitCodes.Internal, $"internal error ({e.GetType().Name}): {OneLine(e.Message)} — a bug; {TraceVariable}=1 prints the stack trace for a report"),
    };

    /// <summary>The message without the " (Parameter 'name')" ArgumentException appends: the CLI names the option itself.</summary>
    public static string MessageOf(ArgumentException e) =>
        e.ParamName is { } name ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
