using System.Runtime.InteropServices;
using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>
/// Native worker threads that split one kernel call over output rows, so a matrix multiplication is
/// one P/Invoke whatever the thread count.
/// </summary>
/// <remarks>Thread-safe: concurrent calls on one pool are serialized by the native side.</remarks>
public sealed unsafe class KernelThreadPool : IDisposable
{
    private readonly PoolHandle _handle;

    private KernelThreadPool(PoolHandle handle, int threads)
    {
        _handle = handle;
        Threads = threads;
    }

    /// <summary>Threads an operation uses, the calling thread included.</summary>
    public int Threads { get; }

    /// <summary>Creates a pool of <paramref name="threads"/> threads (the caller plus threads - 1 workers).</summary>
    /// <exception cref="ArgumentOutOfRangeException">threads is outside 1..256.</exception>
    public static KernelThreadPool Create(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, 256);
        bn_threadpool* pool;
        NativeMethods.bn_threadpool_create(threads, &pool).ThrowIfFailed(nameof(NativeMethods.bn_threadpool_create));
        var handle = new PoolHandle();
        Marshal.InitHandle(handle, (nint)pool);
        return new KernelThreadPool(handle, threads);
    }

    /// <summary>Stops the workers.</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>Acquires the native pointer for the duration of a call; dispose the lease after it.</summary>
    internal static Lease Acquire(KernelThreadPool? pool) => new(pool?._handle);

    internal readonly ref struct Lease
    {
        private readonly PoolHandle? _handle;
        private readonly bool _added;

        public Lease(PoolHandle? handle)
        {
            _handle = handle;
            if (handle is not null)
            {
                handle.DangerousAddRef(ref _added);
                Pointer = (bn_threadpool*)handle.DangerousGetHandle();
            }
        }

        public bn_threadpool* Pointer { get; }

        public void Dispose()
        {
            if (_added)
            {
                _handle!.DangerousRelease();
            }
        }
    }

    internal sealed class PoolHandle : SafeHandle
    {
        public PoolHandle()
            : base(0, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle()
        {
            NativeMethods.bn_threadpool_free((bn_threadpool*)handle);
            return true;
        }
    }
}
