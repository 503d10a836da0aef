using System.Diagnostics;
using System.Runtime.CompilerServices;
using BitNative.Generation;
using BitNative.Model;
using BitNative.Tokenization;

namespace BitNative;

/// <summary>
/// One conversation with a model: its own KV cache and token history over the model's shared weights. Sessions of one
/// model may run concurrently on different threads; a single session is not thread-safe.
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly BitNetModel _model;
    private readonly Transformer _transformer;
    private readonly ByteLevelBpeTokenizer _tokenizer;
    private readonly InferenceState _state;
    private readonly KvCache _cache;
    private readonly List<int> _tokens = new();
    private bool _hasLogits;
    private bool _disposed;

    internal InferenceSession(BitNetModel model, Transformer transformer, ByteLevelBpeTokenizer tokenizer, int contextLength, int batchSize)
    {
        _model = model;
        _transformer = transformer;
        _tokenizer = tokenizer;
        ContextLength = contextLength;
        _state = new InferenceState(transformer.Config, Math.Min(batchSize, contextLength),
            transformer.Weights.TransformsInputs, transformer.Weights.SplitColumns);
        _cache = transformer.CreateCache(contextLength);
    }

    /// <summary>Positions this session's KV cache holds.</summary>
    public int ContextLength { get; }

    /// <summary>Tokens evaluated so far (the next token goes to this position).</summary>
    public int Position => _tokens.Count;

    /// <summary>The evaluated tokens, in order.</summary>
    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>Bytes of this session's KV cache.</summary>
    public long KvCacheBytes => _cache.Bytes;

    /// <summary>Counts and timings of the last <see cref="GenerateAsync(string, GenerationSettings, CancellationToken)"/> or chat.</summary>
    public GenerationStatistics? LastStatistics { get; private set; }

    /// <summary>Logits of the last evaluated token (vocabulary-sized); empty before any token is evaluated.</summary>
    public ReadOnlySpan<float> Logits => _hasLogits ? _state.Logits : default;

    /// <summary>
    /// Counts the nonzero projection inputs of this session's forward passes while set (the share of parameters active per
    /// token that <c>bitnative perplexity</c> and <c>bench</c> print); null (the default) costs nothing.
    /// </summary>
    public ActivityCounter? Activity
    {
        get => _state.Activity;
        set => _state.Activity = value;
    }

    /// <summary>
    /// Times this session's forward passes part by part while set (what <c>bitnative bench --profile</c> prints); null
    /// (the default) costs nothing. One profiler belongs to one session at a time.
    /// </summary>
    public TransformerProfiler? Profiler
    {
        get => _state.Profiler;
        set => _state.Profiler = value;
    }

    /// <summary>Sees every float projection input of this session's forward passes when set (quantization calibration).</summary>
    internal ProjectionInputObserver? InputObserver
    {
        get => _state.InputObserver;
        set => _state.InputObserver = value;
    }

    /// <summary>Forgets every evaluated token.</summary>
    public void Reset()
    {
        _tokens.Clear();
        _hasLogits = false;
    }

    /// <summary>
    /// Evaluates tokens at the next positions (in batches), making <see cref="Logits"/> those of the last one.
    /// </summary>
    /// <exception cref="ContextLengthExceededException">The tokens do not fit the free context.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token id is outside the vocabulary.</exception>
    public void Evaluate(ReadOnlySpan<int> tokens)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_tokens.Count + tokens.Length > ContextLength)
        {
            throw new ContextLengthExceededException(tokens.Length, _tokens.Count, ContextLength);
        }

        int vocab = _transformer.Config.VocabSize;
        foreach (int t in tokens)
        {
            if ((uint)t >= (uint)vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), t, $"Token ids must be below the vocabulary size {vocab}.");
            }
        }

        for (int offset = 0; offset < tokens.Length; offset += _state.MaxTokens)
        {
            ReadOnlySpan<int> batch = tokens.Slice(offset, Math.Min(_state.MaxTokens, tokens.Length - offset));
            _transformer.Forward(_state, _cache, batch, _tokens.Count, default);
            foreach (int t in batch)
            {
                _tokens.Add(t);
            }

            _hasLogits = true;
        }
    }

    /// <summary>
    /// Evaluates tokens and returns the logits of every one of them ([tokens, vocab], row-major): teacher forcing for
    /// scoring and perplexity.
    /// </summary>
    public float[] EvaluateAll(ReadOnlySpan<int> tokens)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int vocab = _transformer.Config.VocabSize;
        var logits = new float[(long)tokens.Length * vocab];
        if (_tokens.Count + tokens.Length > ContextLength)
        {
            throw new ContextLengthExceededException(tokens.Length, _tokens.Count, ContextLength);
        }

        for (int offset = 0; offset < tokens.Length; offset += _state.MaxTokens)
        {
            int count = Math.Min(_state.MaxTokens, tokens.Length - offset);
            ReadOnlySpan<int> batch = tokens.Slice(offset, count);
            foreach (int t in batch)
            {
                if ((uint)t >= (uint)vocab)
                {
                    throw new ArgumentOutOfRangeException(nameof(tokens), t, $"Token ids must be below the vocabulary size {vocab}.");
                }
            }

            _transformer.Forward(_state, _cache, batch, _tokens.Count, logits.AsSpan(offset * vocab, count * vocab));
            foreach (int t in batch)
            {
                _tokens.Add(t);
            }

            _hasLogits = true;
        }

        return logits;
    }

    /// <summary>
    /// Continues the session with <paramref name="prompt"/> (BOS is added when the session is empty and the model wants
    /// it) and streams the generated text. Text never splits a UTF-8 character and never includes a stop string.
    /// </summary>
    public IAsyncEnumerable<string> GenerateAsync(string prompt, GenerationSettings settings) =>
        GenerateAsync(prompt, settings, CancellationToken.None);

    /// <inheritdoc cref="GenerateAsync(string, GenerationSettings)"/>
    public IAsyncEnumerable<string> GenerateAsync(string prompt, GenerationSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(_transformer.Config.VocabSize);
        int[] promptTokens = _tokenizer.Encode(prompt, addBos: _tokens.Count == 0 && _tokenizer.AddBos);
        return Run(promptTokens, reuseCachedPrefix: false, settings, cancellationToken);
    }

    /// <summary>
    /// Renders <paramref name="messages"/> with the model's chat format (adding the assistant prompt) and streams the
    /// reply. Tokens the session already evaluated for the same conversation prefix are reused.
    /// </summary>
    public IAsyncEnumerable<string> ChatAsync(IReadOnlyList<ChatMessage> messages, GenerationSettings settings) =>
        ChatAsync(messages, settings, CancellationToken.None);

    /// <inheritdoc cref="ChatAsync(IReadOnlyList{ChatMessage}, GenerationSettings)"/>
    public IAsyncEnumerable<string> ChatAsync(IReadOnlyList<ChatMessage> messages, GenerationSettings settings,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(_transformer.Config.VocabSize);
        int[] prompt = _model.TokenizeChat(messages, settings.EnableThinking);
        return Run(prompt, reuseCachedPrefix: true, settings, cancellationToken);
    }

    /// <summary>Tokenizes text as plain text (never control tokens).</summary>
    public int[] Tokenize(string text, bool addBos) => _tokenizer.Encode(text, addBos);

    private async IAsyncEnumerable<string> Run(int[] prompt, bool reuseCachedPrefix, GenerationSettings settings,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await Task.Yield(); // the caller gets control back before the first (possibly long) prompt evaluation

        int[] toEvaluate = prompt;
        if (reuseCachedPrefix)
        {
            int common = CommonPrefix(prompt);
            if (common < _tokens.Count || common == prompt.Length)
            {
                // Diverged from the cached conversation (or nothing new to feed): drop the cache past the shared part,
                // keeping at least one token to evaluate so there are logits to sample from.
                common = Math.Min(common, prompt.Length - 1);
                _tokens.RemoveRange(common, _tokens.Count - common);
            }

            toEvaluate = prompt[common..];
        }

        var clock = Stopwatch.StartNew();
        if (toEvaluate.Length > 0)
        {
            Evaluate(toEvaluate);
        }
        else if (!_hasLogits)
        {
            throw new ArgumentException("The prompt is empty and the session has no tokens to continue from.", nameof(prompt));
        }

        TimeSpan promptTime = clock.Elapsed;
        clock.Restart();
        var output = new GenerationTracker(settings, _tokenizer, _transformer.Config.VocabSize);
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                output.End(FinishReason.Cancelled);
                break;
            }

            string text = output.Next(_state.Logits, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tokens), out int token);
            if (text.Length > 0)
            {
                yield return text;
            }

            if (output.Finished is not null)
            {
                break;
            }

            if (_tokens.Count >= ContextLength)
            {
                output.End(FinishReason.ContextFull);
                break;
            }

            Evaluate(new ReadOnlySpan<int>(in token)); // no array per token
        }

        string tail = output.Tail();
        if (tail.Length > 0)
        {
            yield return tail;
        }

        LastStatistics = new GenerationStatistics(toEvaluate.Length, output.Generated, promptTime, clock.Elapsed, output.Finished!.Value);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private int CommonPrefix(int[] prompt)
    {
        int n = Math.Min(prompt.Length, _tokens.Count), i = 0;
        while (i < n && prompt[i] == _tokens[i])
        {
            i++;
        }

        return i;
    }

    /// <summary>Releases the session's buffers.</summary>
    public void Dispose() => _disposed = true;
}
