namespace BitNative.Formats;

/// <summary>
/// Read-only bytes of a whole file, addressed with 64-bit offsets. Every request is bounds-checked
/// by the implementation, so parsers can never read outside the file whatever a header claims.
/// </summary>
internal interface IByteSource : IDisposable
{
    /// <summary>Length of the file in bytes.</summary>
    long Length { get; }

    /// <summary>
    /// Returns <paramref name="length"/> bytes starting at <paramref name="offset"/>.
    /// Throws <see cref="ArgumentOutOfRangeException"/> when the range is not inside the file: callers
    /// validate ranges first and turn them into format errors, so this is the last line of defence.
    /// </summary>
    ReadOnlySpan<byte> GetSpan(long offset, int length);

    /// <summary>
    /// The same bytes as <see cref="GetSpan"/>, as memory that can be kept in a field (e.g. by model weights). It stays
    /// valid only while this source is not disposed.
    /// </summary>
    ReadOnlyMemory<byte> GetMemory(long offset, int length);

    /// <summary>
    /// Hints that bytes [offset, offset + length) will not be read again soon (a model converted them), so a mapped file
    /// can drop their pages from the process's resident memory. Reading them later still works. Bounds as for
    /// <see cref="GetSpan"/>.
    /// </summary>
    void ReleasePages(long offset, long length);
}

/// <summary>Opens a file as an <see cref="IByteSource"/>: memory-mapped, or empty for a zero-length file.</summary>
internal static class ByteSource
{
    /// <exception cref="IOException">The path is not a regular file (<see cref="InputFile.RequireFile"/>).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public static IByteSource OpenFile(string path)
    {
        FileStream stream = InputFile.Open(path, p => new FileStream(p, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete,
            bufferSize: 1, FileOptions.RandomAccess));
        try
        {
            // A zero-length file cannot be mapped; it still has to reach the parser so the user gets
            // "file is too short" rather than an ArgumentException from the mapping API.
            if (stream.Length == 0)
            {
                stream.Dispose();
                return new ByteArraySource([]);
            }

            return MemoryMappedFileView.Map(stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}

/// <summary>An <see cref="IByteSource"/> over a managed array: for tests and for tiny in-memory files.</summary>
internal sealed class ByteArraySource(byte[] bytes) : IByteSource
{
    public long Length => bytes.Length;

    public ReadOnlySpan<byte> GetSpan(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > bytes.Length || length > bytes.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"Range [{offset}, {offset}+{length}) is outside the {bytes.Length}-byte buffer.");
        }

        return new ReadOnlySpan<byte>(bytes, (int)offset, length);
    }

    public ReadOnlyMemory<byte> GetMemory(long offset, int length)
    {
        _ = GetSpan(offset, length); // the same bounds check
        return new ReadOnlyMemory<byte>(bytes, (int)offset, length);
    }

    public void ReleasePages(long offset, long length) => _ = GetSpan(offset, checked((int)length)); // managed memory stays

    public void Dispose()
    {
    }
}
