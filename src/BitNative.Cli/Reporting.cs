using BitNative.Generation;
using System.Diagnostics;

namespace BitNative.Cli;

/// <summary>Speed, memory and progress lines on stderr (stdout carries only the command's output).</summary>
internal static class Reporting
{
    /// <summary>Peak resident memory of this process in bytes (VmHWM on Linux).</summary>
    public static long PeakResidentBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
                }
            }
        }

        return Process.GetCurrentProcess().PeakWorkingSet64;
    }

    public static string Mib(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MiB";

    public static void Statistics(GenerationStatistics? stats, TimeSpan loadTime)
    {
        if (stats is null)
        {
            return;
        }

        Console.Error.WriteLine();
        Console.Error.WriteLine(
            $"load {loadTime.TotalMilliseconds:F0} ms | prompt {stats.PromptTokens} tokens, {stats.PromptTokensPerSecond:F1} tok/s | " +
            $"generation {stats.GeneratedTokens} tokens, {stats.GenerationTokensPerSecond:F1} tok/s " +
            $"({1000.0 / Math.Max(stats.GenerationTokensPerSecond, 1e-9):F1} ms/token) | stop: {stats.FinishReason} | " +
            $"peak RSS {Mib(PeakResidentBytes())}");
    }

    /// <summary>A progress line redrawn in place on a terminal; silent when stderr is redirected.</summary>
    public sealed class Progress(string label, long total)
    {
        private readonly bool _interactive = !Console.IsErrorRedirected;
        private int _lastPercent = -1;

        public void Report(long done)
        {
            int percent = total > 0 ? (int)(100 * done / total) : 100;
            if (!_interactive || percent == _lastPercent)
            {
                return;
            }

            _lastPercent = percent;
            int filled = percent / 4;
            Console.Error.Write($"\r{label} [{new string('#', filled)}{new string('.', 25 - filled)}] {percent,3}%");
            if (done >= total)
            {
                Console.Error.WriteLine();
            }
        }
    }
}
