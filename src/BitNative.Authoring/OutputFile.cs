namespace BitNative.Authoring;

/// <summary>How the writers create their files: replacing the destination, and deleting a partly written file when
/// writing fails, so no truncated model is left behind under the name.</summary>
internal static class OutputFile
{
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
            write(stream);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }
}
