using Microsoft.AspNetCore.Http;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BitNative.Cli.Serving;

/// <summary>
/// The OpenAI-compatible HTTP server on ASP.NET Core minimal APIs: the routes, the bearer-key check, error bodies and
/// request metrics. One model per process; scale out with replicas behind a load balancer (deploy/).
/// </summary>
internal static class ServerApp
{
    public static WebApplication Build(ServerSettings settings, ModelHost host, ServerMetrics metrics)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "bitnative" });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Parse(settings.Host), settings.Port);
            k.Limits.MaxRequestBodySize = 16 * 1024 * 1024; // a full context of text is well under this
        });

        WebApplication app = builder.Build();
        app.Use((http, next) => Guard(http, next, settings, metrics));
        app.MapPost("/v1/chat/completions", http => CompletionEndpoints.Chat(http, host, settings));
        app.MapPost("/v1/completions", http => CompletionEndpoints.Text(http, host, settings));
        app.MapGet("/v1/models", http => CompletionEndpoints.WriteJson(http,
            new ModelList("list", [new ModelCard(settings.ModelName, "model", StartedAt, "bitnative")])));
        app.MapGet("/health", http => host.IsReady
            ? CompletionEndpoints.WriteJson(http, new HealthResponse("ok"))
            : throw ApiError.Loading());
        app.MapGet("/metrics", async http =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await http.Response.WriteAsync(metrics.Render(host.IsReady ? host.Generator.Statistics : null, host.IsReady));
        });
        app.MapPost("/tokenize", Tokenize(host));
        app.MapPost("/detokenize", Detokenize(host));
        return app;
    }

    private static readonly long StartedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>Checks the bearer key, turns <see cref="ApiError"/> into its status and body, and counts the request.</summary>
    private static async Task Guard(HttpContext http, RequestDelegate next, ServerSettings settings, ServerMetrics metrics)
    {
        try
        {
            // Probes carry no key: /health stays open so liveness and readiness checks work with --api-key set.
            if (settings.ApiKey is { } key && http.Request.Path != "/health" && !HasKey(http, key))
            {
                throw new ApiError(StatusCodes.Status401Unauthorized, "Invalid or missing API key: send 'Authorization: Bearer <key>'.",
                    "invalid_request_error", code: "invalid_api_key");
            }

            await next(http);
            if (http.Response.StatusCode == StatusCodes.Status404NotFound && !http.Response.HasStarted)
            {
                throw new ApiError(StatusCodes.Status404NotFound, $"No route {http.Request.Method} {http.Request.Path}.", "invalid_request_error",
                    code: "not_found");
            }

            if (http.Response.StatusCode == StatusCodes.Status405MethodNotAllowed && !http.Response.HasStarted)
            {
                throw new ApiError(StatusCodes.Status405MethodNotAllowed, $"{http.Request.Path} does not take {http.Request.Method}.",
                    "invalid_request_error", code: "method_not_allowed");
            }
        }
        catch (ApiError e) when (!http.Response.HasStarted)
        {
            http.Response.Clear();
            if (e.RetryAfterSeconds is int seconds)
            {
                http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (e.Status == StatusCodes.Status401Unauthorized)
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
            }

            await CompletionEndpoints.WriteJson(http, e.ToBody(), e.Status);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client disconnected while its reply was generated: nothing left to answer.
        }
        catch (Exception e) when (!http.Response.HasStarted && e is not OperationCanceledException)
        {
            http.Response.Clear();
            ApiError error = ApiError.Unexpected(e);
            await CompletionEndpoints.WriteJson(http, error.ToBody(), error.Status);
        }
        finally
        {
            metrics.Count(http.Request.Path.Value ?? "", http.RequestAborted.IsCancellationRequested ? 499 : http.Response.StatusCode);
        }
    }

    private static bool HasKey(HttpContext http, string key)
    {
        string header = http.Request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Constant-time comparison: the time to reject a key says nothing about how much of it was right.
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[prefix.Length..].Trim()), Encoding.UTF8.GetBytes(key));
    }

    /// <summary>llama.cpp's <c>POST /tokenize</c>: <c>{"content": text, "add_special": bool}</c> to <c>{"tokens": [...]}</c>.</summary>
    private static RequestDelegate Tokenize(ModelHost host) => async http =>
    {
        BitNetModel model = host.Generator.Model;
        using JsonDocument body = await CompletionEndpoints.ReadJson(http);
        RequestFields f = Object(body);
        string content = f.String("content") ?? throw ApiError.InvalidField("content", "is required.");
        bool addSpecial = f.Bool("add_special") ?? false;
        await CompletionEndpoints.WriteJson(http, new TokenizeResponse(model.Tokenize(content, addSpecial && model.AddsBos)));
    };

    /// <summary>llama.cpp's <c>POST /detokenize</c>: <c>{"tokens": [...]}</c> to <c>{"content": text}</c>.</summary>
    private static RequestDelegate Detokenize(ModelHost host) => async http =>
    {
        BitNetModel model = host.Generator.Model;
        using JsonDocument body = await CompletionEndpoints.ReadJson(http);
        RequestFields f = Object(body);
        if (f.Get("tokens") is not { ValueKind: JsonValueKind.Array } tokens)
        {
            throw ApiError.InvalidField("tokens", "must be an array of token ids.");
        }

        var ids = new List<int>();
        foreach (JsonElement t in tokens.EnumerateArray())
        {
            ids.Add(t.ValueKind == JsonValueKind.Number && t.TryGetInt32(out int id) && id >= 0 && id < model.Config.VocabSize
                ? id
                : throw ApiError.InvalidField("tokens", $"must hold integers below the vocabulary size {model.Config.VocabSize}."));
        }

        await CompletionEndpoints.WriteJson(http, new DetokenizeResponse(model.Detokenize(ids)));
    };

    private static RequestFields Object(JsonDocument body) => body.RootElement.ValueKind == JsonValueKind.Object
        ? new RequestFields(body.RootElement)
        : throw new ApiError(StatusCodes.Status400BadRequest, "The request body must be a JSON object.", "invalid_request_error");
}
