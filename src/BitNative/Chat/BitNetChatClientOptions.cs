using BitNative.Generation;
namespace BitNative.Chat;

/// <summary>How a <see cref="BitNetChatClient"/> runs its model.</summary>
public sealed record BitNetChatClientOptions
{
    /// <summary>Requests decoded together (the <see cref="BatchedGenerator"/>'s slots); more wait in its queue. Default 1.</summary>
    public int Slots { get; init; } = 1;

    /// <summary>Requests that may wait for a slot; one more fails with <see cref="GeneratorBusyException"/>. Default 64.</summary>
    public int QueueLimit { get; init; } = 64;

    /// <summary>The model id reported in responses and <c>ChatClientMetadata</c>. Default: the model file's name.</summary>
    public string? ModelId { get; init; }

    /// <summary>
    /// Settings for whatever <c>ChatOptions</c> leaves unset. Default: the model's own stop tokens, the sampler's defaults,
    /// and no token limit but the context (a reply ends at the model's end-of-turn token or when the context is full).
    /// </summary>
    public GenerationSettings? Defaults { get; init; }
}
