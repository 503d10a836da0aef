namespace BitNative.Cli;

/// <summary>
/// The exit status of every command when it fails (0 when it succeeds; README "Errors and exit codes"). Each failure
/// prints one line, <c>error: ...</c>, naming the option or file at fault and the cause; <c>BITNATIVE_TRACE=1</c> adds
/// the stack trace.
/// </summary>
internal static class ExitCodes
{
    /// <summary>An input cannot be used: a model, text or configuration file is missing, unreadable, not a regular file, malformed, or too long for the context.</summary>
    public const int Input = 1;

    /// <summary>The command line is wrong: an unknown option, a missing one, or a value outside its domain.</summary>
    public const int Usage = 2;

    /// <summary>An output file could not be written (a full disk, no permission, a directory in the way); an existing file there is unchanged.</summary>
    public const int Output = 3;

    /// <summary>The machine cannot run the command: the native library is missing or stale, the CPU or OS is unsupported, memory ran out.</summary>
    public const int Environment = 4;

    /// <summary>An unexpected failure: a bug in BitNative (please report it with the BITNATIVE_TRACE=1 output).</summary>
    public const int Internal = 5;

    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT.</summary>
    public const int Cancelled = 130;
}
