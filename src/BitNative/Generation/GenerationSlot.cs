using BitNative.Model;

namespace BitNative.Generation;

/// <summary>
/// One of the batched generator's sequences: a KV cache and token history of its own, allocated once, and the request
/// it serves. A request first feeds its prompt in chunks (prefill), then adds one token per step (decoding).
/// </summary>
internal sealed class GenerationSlot
{
    private int _nextToken = -1;

    public GenerationSlot(ModelConfig config, int contextLength, Kernels.KvCacheType kvCache)
    {
        Cache = new KvCache(config, contextLength, kvCache);
        History = new int[contextLength];
        SamplerScratch = new SamplerScratch(config.VocabSize);
    }

    /// <summary>The sampler buffers of whichever request this slot serves: allocated once, not per request.</summary>
    public SamplerScratch SamplerScratch { get; }

    public KvCache Cache { get; }

    /// <summary>The tokens at positions [0, Position): prompt, then generated tokens.</summary>
    public int[] History { get; }

    public int ContextLength => History.Length;

    /// <summary>Tokens in the cache; the next row goes to this position.</summary>
    public int Position { get; private set; }

    public GenerationRequest? Request { get; private set; }

    public GenerationTracker? Output { get; private set; }

    /// <summary>Prompt tokens handed to a step so far.</summary>
    public int PromptFed { get; private set; }

    /// <summary>The sampled token that the next step evaluates (decoding), or -1.</summary>
    public int NextToken
    {
        get => _nextToken;
        set => _nextToken = value;
    }

    /// <summary>Order of admission: older requests get the prefill budget first.</summary>
    public long AdmittedAt { get; private set; }

    public bool IsFree => Request is null;

    public bool IsPrefilling => Request is not null && PromptFed < Request.Prompt.Length;

    public void Admit(GenerationRequest request, GenerationTracker output, long order)
    {
        Request = request;
        Output = output;
        AdmittedAt = order;
        Position = 0;
        PromptFed = 0;
        NextToken = -1;
    }

    /// <summary>
    /// Puts the next rows of this sequence into a step: up to <paramref name="budget"/> prompt tokens while prefilling,
    /// else the one sampled token. They go to positions [Position, Position + n) of the history as well.
    /// </summary>
    public int TakeRows(int budget, Span<int> rows)
    {
        ReadOnlySpan<int> next = IsPrefilling
            ? Request!.Prompt.AsSpan(PromptFed, Math.Min(budget, Request.Prompt.Length - PromptFed))
            : new ReadOnlySpan<int>(in _nextToken);
        next.CopyTo(rows);
        next.CopyTo(History.AsSpan(Position));
        if (IsPrefilling)
        {
            PromptFed += next.Length;
        }

        return next.Length;
    }

    /// <summary>Records that a step evaluated <paramref name="rows"/> rows of this slot.</summary>
    public void Advance(int rows) => Position += rows;

    public void Release()
    {
        Request = null;
        Output = null;
        NextToken = -1;
    }
}
