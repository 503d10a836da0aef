using System.Globalization;
using System.Net.Http.Headers;

namespace BitNative.LoadTest;

/// <summary>The server's resident memory and managed heap, read from its Prometheus /metrics.</summary>
internal sealed class ServerMemory(HttpClient http, string? apiKey)
{
    public async Task<(double Rss, double Heap, double Anonymous)> Read()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        using HttpResponseMessage response = await http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (Value(text, "process_resident_memory_bytes"), Value(text, "bitnative_managed_heap_bytes"),
            Value(text, "bitnative_resident_anonymous_bytes"));
    }

    private static double Value(string text, string name) =>
        text.Split('\n').Where(l => l.StartsWith(name + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(name.Length + 1)..], CultureInfo.InvariantCulture)).FirstOrDefault(double.NaN);
}
