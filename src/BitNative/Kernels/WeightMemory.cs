using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>
/// Memory for weights the kernels stream (huge pages where the OS has them) and the release of file pages a model has
/// converted and will not read again. See "Weight memory" in bitnative.h.
/// </summary>
internal static unsafe class WeightMemory
{
    /// <summary>Allocates <paramref name="bytes"/> (&gt; 0) zeroed, 64-byte-aligned bytes; free with <see cref="Free"/>.</summary>
    /// <exception cref="InsufficientMemoryException">The memory cannot be had.</exception>
    public static void* Allocate(long bytes)
    {
        void* p = null;
        NativeMethods.bn_weights_alloc(bytes, &p).ThrowIfFailed(nameof(NativeMethods.bn_weights_alloc));
        return p;
    }

    /// <summary>Frees memory from <see cref="Allocate"/> of the same size.</summary>
    public static void Free(void* p, long bytes) => NativeMethods.bn_weights_free(p, bytes);

    /// <summary>
    /// Drops the whole pages inside <paramref name="mapped"/> from the process's resident set. Only for spans of a
    /// read-only file mapping (<see cref="Formats.MemoryMappedFileView"/> is the one caller): the data stays in the file
    /// and comes back on the next read, where anonymous memory would lose it.
    /// </summary>
    public static void ReleaseMappedPages(ReadOnlySpan<byte> mapped)
    {
        fixed (byte* p = mapped)
        {
            NativeMethods.bn_release_pages(p, mapped.Length).ThrowIfFailed(nameof(NativeMethods.bn_release_pages));
        }
    }
}
