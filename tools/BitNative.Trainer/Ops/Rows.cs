namespace BitNative.Trainer.Ops;

/// <summary>
/// Splits [0, count) into <see cref="Gemm.Threads"/> contiguous ranges, one per thread. Each item is written by exactly
/// one thread, so the element-wise ops stay deterministic.
/// </summary>
internal static class Rows
{
    public static void For(int count, Action<int, int> range)
    {
        int threads = Math.Clamp(Math.Min(Gemm.Threads, count), 1, 64);
        if (threads == 1)
        {
            range(0, count);
            return;
        }

        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
            t => range((int)((long)count * t / threads), (int)((long)count * (t + 1) / threads)));
    }
}
