using System.Buffers;
using System.Runtime.InteropServices;

namespace BitNative.Kernels;

/// <summary>
/// A 64-byte-aligned block of native memory exposed as <see cref="Memory{T}"/>, for repacked weights and
/// other large buffers the kernels read: the GC never moves or scans it, and `fixed` over it pins nothing.
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
        nuint bytes = (nuint)length * (nuint)sizeof(T);
        _pointer = NativeMemory.AlignedAlloc(bytes == 0 ? 1 : bytes, 64);
        NativeMemory.Clear(_pointer, bytes);
        GC.AddMemoryPressure((long)bytes);
    }

    public int Length => _length;

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
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
            GC.RemoveMemoryPressure((long)_length * sizeof(T));
        }
    }
}
