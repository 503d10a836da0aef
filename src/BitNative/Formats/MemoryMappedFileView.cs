using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace BitNative.Formats;

/// <summary>
/// A read-only memory map of a whole file handing out bounds-checked spans. This is the only class in
/// <c>BitNative.Formats</c> that touches a pointer: the pointer is acquired once when the file is mapped,
/// every span is checked against the file length before it is made, and the pointer is released exactly
/// once (on <see cref="Dispose"/> or, if the owner forgot, by the finalizer).
/// </summary>
/// <remarks>
/// Spans returned by <see cref="GetSpan"/> point into the mapping: they must not be used after
/// <see cref="Dispose"/>. Pages are only read from disk when a span is touched, which is why opening a
/// multi-GB model costs almost no resident memory. If another process truncates the file while it is
/// mapped, touching the lost pages faults (SIGBUS) — the OS gives no way to check for that in advance.
/// </remarks>
internal sealed unsafe class MemoryMappedFileView : IByteSource
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _accessor;
    private byte* _pointer;
    private int _disposed;

    private MemoryMappedFileView(MemoryMappedFile file, MemoryMappedViewAccessor accessor, long length)
    {
        _file = file;
        _accessor = accessor;
        Length = length;
        byte* pointer = null;
        accessor.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        // The view starts at the page boundary below offset 0 of the request; PointerOffset skips it.
        _pointer = pointer + accessor.PointerOffset;
    }

    ~MemoryMappedFileView()
    {
        // Runs before the view's SafeHandle critical finalizer, so the handle can actually be released.
        ReleasePointer();
    }

    public long Length { get; }

    /// <summary>Maps the whole of <paramref name="stream"/> (length &gt; 0) read-only; takes ownership of the stream.</summary>
    public static MemoryMappedFileView Map(FileStream stream)
    {
        long length = stream.Length;
        MemoryMappedFile file = MemoryMappedFile.CreateFromFile(
            stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        try
        {
            MemoryMappedViewAccessor accessor = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            try
            {
                return new MemoryMappedFileView(file, accessor, length);
            }
            catch
            {
                accessor.Dispose();
                throw;
            }
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public ReadOnlySpan<byte> GetSpan(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // Unsigned compares reject negative values too; the subtraction cannot underflow once
        // offset <= Length holds.
        if (length < 0 || (ulong)offset > (ulong)Length || length > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"Range [{offset}, {offset}+{length}) is outside the {Length}-byte mapping.");
        }

        return new ReadOnlySpan<byte>(_pointer + offset, length);
    }

    public void ReleasePages(long offset, long length)
    {
        for (long done = 0; done < length;) // GetSpan's int lengths, in chunks
        {
            int chunk = (int)Math.Min(length - done, 1 << 30);
            Kernels.WeightMemory.ReleaseMappedPages(GetSpan(offset + done, chunk));
            done += chunk;
        }
    }

    /// <summary>
    /// Releases the pages of <paramref name="memory"/> when it is a range of a mapped file (see <see cref="ReleasePages"/>);
    /// returns false, doing nothing, for any other memory.
    /// </summary>
    public static bool TryReleasePages(ReadOnlyMemory<byte> memory)
    {
        if (!System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager(memory, out MappedRange? range, out int start, out int length))
        {
            return false;
        }

        range.View.ReleasePages(range.Offset + start, length);
        return true;
    }

    /// <summary>
    /// After a read of <paramref name="memory"/> (a slice of a range from <see cref="GetMemory"/>), releases the
    /// 64 KiB-aligned window of pages around it, clipped to that range: the window a page fault maps at once ("fault
    /// around"), so sparse lookups (token embeddings) leave nothing resident. Returns false, doing nothing, for other
    /// memory.
    /// </summary>
    public static bool TryReleaseFaultAround(ReadOnlyMemory<byte> memory)
    {
        const long Window = 64 << 10;
        if (!System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager(memory, out MappedRange? range, out int start, out int length))
        {
            return false;
        }

        long begin = range.Offset + start, end = begin + length;
        long windowBegin = Math.Max(range.Offset, begin & ~(Window - 1));
        long windowEnd = Math.Min(range.Offset + range.Length, (end + Window - 1) & ~(Window - 1));
        range.View.ReleasePages(windowBegin, windowEnd - windowBegin);
        return true;
    }

    public ReadOnlyMemory<byte> GetMemory(long offset, int length)
    {
        _ = GetSpan(offset, length); // the same checks
        return new MappedRange(this, offset, length).Memory;
    }

    /// <summary>A range of the mapping as <see cref="Memory{T}"/>; pins nothing (the mapping never moves).</summary>
    private sealed class MappedRange(MemoryMappedFileView view, long offset, int length) : MemoryManager<byte>
    {
        public MemoryMappedFileView View => view;

        public long Offset => offset;

        public int Length => length;

        public override Span<byte> GetSpan()
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref view._disposed) != 0, view);
            return new Span<byte>(view._pointer + offset, length);
        }

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref view._disposed) != 0, view);
            ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)length);
            return new MemoryHandle(view._pointer + offset + elementIndex);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        ReleasePointer();
        _accessor.Dispose();
        _file.Dispose();
        GC.SuppressFinalize(this);
    }

    private void ReleasePointer()
    {
        if (_pointer != null)
        {
            _pointer = null;
            _accessor.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }
}
