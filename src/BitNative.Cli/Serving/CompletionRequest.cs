using Microsoft.AspNetCore.Http;
using System.Globalization;
using System.Text.Json;
using BitNative.Formats;
using BitNative.Generation;

namespace BitNative.Cli.Serving;

/// <summary>
/// A validated <c>/v1/chat/completions</c> or <c>/v1/completions</c> request: the prompt (chat messages, text or token
/// ids), the generation settings mapped from OpenAI's fields (plus llama.cpp's top_k, min_p, repeat_penalty), and how
/// to answer. Unknown fields are ignored, as OpenAI clients send many; known ones are checked.
/// </summary>
internal sealed class CompletionRequest
{
    private const int MaxStopStrings = 16;

    private CompletionRequest(GenerationSettings settings, bool stream, bool includeUsage)
    {
        Settings = settings;
        Stream = stream;
        IncludeUsage = includeUsage;
    }

    public IReadOnlyList<ChatMessage>? Messages { get; private init; }

    public string? Text { get; private init; }

    public IReadOnlyList<int>? Tokens { get; private init; }

    public GenerationSettings Settings { get; }

    public bool Stream { get; }

    /// <summary>stream_options.include_usage: a last chunk with the token counts before [DONE].</summary>
    public bool IncludeUsage { get; }

    public static CompletionRequest ParseChat(JsonElement body, int contextLength, int vocabSize)
    {
        RequestFields f = Fields(body);
        var (settings, stream, usage) = Common(f, contextLength, vocabSize, defaultMaxTokens: contextLength);
        Reject(f);
        return new CompletionRequest(settings, stream, usage) { Messages = ReadMessages(f) };
    }

    public static CompletionRequest ParseText(JsonElement body, int contextLength, int vocabSize)
    {
        RequestFields f = Fields(body);
        // OpenAI's legacy completions default to 16 tokens.
        var (settings, stream, usage) = Common(f, contextLength, vocabSize, defaultMaxTokens: 16);
        if (f.Bool("echo") == true)
        {
            throw ApiError.Unsupported("echo", "echoing the prompt");
        }

        if (f.String("suffix") is { Length: > 0 })
        {
            throw ApiError.Unsupported("suffix", "a suffix (fill-in-the-middle)");
        }

        if (f.Int("best_of", 1, int.MaxValue) is > 1)
        {
            throw ApiError.Unsupported("best_of", "more than one candidate");
        }

        Reject(f);
        var (text, tokens) = Prompt(f, vocabSize);
        return new CompletionRequest(settings, stream, usage) { Text = text, Tokens = tokens };
    }

    private static RequestFields Fields(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new ApiError(StatusCodes.Status400BadRequest, "The request body must be a JSON object.", "invalid_request_error");
        }

        // A string that is not Unicode text would fail only when read, as a 500 (found by fuzzing, docs/RELIABILITY.md).
        if (JsonText.FindNonUnicode(body) is { } at)
        {
            throw ApiError.InvalidField(at, "is not valid Unicode text (invalid UTF-8, or an escaped unpaired surrogate).");
        }

        return new RequestFields(body);
    }

    private static (GenerationSettings, bool Stream, bool IncludeUsage) Common(RequestFields f, int contextLength, int vocabSize,
        int defaultMaxTokens)
    {
        f.String("model"); // any name is accepted (one model per server), but it must be a string
        int? maxTokens = f.Int("max_completion_tokens", 1, int.MaxValue) ?? f.Int("max_tokens", 1, int.MaxValue);
        var defaults = new SamplingOptions();
        float temperature = f.Number("temperature", 0, 2) ?? defaults.Temperature;
        var sampling = new SamplingOptions
        {
            Temperature = temperature,
            TopP = f.Number("top_p", 0, 1, minExclusive: true) ?? defaults.TopP,
            TopK = f.Int("top_k", 0, vocabSize) ?? defaults.TopK,
            MinP = f.Number("min_p", 0, 1) ?? defaults.MinP,
            RepeatPenalty = f.Number("repeat_penalty", 0, 10, minExclusive: true) ?? defaults.RepeatPenalty,
            FrequencyPenalty = f.Number("frequency_penalty", -2, 2) ?? 0,
            PresencePenalty = f.Number("presence_penalty", -2, 2) ?? 0,
            Seed = f.Int("seed", int.MinValue, int.MaxValue),
            LogitBias = LogitBias(f, vocabSize),
        };
        if (f.Int("n", 1, int.MaxValue) is > 1)
        {
            throw ApiError.Unsupported("n", "more than one choice per request");
        }

        bool stream = f.Bool("stream") ?? false;
        bool includeUsage = false;
        if (f.Get("stream_options") is { } options)
        {
            if (options.ValueKind != JsonValueKind.Object)
            {
                throw ApiError.InvalidField("stream_options", "must be an object.");
            }

            if (!stream)
            {
                throw ApiError.InvalidField("stream_options", "is only allowed when 'stream' is true.");
            }

            includeUsage = new RequestFields(options).Bool("include_usage") ?? false;
        }

        var settings = new GenerationSettings
        {
            // Without a limit a reply may fill the context (OpenAI's chat default); the slot's context still bounds it.
            MaxTokens = Math.Min(maxTokens ?? defaultMaxTokens, contextLength),
            StopStrings = f.Strings("stop", MaxStopStrings),
            Sampling = sampling,
        };
        return (settings, stream, includeUsage);
    }

    /// <summary>Fields asking for features this server does not have: a clear 400 rather than a silently different answer.</summary>
    private static void Reject(RequestFields f)
    {
        if (f.Get("response_format") is { } format)
        {
            string? type = format.ValueKind == JsonValueKind.Object ? new RequestFields(format).String("type") : null;
            if (type is null)
            {
                throw ApiError.InvalidField("response_format", "must be an object with a 'type'.");
            }

            if (type != "text")
            {
                throw ApiError.Unsupported("response_format", $"'{type}' (JSON output needs grammar-constrained sampling, which BitNative does not have yet)");
            }
        }

        if (f.Get("tools") is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0)
        {
            throw ApiError.Unsupported("tools", "tool calling");
        }

        if (f.Get("functions") is { ValueKind: JsonValueKind.Array } functions && functions.GetArrayLength() > 0)
        {
            throw ApiError.Unsupported("functions", "function calling");
        }

        if (f.Get("logprobs") is { ValueKind: JsonValueKind.True } or { ValueKind: JsonValueKind.Number })
        {
            throw ApiError.Unsupported("logprobs", "returning log probabilities");
        }
    }

    private static IReadOnlyDictionary<int, float>? LogitBias(RequestFields f, int vocabSize)
    {
        if (f.Get("logit_bias") is not { } bias)
        {
            return null;
        }

        if (bias.ValueKind != JsonValueKind.Object)
        {
            throw ApiError.InvalidField("logit_bias", "must be an object mapping token ids to numbers.");
        }

        var map = new Dictionary<int, float>();
        foreach (JsonProperty p in bias.EnumerateObject())
        {
            if (!int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id >= vocabSize)
            {
                throw ApiError.InvalidField("logit_bias", $"key '{p.Name}' is not a token id below {vocabSize}.");
            }

            float? value = new RequestFields(bias).Number(p.Name, -100, 100);
            map[id] = value ?? 0;
        }

        return map;
    }

    private static IReadOnlyList<ChatMessage> ReadMessages(RequestFields f)
    {
        if (f.Get("messages") is not { ValueKind: JsonValueKind.Array } messages || messages.GetArrayLength() == 0)
        {
            throw ApiError.InvalidField("messages", "must be a non-empty array of messages.");
        }

        var list = new List<ChatMessage>();
        int i = 0;
        foreach (JsonElement m in messages.EnumerateArray())
        {
            string at = $"messages[{i++}]";
            if (m.ValueKind != JsonValueKind.Object)
            {
                throw ApiError.InvalidField(at, "must be an object with 'role' and 'content'.");
            }

            var fields = new RequestFields(m);
            string role = RoleOf(fields, at);
            list.Add(new ChatMessage(role, Content(fields, at)));
        }

        return list;
    }

    private static string RoleOf(RequestFields m, string at)
    {
        string? role = m.String("role");
        return role switch
        {
            "system" or "developer" => "system", // OpenAI's newer name for system instructions
            "user" or "assistant" => role,
            null => throw ApiError.InvalidField($"{at}.role", "is required."),
            "tool" or "function" => throw ApiError.Unsupported($"{at}.role", $"the '{role}' role (tool calling)"),
            _ => throw ApiError.InvalidField($"{at}.role", $"must be system, developer, user or assistant, got '{role}'."),
        };
    }

    /// <summary>A string, or an array of text parts (<c>{"type": "text", "text": ...}</c>), joined.</summary>
    private static string Content(RequestFields m, string at)
    {
        string field = $"{at}.content";
        if (m.Get("content") is not { } content)
        {
            throw ApiError.InvalidField(field, "is required.");
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw ApiError.InvalidField(field, "must be a string or an array of text parts.");
        }

        var text = new System.Text.StringBuilder();
        foreach (JsonElement part in content.EnumerateArray())
        {
            var p = new RequestFields(part.ValueKind == JsonValueKind.Object ? part : throw ApiError.InvalidField(field, "parts must be objects."));
            string type = p.String("type") ?? throw ApiError.InvalidField($"{field}.type", "is required.");
            if (type != "text")
            {
                throw ApiError.Unsupported(field, $"content of type '{type}' (this model reads text only)");
            }

            text.Append(p.String("text") ?? throw ApiError.InvalidField($"{field}.text", "is required."));
        }

        return text.ToString();
    }

    /// <summary><c>prompt</c>: a string, an array of one string, or an array of token ids.</summary>
    private static (string? Text, IReadOnlyList<int>? Tokens) Prompt(RequestFields f, int vocabSize)
    {
        switch (f.Get("prompt"))
        {
            case null:
                throw ApiError.InvalidField("prompt", "is required.");
            case { ValueKind: JsonValueKind.String } s:
                return (s.GetString()!, null);
            case { ValueKind: JsonValueKind.Array } a when a.GetArrayLength() == 1 && a[0].ValueKind == JsonValueKind.String:
                return (a[0].GetString()!, null);
            case { ValueKind: JsonValueKind.Array } a when a.GetArrayLength() > 0 && a.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number):
                var ids = new List<int>();
                foreach (JsonElement e in a.EnumerateArray())
                {
                    ids.Add(e.TryGetInt32(out int id) && id >= 0 && id < vocabSize
                        ? id
                        : throw ApiError.InvalidField("prompt", $"token ids must be integers below {vocabSize}."));
                }

                return (null, ids);
            default:
                throw ApiError.InvalidField("prompt", "must be a string, an array of one string, or an array of token ids.");
        }
    }
}
