using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace BitNative.Tests.Serving;

/// <summary>The routes the SDKs do not cover, and the error contract, over plain HTTP against <c>bitnative serve</c>.</summary>
public sealed class HttpApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(string path, string json, HttpClient? http = null)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await (http ?? server.Http).PostAsync(path, content, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":0}""", "max_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":"ten"}""", "max_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"temperature":-1}""", "temperature")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"top_p":1.5}""", "top_p")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"stop":[1]}""", "stop")]
    [InlineData("""{"messages":"Hi"}""", "messages")]
    [InlineData("""{"messages":[]}""", "messages")]
    [InlineData("""{"messages":[{"content":"Hi"}]}""", "messages[0].role")]
    [InlineData("""{"messages":[{"role":"robot","content":"Hi"}]}""", "messages[0].role")]
    [InlineData("""{"messages":[{"role":"user","content":5}]}""", "messages[0].content")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_object"}}""", "response_format")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"n":2}""", "n")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"stream_options":{"include_usage":true}}""", "stream_options")]
    public async Task EveryBadFieldIsA400NamingIt(string body, string field)
    {
        var (status, json) = await Post("/v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        JsonElement error = json.GetProperty("error");
        Assert.Equal(field, error.GetProperty("param").GetString());
        Assert.Contains(field, error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    /// <summary>
    /// JSON whose strings are not Unicode text parses, and only reading them failed: a 500 "Cannot transcode invalid
    /// UTF-8" before (found by fuzzing, fuzz/regressions/http). Now a 400 naming where the string is.
    /// </summary>
    [Theory]
    [InlineData("/v1/completions", new byte[] { 0x7B, 0x22, 0x70, 0x72, 0x6F, 0x6D, 0x70, 0x74, 0x22, 0x3A, 0x5B, 0x22, 0x6F, 0x97, 0x22, 0x5D, 0x7D }, "prompt[0]")]
    [InlineData("/v1/chat/completions", null, "messages[0].content")]
    public async Task StringsThatAreNotUnicodeAreA400(string path, byte[]? body, string field)
    {
        body ??= """{"messages":[{"role":"user","content":"\ud800 alone"}]}"""u8.ToArray(); // an escaped unpaired surrogate
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using HttpResponseMessage response = await server.Http.PostAsync(path, content, Ct);
        JsonElement error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, error.GetProperty("param").GetString());
        Assert.Contains("not valid Unicode", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task MalformedJsonAndUnknownRoutesGetErrorBodies()
    {
        var (status, json) = await Post("/v1/chat/completions", "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_json", json.GetProperty("error").GetProperty("code").GetString());
        using HttpResponseMessage missing = await server.Http.GetAsync("/v1/nothing", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using HttpResponseMessage noKey = await server.NewHttp(null).GetAsync("/v1/models", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        using HttpResponseMessage health = await server.NewHttp(null).GetAsync("/health", Ct); // probes need no key
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task TextCompletionsStreamAndEndWithDone()
    {
        var (status, whole) = await Post("/v1/completions", """{"prompt":"The boat","max_tokens":6,"temperature":0}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text_completion", whole.GetProperty("object").GetString());
        Assert.Equal(6, whole.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        string text = whole.GetProperty("choices")[0].GetProperty("text").GetString()!;

        using var content = new StringContent("""{"prompt":"The boat","max_tokens":6,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}""",
            System.Text.Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await server.Http.PostAsync("/v1/completions", content, Ct);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string[] events = (await response.Content.ReadAsStringAsync(Ct)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        JsonElement[] chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.Clone()).ToArray();
        Assert.Equal(text, string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.Equal("length", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(6, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task TokenizeDetokenizeModelsAndMetrics()
    {
        var (_, tokens) = await Post("/tokenize", """{"content":"The boat sailed"}""");
        int[] ids = tokens.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        Assert.Equal(server.Model.Tokenize("The boat sailed", addBos: false), ids);
        var (_, text) = await Post("/detokenize", JsonSerializer.Serialize(new { tokens = ids }));
        Assert.Equal("The boat sailed", text.GetProperty("content").GetString());
        var (status, _) = await Post("/detokenize", """{"tokens":[99999999]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);

        JsonElement models = await server.Http.GetFromJsonAsync<JsonElement>("/v1/models", Ct);
        Assert.Equal("tiny-test", models.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.Equal(ServerFixture.Slots, server.Metric("bitnative_slots_total"));
        string metrics = await server.Http.GetStringAsync("/metrics", Ct);
        Assert.Contains("bitnative_requests_total{endpoint=\"/tokenize\",status=\"200\"}", metrics);
        Assert.Contains("# TYPE bitnative_queue_depth gauge", metrics);
    }

    [Fact]
    public async Task AFullQueueAnswers503WithRetryAfter()
    {
        // Every slot and queue place taken by endless streams: the next request finds no place.
        const string endless = """{"prompt":"The boat","max_tokens":100000,"temperature":0,"stream":true}""";
        var running = new List<HttpResponseMessage>();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            running.AddRange(await Task.WhenAll(Enumerable.Range(0, ServerFixture.Slots + ServerFixture.QueueLimit).Select(_ =>
                server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(endless) },
                    HttpCompletionOption.ResponseHeadersRead, Ct))));
            Assert.All(running, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"headers took {clock.Elapsed}");

            using var content = new StringContent(endless);
            using HttpResponseMessage refused = await server.Http.PostAsync("/v1/completions", content, Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Equal("server_busy", JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct)).RootElement
                .GetProperty("error").GetProperty("code").GetString());
        }
        finally
        {
            running.ForEach(r => r.Dispose()); // closing the connections frees the slots and the queue
            var wait = System.Diagnostics.Stopwatch.StartNew();
            while ((server.Metric("bitnative_slots_busy") > 0 || server.Metric("bitnative_queue_depth") > 0) && wait.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(20, Ct);
            }
        }
    }
}
