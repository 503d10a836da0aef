using BitNative.Interop;

namespace BitNative.Formats;

/// <summary>
/// Checks a path the user gave before anything opens it, so every problem is one line naming the path and the cause:
/// missing, a symbolic-link loop, no permission, a directory where a file is wanted, or a special file (FIFO, device,
/// socket), which is refused unopened — opening a FIFO for reading would wait forever for a writer.
/// </summary>
public static class InputFile
{
    /// <summary>Throws unless <paramref name="path"/> names a regular file (symbolic links followed).</summary>
    /// <exception cref="FileNotFoundException">Nothing is there.</exception>
    /// <exception cref="UnauthorizedAccessException">A folder on the way may not be searched.</exception>
    /// <exception cref="IOException">A symbolic-link loop, a directory, or a special file.</exception>
    public static void RequireFile(string path)
    {
        if (RequireFileOrFolder(path))
        {
            throw new IOException($"{Path.GetFullPath(path)}: is a directory, not a file.");
        }
    }

    /// <summary>Throws unless <paramref name="path"/> names a regular file or a folder; returns true for a folder.</summary>
    /// <inheritdoc cref="RequireFile" path="/exception"/>
    public static bool RequireFileOrFolder(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        return FileTypeProbe.Probe(path) switch
        {
            PathKind.RegularFile => false,
            PathKind.Directory => true,
            PathKind.Missing => throw Missing(full),
            PathKind.SymbolicLinkLoop => throw new IOException($"{full}: too many levels of symbolic links (a symbolic-link loop)."),
            PathKind.AccessDenied => throw new UnauthorizedAccessException($"{full}: permission denied (a folder on the path may not be searched)."),
            PathKind.NameTooLong => throw new IOException($"{full}: the file name is too long."),
            PathKind.Unknown => Directory.Exists(path) || (File.Exists(path) ? false : throw Missing(full)), // no probe here: .NET's view
            var kind => throw new IOException(
                $"{full}: is {SpecialFileName(kind)}, not a regular file; it is not opened (a model or text input must be a file)."),
        };
    }

    /// <summary>How an error names a special file (FIFO, device, socket); null for files, folders and errors.</summary>
    internal static string? SpecialFileName(PathKind kind) => kind switch
    {
        PathKind.Fifo => "a named pipe (FIFO)",
        PathKind.CharacterDevice => "a character device",
        PathKind.BlockDevice => "a block device",
        PathKind.Socket => "a socket",
        _ => null,
    };

    /// <summary>
    /// <paramref name="open"/>(<paramref name="path"/>) after <see cref="RequireFile"/>, with "permission denied" said as
    /// such (.NET's own message for EACCES reads "Access to the path is denied").
    /// </summary>
    internal static T Open<T>(string path, Func<string, T> open)
    {
        RequireFile(path);
        try
        {
            return open(path);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"{Path.GetFullPath(path)}: permission denied (the file cannot be read).", e);
        }
    }

    /// <summary>The file's bytes (<see cref="Open"/>).</summary>
    public static byte[] ReadAllBytes(string path) => Open(path, File.ReadAllBytes);

    /// <summary>The file's text, UTF-8 unless it has another byte-order mark (<see cref="Open"/>).</summary>
    public static string ReadAllText(string path) => Open(path, File.ReadAllText);

    /// <summary>The file opened for reading (<see cref="Open"/>).</summary>
    public static FileStream OpenRead(string path) => Open(path, File.OpenRead);

    private static FileNotFoundException Missing(string full) => new($"{full}: no such file or directory.", full);
}
