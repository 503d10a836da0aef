using System.Text;

namespace BitNative.Formats;

/// <summary>
/// Writes output files so that nothing is ever lost: the bytes go to a temporary file in the target's folder, are flushed
/// to the disk (fsync), and only then is the temporary file renamed over the target, which on one file system replaces it
/// in one step. A failure at any point (a full disk, no permission, a crash) leaves the existing target as it was and
/// removes the temporary file. Every writer of a user-visible output goes through here (CLI outputs, GGUF and
/// safetensors writers, quantization, kernel-plan cache, the trainer's checkpoints and exports).
/// </summary>
/// <remarks>
/// The target's folder is created when missing. A symbolic link as the target is followed, so the file it points to is
/// replaced and the link stays. A directory or a special file (device, FIFO, socket) as the target is refused before
/// anything is written: renaming over /dev/null, say, would replace the device itself. The folder entry of the rename is
/// not itself fsynced (.NET has no API for it): after a power loss the target holds either the old or the new bytes.
/// </remarks>
public static class AtomicFile
{
    /// <summary>Writes the file at <paramref name="path"/> through <paramref name="write"/>, replacing it only when complete.</summary>
    /// <exception cref="OutputFileException">The file could not be written; the existing file (if any) is unchanged.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string target = PrepareTarget(path);
        string temporary = TemporaryPath(target);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            Commit(temporary, target);
        }
        catch (Exception e)
        {
            TryDelete(temporary);
            if (e is IOException or UnauthorizedAccessException && e is not OutputFileException)
            {
                throw OutputFileException.CouldNotWrite(target, e);
            }

            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> as the whole file.</summary>
    /// <inheritdoc cref="Write(string, Action{Stream})" path="/exception"/>
    public static void WriteAllBytes(string path, ReadOnlyMemory<byte> bytes) => Write(path, s => s.Write(bytes.Span));

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark) as the whole file.</summary>
    /// <inheritdoc cref="Write(string, Action{Stream})" path="/exception"/>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));

    /// <summary>
    /// The file a write to <paramref name="path"/> replaces (symbolic links followed), with its folder created; throws if
    /// it is a directory or a special file. For writers that manage their own temporary file (resumable quantization).
    /// </summary>
    /// <exception cref="OutputFileException">The target cannot be a file written here.</exception>
    internal static string PrepareTarget(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string target = Path.GetFullPath(path);
        try
        {
            var info = new FileInfo(target);
            if (info.LinkTarget is not null)
            {
                target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? target;
            }

            if (Directory.Exists(target))
            {
                throw new OutputFileException(target, "is a directory; give a file name");
            }

            if (InputFile.SpecialFileName(Interop.FileTypeProbe.Probe(target)) is { } special)
            {
                throw new OutputFileException(target, $"is {special}, not a regular file; refusing to replace it");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            return target;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not OutputFileException)
        {
            throw OutputFileException.CouldNotWrite(target, e);
        }
    }

    /// <summary>
    /// Renames <paramref name="temporary"/>, complete and flushed to the disk, over <paramref name="target"/>, keeping the
    /// target's permissions. Both must be in the same folder (<see cref="TemporaryPath"/>).
    /// </summary>
    internal static void Commit(string temporary, string target)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(target))
        {
            File.SetUnixFileMode(temporary, File.GetUnixFileMode(target));
        }

        File.Move(temporary, target, overwrite: true);
    }

    /// <summary>A fresh name beside <paramref name="target"/> (hidden, unique per process and call), so the rename stays on one file system.</summary>
    internal static string TemporaryPath(string target) =>
        Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the target is intact, and the temporary name is unique, so no later write reuses it.
        }
    }
}
