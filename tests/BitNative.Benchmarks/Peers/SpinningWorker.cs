namespace BitNative.Benchmarks.Peers;

/// <summary>
/// One extra thread that spins for work, so a peer's row loop can be split over two threads with a hand-off as cheap
/// as BitNative's own native pool (a .NET thread-pool hop would cost the peer tens of microseconds per call).
/// </summary>
internal sealed class SpinningWorker : IDisposable
{
    private readonly Thread _thread;
    private volatile Action? _work;
    private volatile bool _stop;

    public SpinningWorker()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "peer-worker" };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="mine"/> here and <paramref name="theirs"/> on the worker; returns when both are done.</summary>
    public void Run(Action mine, Action theirs)
    {
        _work = theirs;
        mine();
        var spin = new SpinWait();
        while (_work is not null)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private void Loop()
    {
        var spin = new SpinWait();
        while (!_stop)
        {
            Action? work = _work;
            if (work is null)
            {
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            work();
            _work = null;
            spin.Reset();
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
