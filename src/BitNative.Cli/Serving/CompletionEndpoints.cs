using BitNative.Generation;
using Microsoft.AspNetCore.Http;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace BitNative.Cli.Serving;

/// <summary>
/// <c>POST /v1/chat/completions</c> and <c>POST /v1/completions</c>: validate, start the generation in a slot of the
/// batched generator, then answer in one JSON body or as server-sent events (one chunk per piece of text, the finish
/// reason on the last, an optional usage chunk, then <c>data: [DONE]</c>). A client that disconnects cancels its
/// generation, which frees the slot before the next decode step.
/// </summary>
internal static class CompletionEndpoints
{
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    public static Task Chat(HttpContext http, ModelHost host, ServerSettings settings) => Handle(http, host, settings, chat: true);

    public static Task Text(HttpContext http, ModelHost host, ServerSettings settings) => Handle(http, host, settings, chat: false);

    private static async Task Handle(HttpContext http, ModelHost host, ServerSettings settings, bool chat)
    {
        BatchedGenerator generator = host.Generator;
        using JsonDocument body = await ReadJson(http);
        int vocab = generator.Model.Config.VocabSize;
        CompletionRequest request = chat
            ? CompletionRequest.ParseChat(body.RootElement, generator.ContextLength, vocab)
            : CompletionRequest.ParseText(body.RootElement, generator.ContextLength, vocab);

        using GenerationStream stream = Start(generator, request, http.RequestAborted);
        var reply = new Reply(chat, (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            settings.ModelName);
        if (request.Stream)
        {
            await StreamEvents(http, stream, reply, request.IncludeUsage);
            return;
        }

        var (text, finish, generated) = await stream.ReadToEndAsync(http.RequestAborted);
        await WriteJson(http, reply.Whole(text, FinishName(finish), new Usage(stream.PromptTokens, generated, stream.PromptTokens + generated)));
    }

    /// <summary>Reads the body as JSON; malformed JSON is a 400.</summary>
    public static async Task<JsonDocument> ReadJson(HttpContext http)
    {
        try
        {
            return await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
        }
        catch (JsonException e)
        {
            throw new ApiError(StatusCodes.Status400BadRequest, $"The request body is not valid JSON: {e.Message}", "invalid_request_error",
                code: "invalid_json");
        }
    }

    private static GenerationStream Start(BatchedGenerator generator, CompletionRequest request, CancellationToken aborted)
    {
        try
        {
            return request.Messages is { } messages ? generator.Start(messages, request.Settings, aborted)
                : request.Tokens is { } tokens ? generator.Start(tokens, request.Settings, aborted)
                : generator.Start(request.Text!, request.Settings, aborted);
        }
        catch (ContextLengthExceededException e)
        {
            throw new ApiError(StatusCodes.Status400BadRequest, e.Message, "invalid_request_error", request.Messages is null ? "prompt" : "messages",
                "context_length_exceeded");
        }
        catch (ObjectDisposedException)
        {
            throw ApiError.ShuttingDown();
        }
        catch (GeneratorBusyException e)
        {
            throw new ApiError(StatusCodes.Status503ServiceUnavailable, e.Message, "server_error", code: "server_busy") { RetryAfterSeconds = 1 };
        }
        catch (ArgumentException e)
        {
            throw new ApiError(StatusCodes.Status400BadRequest, e.Message, "invalid_request_error", request.Messages is null ? "prompt" : "messages");
        }
    }

    private static async Task StreamEvents(HttpContext http, GenerationStream stream, Reply reply, bool includeUsage)
    {
        HttpResponse response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            // Headers now, even while the request waits for a slot (StartAsync alone leaves them in Kestrel's buffer).
            await response.StartAsync(http.RequestAborted);
            await response.Body.FlushAsync(http.RequestAborted);
            if (reply.IsChat)
            {
                await Event(response, reply.Piece("", role: "assistant", finish: null));
            }

            await foreach (GenerationChunk chunk in stream.WithCancellation(http.RequestAborted))
            {
                if (chunk.Text.Length > 0)
                {
                    await Event(response, reply.Piece(chunk.Text, role: null, finish: null));
                }

                if (chunk.FinishReason is { } finish)
                {
                    await Event(response, reply.Piece("", role: null, finish: FinishName(finish)));
                    if (includeUsage)
                    {
                        await Event(response, reply.UsageOnly(new Usage(stream.PromptTokens, chunk.GeneratedTokens, stream.PromptTokens + chunk.GeneratedTokens)));
                    }
                }
            }

            await response.Body.WriteAsync(Done, http.RequestAborted);
            await response.Body.FlushAsync(http.RequestAborted);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; disposing the stream (the caller's using) has cancelled the generation.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Headers are out: report the failure as a last event, as OpenAI's streaming API does.
            ApiError error = ApiError.Unexpected(e);
            await Event(response, error.ToBody());
        }
    }

    private static async Task Event(HttpResponse response, object value)
    {
        await response.Body.WriteAsync(DataPrefix);
        await response.Body.WriteAsync(OpenAiJsonContext.Utf8(value));
        await response.Body.WriteAsync(EventEnd);
        await response.Body.FlushAsync();
    }

    public static async Task WriteJson(HttpContext http, object value, int status = StatusCodes.Status200OK)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(OpenAiJsonContext.Utf8(value));
    }

    /// <summary>OpenAI's finish reasons: "stop" for a natural end or a stop string, "length" for the token or context limit.</summary>
    private static string FinishName(FinishReason reason) => reason switch
    {
        FinishReason.EndOfGeneration or FinishReason.StopString => "stop",
        FinishReason.MaxTokens or FinishReason.ContextFull => "length",
        _ => "stop",
    };

    /// <summary>The response shapes of one request (chat or text completion), with its id, time and model name.</summary>
    private sealed record Reply(bool IsChat, string Id, long Created, string Model)
    {
        public object Whole(string text, string finish, Usage usage) => IsChat
            ? new ChatCompletion(Id, "chat.completion", Created, Model, [new ChatChoice(0, new ChatMessageBody("assistant", text), finish)], usage)
            : new TextCompletion(Id, "text_completion", Created, Model, [new TextChoice(0, text, null, finish)], usage);

        public object Piece(string text, string? role, string? finish) => IsChat
            ? new ChatCompletionChunk(Id, "chat.completion.chunk", Created, Model,
                [new ChatChunkChoice(0, new ChatDelta(role, finish is null ? text : null), finish)], null)
            : new TextCompletion(Id, "text_completion", Created, Model, [new TextChoice(0, text, null, finish)], null);

        public object UsageOnly(Usage usage) => IsChat
            ? new ChatCompletionChunk(Id, "chat.completion.chunk", Created, Model, [], usage)
            : new TextCompletion(Id, "text_completion", Created, Model, [], usage);
    }
}
