namespace BitNative.Formats;

/// <summary>An output file could not be written. The existing file at that path, if there was one, is unchanged.</summary>
public sealed class OutputFileException : IOException
{
    internal OutputFileException(string path, string cause, Exception? inner = null)
        : base($"{path}: {cause}.", inner)
    {
    }

    internal static OutputFileException CouldNotWrite(string path, Exception e) =>
        new(path, $"cannot write it: {Cause(e)}; {(File.Exists(path) ? "the existing file is unchanged" : "nothing was written")}", e);

    /// <summary>The operating system's reason without the path .NET appends ("No space left on device : '/x'").</summary>
    private static string Cause(Exception e)
    {
        if (e is UnauthorizedAccessException)
        {
            return "permission denied";
        }

        string message = e.Message;
        int at = message.IndexOf(" : '", StringComparison.Ordinal);
        message = (at > 0 ? message[..at] : message).TrimEnd('.');
        return message.Length > 0 ? char.ToLowerInvariant(message[0]) + message[1..] : message;
    }
}
