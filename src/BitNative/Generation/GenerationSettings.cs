using BitNative.Generation;

namespace BitNative.Generation;

/// <summary>What to generate and when to stop.</summary>
public sealed record GenerationSettings
{
    /// <summary>Stop after this many generated tokens. Default 256.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>How each token is chosen. Default: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no repetition penalty.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Stop as soon as the output contains one of these strings (the string itself is not returned).</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>
    /// Also stop on the model's end-of-generation tokens (EOS, &lt;|eot_id|&gt; and the chat format's terminator).
    /// Default true.
    /// </summary>
    public bool StopOnEndOfGeneration { get; init; } = true;

    /// <summary>
    /// For chat: the chat template's <c>enable_thinking</c> variable (Qwen3 / Bonsai templates open an empty
    /// &lt;think&gt; block when it is false, so the model answers directly). Null (the default) leaves it undefined,
    /// which those templates treat as thinking on; templates that do not use it ignore it.
    /// </summary>
    public bool? EnableThinking { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate(int vocabSize)
    {
        if (MaxTokens < 0)
        {
            throw new ArgumentException($"MaxTokens = {MaxTokens} is invalid: it must be >= 0.", nameof(MaxTokens));
        }

        if (StopStrings.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("StopStrings must not contain empty strings.", nameof(StopStrings));
        }

        ArgumentNullException.ThrowIfNull(Sampling, nameof(Sampling));
        Sampling.Validate(vocabSize);
    }
}

/// <summary>Why a generation ended.</summary>
public enum FinishReason
{
    /// <summary>The model produced an end-of-generation token.</summary>
    EndOfGeneration,

    /// <summary>The output reached one of the stop strings.</summary>
    StopString,

    /// <summary><see cref="GenerationSettings.MaxTokens"/> tokens were generated.</summary>
    MaxTokens,

    /// <summary>The session's context is full; call <see cref="InferenceSession.Reset"/> or use a larger context.</summary>
    ContextFull,

    /// <summary>The caller cancelled.</summary>
    Cancelled,
}

/// <summary>Counts and timings of the last generation of a session.</summary>
/// <param name="PromptTokens">Tokens evaluated for the prompt (after reusing any cached prefix).</param>
/// <param name="GeneratedTokens">Tokens generated.</param>
/// <param name="PromptTime">Time spent evaluating the prompt.</param>
/// <param name="GenerationTime">Time spent generating (sampling and evaluating each new token).</param>
/// <param name="FinishReason">Why generation stopped.</param>
public sealed record GenerationStatistics(int PromptTokens, int GeneratedTokens, TimeSpan PromptTime, TimeSpan GenerationTime,
    FinishReason FinishReason)
{
    /// <summary>Prompt tokens per second.</summary>
    public double PromptTokensPerSecond => PromptTokens / Math.Max(PromptTime.TotalSeconds, 1e-9);

    /// <summary>Generated tokens per second.</summary>
    public double GenerationTokensPerSecond => GeneratedTokens / Math.Max(GenerationTime.TotalSeconds, 1e-9);
}
