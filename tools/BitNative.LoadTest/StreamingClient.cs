using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BitNative.LoadTest;

/// <summary>What one streamed chat completion measured.</summary>
internal sealed record StreamResult(bool Ok, string? Error, double TimeToFirstTokenMs, IReadOnlyList<double> InterTokenMs, int CompletionTokens);

/// <summary>Sends streaming chat completions and times their server-sent events.</summary>
internal sealed class StreamingClient(HttpClient http, LoadTestOptions options)
{
    private static readonly string[] Questions =
    [
        "Tell me about the sea.", "What is a harbour?", "Describe a storm at night.", "Who built the old bridge?",
        "Write a short story about a fisherman.", "Why do boats float?", "What did the market sell?", "Explain the tides.",
    ];

    public async Task<StreamResult> RunOne(int index, CancellationToken ct)
    {
        string body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = "any",
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = Questions[index % Questions.Length] } },
            ["max_tokens"] = options.MaxTokens,
            ["temperature"] = options.Temperature,
            ["seed"] = index,
            ["stream"] = true,
            ["stream_options"] = new Dictionary<string, bool> { ["include_usage"] = true },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (options.ApiKey is { } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        var clock = Stopwatch.StartNew();
        try
        {
            using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode)
            {
                return Failed($"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            double first = -1, last = 0;
            var gaps = new List<double>();
            int tokens = 0;
            bool done = false;
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }

                string data = line["data: ".Length..];
                if (data == "[DONE]")
                {
                    done = true;
                    break;
                }

                using JsonDocument chunk = JsonDocument.Parse(data);
                JsonElement root = chunk.RootElement;
                if (root.TryGetProperty("error", out JsonElement error))
                {
                    return Failed($"stream error: {error}");
                }

                if (root.TryGetProperty("usage", out JsonElement usage) && usage.ValueKind == JsonValueKind.Object)
                {
                    tokens = usage.GetProperty("completion_tokens").GetInt32();
                }

                JsonElement choices = root.GetProperty("choices");
                if (choices.GetArrayLength() > 0 && choices[0].GetProperty("delta").TryGetProperty("content", out JsonElement content) &&
                    content.GetString() is { Length: > 0 })
                {
                    double now = clock.Elapsed.TotalMilliseconds;
                    if (first < 0)
                    {
                        first = now;
                    }
                    else
                    {
                        gaps.Add(now - last);
                    }

                    last = now;
                }
            }

            return done ? new StreamResult(true, null, first < 0 ? clock.Elapsed.TotalMilliseconds : first, gaps, tokens) : Failed("no [DONE]");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return Failed(e.Message);
        }

        static StreamResult Failed(string error) => new(false, error, 0, [], 0);
    }
}
