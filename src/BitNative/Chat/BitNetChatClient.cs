using BitNative.Generation;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace BitNative.Chat;

/// <summary>
/// A local BitNet model as a Microsoft.Extensions.AI <see cref="IChatClient"/>: conversations are rendered with the
/// model's chat format, <see cref="ChatOptions"/> map to the sampler (temperature, top-p, top-k, seed, penalties, stop
/// sequences, output limit), responses carry token usage and a Stop / Length finish reason, and cancellation frees the
/// request's slot at once. Concurrent requests share a <see cref="BatchedGenerator"/> and are decoded together. Works
/// under <c>ChatClientBuilder</c> middleware (logging, OpenTelemetry, caching). Thread-safe.
/// </summary>
public sealed class BitNetChatClient : IChatClient
{
    private readonly BatchedGenerator _generator;
    private readonly bool _ownsGenerator;
    private readonly GenerationSettings _defaults;
    private readonly ChatClientMetadata _metadata;

    /// <summary>A client over <paramref name="model"/> with default options (one slot).</summary>
    public BitNetChatClient(BitNetModel model)
        : this(model, new BitNetChatClientOptions())
    {
    }

    /// <summary>A client over <paramref name="model"/> with its own <see cref="BatchedGenerator"/> of <see cref="BitNetChatClientOptions.Slots"/> slots.</summary>
    public BitNetChatClient(BitNetModel model, BitNetChatClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        _generator = new BatchedGenerator(model, new BatchedGeneratorOptions { Slots = options.Slots, QueueLimit = options.QueueLimit });
        _ownsGenerator = true;
        _defaults = options.Defaults ?? new GenerationSettings { MaxTokens = model.ContextLength };
        _defaults.Validate(model.Config.VocabSize);
        ModelId = options.ModelId ?? Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(model.Source));
        _metadata = new ChatClientMetadata("bitnative", null, ModelId);
    }

    /// <summary>A client sharing <paramref name="generator"/> with other users (it is not disposed with the client).</summary>
    public BitNetChatClient(BatchedGenerator generator, string modelId)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(modelId);
        _generator = generator;
        _defaults = new GenerationSettings { MaxTokens = generator.ContextLength };
        ModelId = modelId;
        _metadata = new ChatClientMetadata("bitnative", null, ModelId);
    }

    /// <summary>The model id reported in responses.</summary>
    public string ModelId { get; }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">JSON output, tools, or non-text content were asked for.</exception>
    /// <exception cref="ContextLengthExceededException">The conversation does not fit the context.</exception>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options,
        CancellationToken cancellationToken)
    {
        using GenerationStream stream = Start(messages, options, cancellationToken);
        var (text, finish, generated) = await stream.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        return new ChatResponse(new AiChatMessage(ChatRole.Assistant, text))
        {
            ResponseId = NewId(),
            ModelId = ModelId,
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = ChatOptionsMapping.FinishReason(finish),
            Usage = Usage(stream.PromptTokens, generated),
        };
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">JSON output, tools, or non-text content were asked for.</exception>
    /// <exception cref="ContextLengthExceededException">The conversation does not fit the context.</exception>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using GenerationStream stream = Start(messages, options, cancellationToken);
        string responseId = NewId();
        DateTimeOffset created = DateTimeOffset.UtcNow;
        await foreach (GenerationChunk chunk in stream.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var update = new ChatResponseUpdate(ChatRole.Assistant, chunk.Text)
            {
                ResponseId = responseId,
                MessageId = responseId,
                ModelId = ModelId,
                CreatedAt = created,
                FinishReason = ChatOptionsMapping.FinishReason(chunk.FinishReason),
            };
            if (chunk.FinishReason is not null)
            {
                update.Contents.Add(new UsageContent(Usage(stream.PromptTokens, chunk.GeneratedTokens)));
            }

            if (chunk.Text.Length > 0 || chunk.FinishReason is not null)
            {
                yield return update;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType == typeof(BatchedGenerator) ? _generator
            : serviceType == typeof(BitNetModel) ? _generator.Model
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>Stops the client's own generator (not a shared one, and never the model).</summary>
    public void Dispose()
    {
        if (_ownsGenerator)
        {
            _generator.Dispose();
        }
    }

    private GenerationStream Start(IEnumerable<AiChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        List<ChatMessage> conversation = ChatOptionsMapping.Messages(messages);
        GenerationSettings settings = ChatOptionsMapping.Settings(options, _defaults);
        return _generator.Start(conversation, settings, cancellationToken);
    }

    private static UsageDetails Usage(int prompt, int generated) =>
        new() { InputTokenCount = prompt, OutputTokenCount = generated, TotalTokenCount = prompt + generated };

    private static string NewId() => "bitnative-" + Guid.NewGuid().ToString("N");
}
