using BitNative.Generation;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BitNative.Cli.Serving;

// The response shapes of OpenAI's API that the server returns (chat.completion, chat.completion.chunk, text_completion,
// model list), plus llama.cpp's /tokenize and /detokenize. Property names are snake_case on the wire.

internal sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens);

internal sealed record ChatMessageBody(string Role, string Content);

internal sealed record ChatChoice(int Index, ChatMessageBody Message, string FinishReason);

internal sealed record ChatCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices, Usage Usage);

internal sealed record ChatDelta(string? Role, string? Content);

internal sealed record ChatChunkChoice(int Index, ChatDelta Delta, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason);

internal sealed record ChatCompletionChunk(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices, Usage? Usage);

internal sealed record TextChoice(int Index, string Text, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] object? Logprobs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason);

internal sealed record TextCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<TextChoice> Choices, Usage? Usage);

internal sealed record ModelCard(string Id, string Object, long Created, string OwnedBy);

internal sealed record ModelList(string Object, IReadOnlyList<ModelCard> Data);

internal sealed record TokenizeResponse(IReadOnlyList<int> Tokens);

internal sealed record DetokenizeResponse(string Content);

internal sealed record HealthResponse(string Status);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(TextCompletion))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(TokenizeResponse))]
[JsonSerializable(typeof(DetokenizeResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ErrorBody))]
internal sealed partial class OpenAiJsonContext : JsonSerializerContext
{
    // Relaxed escaping: these bodies are JSON for API clients, never embedded in HTML, so quotes in messages stay readable.
    private static readonly OpenAiJsonContext Wire = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Serializes one of the response records with the wire naming.</summary>
    public static byte[] Utf8(object value) => JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), Wire);
}
