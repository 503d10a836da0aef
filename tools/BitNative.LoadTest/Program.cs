// Bounded load test of an OpenAI-compatible server: N concurrent streaming chat completions, each worker starting a
// new one as soon as its last ends, for S seconds; then the in-flight ones finish. Reports time to first token and
// inter-token latency (p50 / p99), aggregate generated tokens/s, errors, and the server's memory (/metrics) before and
// after. Usage: BitNative.LoadTest --url http://127.0.0.1:8080 --streams 32 --seconds 60 [--max-tokens 64] [--api-key K]
using System.Diagnostics;
using System.Globalization;
using BitNative.LoadTest;

LoadTestOptions options = LoadTestOptions.Parse(args);
using var http = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromMinutes(10) };
var client = new StreamingClient(http, options);
var metrics = new ServerMemory(http, options.ApiKey);

// Warm-up: the same load for a sixth of the run (at most 10 s), so the server's JIT, thread pool, buffers and heap reach
// their steady state before the "before" memory reading.
await RunFor(TimeSpan.FromSeconds(Math.Min(10, options.Seconds / 6.0)), null);
var before = await metrics.Read();

// The measured run, with the server's memory read every 10 s: a leak shows as a rising series, not one difference.
var results = new System.Collections.Concurrent.ConcurrentBag<StreamResult>();
var samples = new List<(double Rss, double Heap, double Anonymous)>();
var clock = Stopwatch.StartNew();
using var sampling = new CancellationTokenSource();
Task sampler = Task.Run(async () =>
{
    while (!sampling.IsCancellationRequested)
    {
        await Task.Delay(TimeSpan.FromSeconds(10), sampling.Token).ContinueWith(_ => { });
        samples.Add(await metrics.Read());
    }
});
await RunFor(TimeSpan.FromSeconds(options.Seconds), results);
sampling.Cancel();
await sampler;
double seconds = clock.Elapsed.TotalSeconds;
var after = await metrics.Read();

var ok = results.Where(r => r.Ok).ToList();
double[] ttft = ok.Select(r => r.TimeToFirstTokenMs).Order().ToArray();
double[] itl = ok.SelectMany(r => r.InterTokenMs).Order().ToArray();
long tokens = ok.Sum(r => (long)r.CompletionTokens);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
    {options.Streams} concurrent streams for {seconds:F1} s against {options.Url} (max_tokens {options.MaxTokens})
    requests:            {results.Count} ({ok.Count} ok, {results.Count - ok.Count} errors)
    time to first token: p50 {Percentile(ttft, 0.50):F0} ms, p99 {Percentile(ttft, 0.99):F0} ms
    inter-token latency: p50 {Percentile(itl, 0.50):F1} ms, p99 {Percentile(itl, 0.99):F1} ms
    generated tokens:    {tokens} ({tokens / seconds:F1} tok/s aggregate)
    server memory:       RSS {Mib(before.Rss)} before, {Mib(after.Rss)} after ({Mib(after.Rss - before.Rss)} change); managed heap {Mib(before.Heap)} -> {Mib(after.Heap)}
    anonymous RSS:       {Mib(before.Anonymous)} before, {Mib(after.Anonymous)} after ({Mib(after.Anonymous - before.Anonymous)} change; heaps and KV caches, where a leak would show)
    every 10 s, RSS:     {string.Join(", ", samples.Select(x => Mib(x.Rss)))}
    every 10 s, anon:    {string.Join(", ", samples.Select(x => Mib(x.Anonymous)))}
    """));
foreach (string error in results.Where(r => !r.Ok).Select(r => r.Error!).Distinct().Take(5))
{
    Console.WriteLine($"error: {error}");
}

return results.Count > ok.Count ? 1 : 0;

// N workers, each starting a new request as soon as its last one ends, until the time is up.
async Task RunFor(TimeSpan duration, System.Collections.Concurrent.ConcurrentBag<StreamResult>? into)
{
    var until = Stopwatch.StartNew();
    int started = 0;
    await Task.WhenAll(Enumerable.Range(0, options.Streams).Select(async _ =>
    {
        while (until.Elapsed < duration)
        {
            StreamResult r = await client.RunOne(Interlocked.Increment(ref started), CancellationToken.None);
            into?.Add(r);
        }
    }));
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

static string Mib(double bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024 * 1024):F1} MiB");
