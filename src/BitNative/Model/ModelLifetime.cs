namespace BitNative.Model;

/// <summary>
/// The gate between a <see cref="BitNetModel"/>'s weights and thread pool and the work that reads them. Every forward
/// pass (a session's, a batched generator's step) holds a <see cref="Lease"/>; <see cref="Close"/> refuses new leases
/// and waits until the last one is returned, so the weights are freed only when nothing reads them. A lease is one
/// interlocked increment and one decrement, taken once per forward pass (not per kernel), so decoding pays nothing
/// measurable for it.
/// </summary>
/// <remarks>
/// The state is one integer: the count of leases out, plus <see cref="ClosedBit"/> once the model is being disposed. A
/// reader-writer lock would do the same with thread affinity (a lease may end on another thread after an await) and a
/// heavier fast path. Dispose waits at most one forward pass per running session: leases never span an await, a yield
/// to user code, or a wait on anything but the kernels.
/// </remarks>
internal sealed class ModelLifetime
{
    private const int ClosedBit = 1 << 30;
    private readonly string _objectName; // named by ObjectDisposedException
    private readonly ManualResetEventSlim _drained = new(false);
    private int _state;

    public ModelLifetime(string objectName) => _objectName = objectName;

    /// <summary>True once <see cref="Close"/> has started: new leases are refused.</summary>
    public bool IsClosed => (Volatile.Read(ref _state) & ClosedBit) != 0;

    /// <summary>Takes a lease; the weights stay allocated until it is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The model is disposed or being disposed.</exception>
    public Lease Enter() => TryEnter(out Lease lease) ? lease : throw Disposed();

    /// <summary>Takes a lease, or returns false when the model is disposed or being disposed.</summary>
    public bool TryEnter(out Lease lease)
    {
        int state = Volatile.Read(ref _state);
        while ((state & ClosedBit) == 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, state + 1, state);
            if (seen == state)
            {
                lease = new Lease(this);
                return true;
            }

            state = seen;
        }

        lease = default;
        return false;
    }

    /// <summary>The exception a refused lease means.</summary>
    public ObjectDisposedException Disposed() =>
        new(_objectName, "The model was disposed; sessions and generators of it cannot run any more.");

    /// <exception cref="ObjectDisposedException">The model is disposed or being disposed.</exception>
    public void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw Disposed();
        }
    }

    /// <summary>
    /// Refuses new leases and blocks until every lease out has been returned. Returns false if another call closed the
    /// gate first (that call frees the resources).
    /// </summary>
    public bool Close()
    {
        int before = Interlocked.Or(ref _state, ClosedBit);
        if ((before & ClosedBit) != 0)
        {
            return false;
        }

        if (before != 0)
        {
            _drained.Wait();
        }

        _drained.Dispose();
        return true;
    }

    private void Exit()
    {
        // The last lease of a closing model wakes Close; a lease ending while the model is open costs only the decrement.
        if (Interlocked.Decrement(ref _state) == ClosedBit)
        {
            _drained.Set();
        }
    }

    /// <summary>One forward pass's hold on the weights; dispose it exactly once (a <c>using</c> statement).</summary>
    public readonly struct Lease(ModelLifetime lifetime) : IDisposable
    {
        public void Dispose() => lifetime.Exit();
    }
}
