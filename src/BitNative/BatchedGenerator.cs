using BitNative.Generation;
using BitNative.Model;
using BitNative.Tokenization;

namespace BitNative;

/// <summary>
/// Serves many concurrent generations from one model by decoding them together: every step runs one row of each running
/// stream (and a chunk of a newcomer's prompt) through the model as one batch, so each weight matrix is read once per
/// step for all of them. Decoding is memory-bound, so B streams cost little more than one. Requests join at the next
/// step (continuous batching) and wait in a bounded queue while every slot is busy. Thread-safe.
/// </summary>
public sealed class BatchedGenerator : IDisposable
{
    private readonly BitNetModel _model;
    private readonly BatchScheduler _scheduler;
    private bool _disposed;

    /// <summary>Creates the generator: allocates a KV cache of <see cref="BitNetModel.ContextLength"/> positions per slot and starts its thread.</summary>
    public BatchedGenerator(BitNetModel model, BatchedGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _model = model;
        model.Lifetime.ThrowIfClosed();
        KvCache.CheckCapacity(model.Config, model.ContextLength, model.Recipe.KvCache, options.Slots, nameof(options.Slots));
        _scheduler = new BatchScheduler(model.Transformer, model.Lifetime, model.Tokenizer, options.Slots, model.ContextLength, options.PrefillChunk,
            model.BatchSize, options.QueueLimit);
    }

    /// <summary>The model this generator runs.</summary>
    public BitNetModel Model => _model;

    /// <summary>Sequences decoded together.</summary>
    public int Slots => _scheduler.Slots;

    /// <summary>Positions each slot holds: prompt plus generated tokens.</summary>
    public int ContextLength => _scheduler.ContextLength;

    /// <summary>Times the batched forward passes part by part while set (<c>bitnative bench --parallel --profile</c>).</summary>
    public Model.TransformerProfiler? Profiler
    {
        get => _scheduler.Profiler;
        set => _scheduler.Profiler = value;
    }

    /// <summary>Counters for monitoring.</summary>
    public BatchedGeneratorStatistics Statistics
    {
        get
        {
            SchedulerCounters c = _scheduler.Counters;
            return new BatchedGeneratorStatistics(Slots, c.BusySlots, c.QueueDepth, c.Steps, c.PromptTokens, c.GeneratedTokens, c.Completed,
                c.TokensPerSecond);
        }
    }

    /// <summary>Starts generating after <paramref name="promptTokens"/> (BOS is not added: include it if the model wants it).</summary>
    /// <exception cref="ContextLengthExceededException">The prompt does not fit a slot's context.</exception>
    /// <exception cref="GeneratorBusyException">Every slot is busy and the queue is full.</exception>
    /// <exception cref="ArgumentException">The prompt is empty, holds an id outside the vocabulary, or a setting is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The generator or its model is disposed (a request started just before the model
    /// is disposed ends with this exception instead).</exception>
    public GenerationStream Start(IReadOnlyList<int> promptTokens, GenerationSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        ArgumentNullException.ThrowIfNull(settings);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _model.Lifetime.ThrowIfClosed();
        int vocab = _model.Config.VocabSize;
        settings.Validate(vocab);
        if (promptTokens.Count == 0)
        {
            throw new ArgumentException("The prompt is empty: generation needs at least one token to continue from.", nameof(promptTokens));
        }

        if (promptTokens.Count > ContextLength)
        {
            throw new ContextLengthExceededException(promptTokens.Count, 0, ContextLength);
        }

        int[] prompt = promptTokens.ToArray();
        foreach (int t in prompt)
        {
            if ((uint)t >= (uint)vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(promptTokens), t, $"Token ids must be below the vocabulary size {vocab}.");
            }
        }

        var request = new GenerationRequest(prompt, settings);
        if (!_scheduler.TryEnqueue(request))
        {
            throw new GeneratorBusyException(Slots, _scheduler.QueueLimit);
        }

        return new GenerationStream(request, _scheduler.Wake, cancellationToken);
    }

    /// <summary>Starts continuing <paramref name="prompt"/> as plain text (BOS added where the model wants it).</summary>
    /// <inheritdoc cref="Start(IReadOnlyList{int}, GenerationSettings, CancellationToken)"/>
    public GenerationStream Start(string prompt, GenerationSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return Start(_model.Tokenize(prompt, _model.AddsBos), settings, cancellationToken);
    }

    /// <summary>Starts the assistant's reply to <paramref name="messages"/>, rendered with the model's chat format.</summary>
    /// <inheritdoc cref="Start(IReadOnlyList{int}, GenerationSettings, CancellationToken)"/>
    public GenerationStream Start(IReadOnlyList<ChatMessage> messages, GenerationSettings settings, CancellationToken cancellationToken) =>
        Start(_model.TokenizeChat(messages, settings.EnableThinking), settings, cancellationToken);

    /// <summary>Stops the generator's thread; running and waiting requests end with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _scheduler.Dispose();
        }
    }
}

/// <summary>Counters of a <see cref="BatchedGenerator"/>.</summary>
/// <param name="Slots">Sequences decoded together.</param>
/// <param name="BusySlots">Slots serving a request now.</param>
/// <param name="QueueDepth">Requests waiting for a slot.</param>
/// <param name="Steps">Forward passes run since the start.</param>
/// <param name="PromptTokens">Prompt tokens evaluated since the start.</param>
/// <param name="GeneratedTokens">Tokens generated since the start.</param>
/// <param name="CompletedRequests">Requests finished (by any reason, cancellation included) since the start.</param>
/// <param name="TokensPerSecond">Generated tokens per second of busy time over the last steps.</param>
public sealed record BatchedGeneratorStatistics(int Slots, int BusySlots, int QueueDepth, long Steps, long PromptTokens, long GeneratedTokens,
    long CompletedRequests, double TokensPerSecond);
