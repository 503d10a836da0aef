using BitNative.Tokenization;

namespace BitNative.Generation;

/// <summary>
/// One generation's output, token by token: picks each token from the logits, turns it into text (never half a UTF-8
/// character, never a stop string), and decides when the generation ends. Shared by a session's loop and by the
/// batched generator's slots, so both stop for the same reasons at the same token. Not thread-safe.
/// </summary>
internal sealed class GenerationTracker
{
    private readonly GenerationSettings _settings;
    private readonly ByteLevelBpeTokenizer _tokenizer;
    private readonly Sampler _sampler;
    private readonly TokenStreamDetokenizer _detokenizer;
    private readonly StopStringMatcher _stops;

    public GenerationTracker(GenerationSettings settings, ByteLevelBpeTokenizer tokenizer, int vocabSize)
        : this(settings, tokenizer, new SamplerScratch(vocabSize))
    {
    }

    /// <summary>A tracker whose sampler works in <paramref name="scratch"/> (a batched generator's slot reuses one).</summary>
    public GenerationTracker(GenerationSettings settings, ByteLevelBpeTokenizer tokenizer, SamplerScratch scratch)
    {
        _settings = settings;
        _tokenizer = tokenizer;
        _sampler = new Sampler(settings.Sampling, scratch);
        _detokenizer = tokenizer.CreateStreamDetokenizer(skipSpecialTokens: true);
        _stops = new StopStringMatcher(settings.StopStrings);
    }

    /// <summary>Tokens generated (end-of-generation tokens are not counted: they are never shown).</summary>
    public int Generated { get; private set; }

    /// <summary>Why the generation ended, or null while it goes on.</summary>
    public FinishReason? Finished { get; private set; }

    /// <summary>True once <see cref="GenerationSettings.MaxTokens"/> tokens were generated: the next call ends it.</summary>
    public bool ReachedMaxTokens => Generated >= _settings.MaxTokens;

    /// <summary>
    /// Picks the next token from <paramref name="logits"/> (penalties look at <paramref name="history"/>, the tokens so
    /// far) and returns the text it completes, possibly empty. <paramref name="token"/> is the token to evaluate next,
    /// or -1 when this call ended the generation (<see cref="Finished"/> says why).
    /// </summary>
    public string Next(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, out int token)
    {
        token = -1;
        if (ReachedMaxTokens)
        {
            Finished = FinishReason.MaxTokens;
            return "";
        }

        int picked = _sampler.Sample(logits, history);
        if (_settings.StopOnEndOfGeneration && _tokenizer.IsStopToken(picked))
        {
            Finished = FinishReason.EndOfGeneration;
            return "";
        }

        Generated++;
        var (text, stopped) = _stops.Append(_detokenizer.Append(picked));
        if (stopped)
        {
            Finished = FinishReason.StopString;
        }
        else
        {
            token = picked;
        }

        return text;
    }

    /// <summary>Ends the generation for a reason the caller knows (a full context, a cancellation).</summary>
    public void End(FinishReason reason) => Finished ??= reason;

    /// <summary>
    /// The text held back at the end (an unfinished character, a possible start of a stop string); empty when the
    /// generation ended on a stop string, whose text is never shown.
    /// </summary>
    public string Tail() => Finished == FinishReason.StopString ? "" : _stops.Append(_detokenizer.Flush()).Release + _stops.Flush();
}
