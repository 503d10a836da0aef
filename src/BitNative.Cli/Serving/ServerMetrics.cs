using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace BitNative.Cli.Serving;

/// <summary>
/// Request counters and the generator's gauges in the Prometheus text format (<c>GET /metrics</c>): requests by endpoint
/// and status, prompt and generated tokens, generated tokens per second, queue depth, slot use, resident memory.
/// </summary>
internal sealed class ServerMetrics
{
    private readonly ConcurrentDictionary<(string Endpoint, int Status), long> _requests = new();

    /// <summary>Counts a finished request; endpoints outside the API are counted as "other" (no label per random path).</summary>
    public void Count(string path, int status)
    {
        string endpoint = path switch
        {
            "/v1/chat/completions" or "/v1/completions" or "/v1/models" or "/health" or "/metrics" or "/tokenize" or "/detokenize" => path,
            _ => "other",
        };
        _requests.AddOrUpdate((endpoint, status), 1, (_, n) => n + 1);
    }

    public string Render(BatchedGeneratorStatistics? generator, bool ready)
    {
        var text = new StringBuilder();
        Header(text, "bitnative_requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
        foreach (var ((endpoint, status), count) in _requests.OrderBy(e => e.Key.Endpoint).ThenBy(e => e.Key.Status))
        {
            text.Append(CultureInfo.InvariantCulture, $"bitnative_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {count}\n");
        }

        Metric(text, "bitnative_model_ready", "gauge", "1 once the model is loaded and requests are served.", ready ? 1 : 0);
        if (generator is { } g)
        {
            Metric(text, "bitnative_prompt_tokens_total", "counter", "Prompt tokens evaluated.", g.PromptTokens);
            Metric(text, "bitnative_generated_tokens_total", "counter", "Tokens generated.", g.GeneratedTokens);
            Metric(text, "bitnative_generation_tokens_per_second", "gauge", "Generated tokens per second of busy time over the last decode steps.",
                g.TokensPerSecond);
            Metric(text, "bitnative_decode_steps_total", "counter", "Batched forward passes run.", g.Steps);
            Metric(text, "bitnative_generations_completed_total", "counter", "Generations finished (any reason, cancellation included).",
                g.CompletedRequests);
            Metric(text, "bitnative_queue_depth", "gauge", "Requests waiting for a free slot.", g.QueueDepth);
            Metric(text, "bitnative_slots_busy", "gauge", "Slots serving a request.", g.BusySlots);
            Metric(text, "bitnative_slots_total", "gauge", "Slots (sequences decoded together).", g.Slots);
        }

        Metric(text, "process_resident_memory_bytes", "gauge", "Resident memory of the server process.", Environment.WorkingSet);
        // Linux splits RSS into anonymous memory (heaps, KV caches: where a leak would show) and file-backed pages (the
        // model file's mapped pages, e.g. embedding rows as tokens are looked up: page cache the kernel can reclaim).
        if (ResidentSplit() is var (anonymous, file))
        {
            Metric(text, "bitnative_resident_anonymous_bytes", "gauge", "Resident anonymous memory (RssAnon): heaps, KV caches, weights copied at load.",
                anonymous);
            Metric(text, "bitnative_resident_file_bytes", "gauge", "Resident file-backed memory (RssFile): mapped model pages.", file);
        }
        Metric(text, "bitnative_managed_heap_bytes", "gauge", "Bytes on the .NET heap after the last collection.", GC.GetTotalMemory(false));
        return text.ToString();
    }

    private static (double Anonymous, double File)? ResidentSplit()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        double anonymous = -1, file = -1;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anonymous = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
            {
                file = Kilobytes(line) * 1024;
            }
        }

        return anonymous >= 0 && file >= 0 ? (anonymous, file) : null;

        static double Kilobytes(string line) =>
            double.Parse(line.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static void Metric(StringBuilder text, string name, string type, string help, double value)
    {
        Header(text, name, type, help);
        text.Append(CultureInfo.InvariantCulture, $"{name} {value}\n");
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");
}
