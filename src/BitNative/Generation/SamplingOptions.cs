namespace BitNative.Generation;

/// <summary>
/// How the next token is chosen from the logits. Applied in llama.cpp's order: logit bias, repetition / frequency /
/// presence penalties over the last <see cref="RepeatLastN"/> tokens, top-k, top-p, min-p, temperature, then a draw.
/// A temperature of 0 is greedy decoding.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding: always the most likely token (after bias and penalties).</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0f };

    /// <summary>Divides the logits before the draw; 0 means greedy. Finite and >= 0. Default 0.8.</summary>
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Keeps only the K most likely tokens; 0 disables. Default 40.</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Keeps the smallest set of most likely tokens whose probability reaches P; 1 disables. Default 0.95.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Drops tokens less likely than MinP times the most likely one; 0 disables. Default 0.05.</summary>
    public float MinP { get; init; } = 0.05f;

    /// <summary>Divides positive (multiplies negative) logits of recently seen tokens; 1 disables. Default 1 (off, as llama.cpp).</summary>
    public float RepeatPenalty { get; init; } = 1.0f;

    /// <summary>Subtracted from a logit once per occurrence in the recent tokens; 0 disables.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Subtracted from the logit of any token present in the recent tokens; 0 disables.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>How many of the most recent tokens the penalties look at (-1: all). Default 64.</summary>
    public int RepeatLastN { get; init; } = 64;

    /// <summary>Seed of the random draw, for reproducible output; null picks one at random.</summary>
    public int? Seed { get; init; }

    /// <summary>Added to the logits of the given token ids before anything else (use negative infinity to ban a token).</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate(int vocabSize)
    {
        Check(float.IsFinite(Temperature) && Temperature >= 0f, nameof(Temperature), Temperature, "finite and >= 0 (0: greedy)");
        Check(TopK >= 0, nameof(TopK), TopK, ">= 0");
        Check(TopP is > 0f and <= 1f, nameof(TopP), TopP, "in (0, 1]");
        Check(MinP is >= 0f and <= 1f, nameof(MinP), MinP, "in [0, 1]");
        Check(float.IsFinite(RepeatPenalty) && RepeatPenalty > 0f, nameof(RepeatPenalty), RepeatPenalty, "> 0");
        Check(float.IsFinite(FrequencyPenalty), nameof(FrequencyPenalty), FrequencyPenalty, "finite");
        Check(float.IsFinite(PresencePenalty), nameof(PresencePenalty), PresencePenalty, "finite");
        Check(RepeatLastN >= -1, nameof(RepeatLastN), RepeatLastN, ">= -1");
        foreach (var (token, bias) in LogitBias ?? new Dictionary<int, float>())
        {
            Check((uint)token < (uint)vocabSize, nameof(LogitBias), token, $"a token id below {vocabSize}");
            Check(!float.IsNaN(bias) && bias != float.PositiveInfinity, nameof(LogitBias), bias, "finite or negative infinity");
        }
    }

    private static void Check(bool ok, string name, object value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"Sampling option {name} = {value} is invalid: it must be {rule}.", name);
        }
    }
}
