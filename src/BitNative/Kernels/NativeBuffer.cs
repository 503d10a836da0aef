using System.Buffers;

namespace BitNative.Kernels;

/// <summary>
/// A 64-byte-aligned block of native memory exposed as <see cref="Memory{T}"/>, for repacked weights and
/// other large buffers the kernels read: the GC never moves or scans it, and `fixed` over it pins nothing. It comes from
/// <see cref="WeightMemory"/>, so large buffers sit in huge pages where the OS has them.
/// </summary>
internal sealed unsafe class NativeBuffer<T> : MemoryManager<T>
    where T : unmanaged
{
    private void* _pointer;
    private readonly int _length;

    /// <summary>Allocates <paramref name="length"/> zeroed elements.</summary>
    public NativeBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _length = length;
        long bytes = Math.Max(1, (long)length * sizeof(T));
        _pointer = WeightMemory.Allocate(bytes);
        GC.AddMemoryPressure(bytes);
    }

    public int Length => _length;

    /// <summary>
    /// Frees the buffer behind <paramref name="memory"/> now when it starts at the first element of a
    /// <see cref="NativeBuffer{T}"/> (a tensor's data, perhaps without its trailer): nothing may read any part of that
    /// buffer again, and its owner's later dispose is a no-op. Returns false, doing nothing, for any other memory.
    /// </summary>
    public static bool TryFree(ReadOnlyMemory<T> memory)
    {
        if (System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager(memory, out NativeBuffer<T>? buffer, out int start, out _)
            && start == 0)
        {
            ((IDisposable)buffer).Dispose();
            return true;
        }

        return false;
    }

    public override Span<T> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_pointer == null, this);
        return new Span<T>(_pointer, _length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_pointer == null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length);
        return new MemoryHandle((T*)_pointer + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_pointer != null)
        {
            long bytes = Math.Max(1, (long)_length * sizeof(T));
            WeightMemory.Free(_pointer, bytes);
            _pointer = null;
            GC.RemoveMemoryPressure(bytes);
        }
    }
}
