using BitNative.Generation;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace BitNative.Chat;

/// <summary>Microsoft.Extensions.AI's messages and <see cref="ChatOptions"/> in BitNative's terms, refusing what the engine cannot do.</summary>
internal static class ChatOptionsMapping
{
    /// <summary>The conversation as BitNative messages: text only, roles system / user / assistant.</summary>
    /// <exception cref="NotSupportedException">A message holds non-text content or has the tool role.</exception>
    public static List<ChatMessage> Messages(IEnumerable<AiChatMessage> messages)
    {
        var list = new List<ChatMessage>();
        foreach (AiChatMessage m in messages)
        {
            string role = m.Role == ChatRole.System ? "system"
                : m.Role == ChatRole.User ? "user"
                : m.Role == ChatRole.Assistant ? "assistant"
                : throw new NotSupportedException($"Messages with the role '{m.Role}' are not supported: BitNative has no tool calling.");
            foreach (AIContent content in m.Contents)
            {
                if (content is not (TextContent or UsageContent or TextReasoningContent))
                {
                    throw new NotSupportedException(
                        $"A {role} message holds {content.GetType().Name}; BitNative models read text only (and do not call tools).");
                }
            }

            list.Add(new ChatMessage(role, m.Text));
        }

        if (list.Count == 0)
        {
            throw new ArgumentException("A chat needs at least one message.", nameof(messages));
        }

        return list;
    }

    /// <summary>The generation settings <paramref name="options"/> asks for, over <paramref name="defaults"/>.</summary>
    /// <exception cref="NotSupportedException">JSON output or tools were asked for.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static GenerationSettings Settings(ChatOptions? options, GenerationSettings defaults)
    {
        if (options is null)
        {
            return defaults;
        }

        if (options.ResponseFormat is ChatResponseFormatJson)
        {
            throw new NotSupportedException(
                "ChatResponseFormat.Json is not supported: JSON output needs grammar-constrained sampling, which BitNative does not have yet. " +
                "Use ChatResponseFormat.Text (or leave ResponseFormat unset).");
        }

        if (options.Tools is { Count: > 0 } && options.ToolMode is not NoneChatToolMode)
        {
            throw new NotSupportedException("Tools are not supported: BitNative has no tool calling.");
        }

        Generation.SamplingOptions sampling = defaults.Sampling with
        {
            Temperature = options.Temperature ?? defaults.Sampling.Temperature,
            TopP = options.TopP ?? defaults.Sampling.TopP,
            TopK = options.TopK ?? defaults.Sampling.TopK,
            FrequencyPenalty = options.FrequencyPenalty ?? defaults.Sampling.FrequencyPenalty,
            PresencePenalty = options.PresencePenalty ?? defaults.Sampling.PresencePenalty,
            // ChatOptions' seed is 64-bit; fold it so every value stays a distinct, reproducible 32-bit seed.
            Seed = options.Seed is long seed ? (int)(seed ^ (seed >> 32)) : defaults.Sampling.Seed,
        };
        return defaults with
        {
            MaxTokens = options.MaxOutputTokens is int max
                ? max >= 1 ? max : throw new ArgumentException($"MaxOutputTokens = {max} is invalid: it must be >= 1.", nameof(options))
                : defaults.MaxTokens,
            StopStrings = options.StopSequences is { Count: > 0 } stops ? [.. defaults.StopStrings, .. stops] : defaults.StopStrings,
            Sampling = sampling,
            // the chat template's enable_thinking (Qwen3 / Bonsai), as AdditionalProperties["enable_thinking"] (what
            // OpenAI-compatible servers take in chat_template_kwargs)
            EnableThinking = options.AdditionalProperties?.TryGetValue("enable_thinking", out object? thinking) == true
                ? thinking switch
                {
                    bool b => b,
                    System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.True } => true,
                    System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.False } => false,
                    _ => throw new ArgumentException("AdditionalProperties[\"enable_thinking\"] must be a bool.", nameof(options)),
                }
                : defaults.EnableThinking,
        };
    }

    /// <summary>Stop for a natural end (end-of-turn token, stop sequence), Length for the token or context limit.</summary>
    public static ChatFinishReason? FinishReason(FinishReason? reason) => reason switch
    {
        BitNative.Generation.FinishReason.EndOfGeneration or BitNative.Generation.FinishReason.StopString => ChatFinishReason.Stop,
        BitNative.Generation.FinishReason.MaxTokens or BitNative.Generation.FinishReason.ContextFull => ChatFinishReason.Length,
        _ => null,
    };
}
