using System.CommandLine;
using BitNative.Generation;

namespace BitNative.Cli.Commands;

/// <summary>The sampling options of run and chat, with llama.cpp's names and defaults.</summary>
internal sealed class SamplingArguments
{
    public Option<int> MaxTokens { get; } = new("--n-predict", "-n") { Description = "Tokens to generate", DefaultValueFactory = _ => 128 };
    public Option<float> Temperature { get; } = new("--temp") { Description = "Temperature (0: greedy)", DefaultValueFactory = _ => 0.8f };
    public Option<int> TopK { get; } = new("--top-k") { Description = "Top-k (0: off)", DefaultValueFactory = _ => 40 };
    public Option<float> TopP { get; } = new("--top-p") { Description = "Top-p (1: off)", DefaultValueFactory = _ => 0.95f };
    public Option<float> MinP { get; } = new("--min-p") { Description = "Min-p (0: off)", DefaultValueFactory = _ => 0.05f };
    public Option<float> RepeatPenalty { get; } = new("--repeat-penalty") { Description = "Repetition penalty (1: off)", DefaultValueFactory = _ => 1.0f };
    public Option<int> RepeatLastN { get; } = new("--repeat-last-n") { Description = "Tokens the penalties look back over", DefaultValueFactory = _ => 64 };
    public Option<float> FrequencyPenalty { get; } = new("--frequency-penalty") { Description = "Frequency penalty", DefaultValueFactory = _ => 0f };
    public Option<float> PresencePenalty { get; } = new("--presence-penalty") { Description = "Presence penalty", DefaultValueFactory = _ => 0f };
    public Option<string[]> Stop { get; } = new("--stop") { Description = "Stop string (repeatable)", AllowMultipleArgumentsPerToken = false };
    public Option<int> Seed { get; } = CliOptions.Seed();
    public Option<string?> Think { get; } = new("--think")
    {
        Description = "on | off: the chat template's enable_thinking (Qwen3 / Bonsai: off answers without a <think> block); default: the template's own",
    };

    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { MaxTokens, Temperature, TopK, TopP, MinP, RepeatPenalty, RepeatLastN, FrequencyPenalty, PresencePenalty, Stop, Seed, Think })
        {
            command.Options.Add(o);
        }
    }

    /// <summary>Settings from the parsed options; an invalid value is a usage error naming the option.</summary>
    public GenerationSettings Read(ParseResult r, int vocabSize)
    {
        try
        {
            return ReadAndValidate(r, vocabSize);
        }
        catch (ArgumentException e) when (OptionFor(e.ParamName) is { } option)
        {
            throw new CliException($"{option.Name} {r.GetResult(option)?.Tokens.FirstOrDefault()?.Value ?? "(default)"}: {CliErrors.MessageOf(e)}");
        }
    }

    /// <summary>The option behind a <see cref="GenerationSettings"/> or <see cref="SamplingOptions"/> property.</summary>
    private Option? OptionFor(string? property) => property switch
    {
        nameof(GenerationSettings.MaxTokens) => MaxTokens,
        nameof(GenerationSettings.StopStrings) => Stop,
        nameof(SamplingOptions.Temperature) => Temperature,
        nameof(SamplingOptions.TopK) => TopK,
        nameof(SamplingOptions.TopP) => TopP,
        nameof(SamplingOptions.MinP) => MinP,
        nameof(SamplingOptions.RepeatPenalty) => RepeatPenalty,
        nameof(SamplingOptions.RepeatLastN) => RepeatLastN,
        nameof(SamplingOptions.FrequencyPenalty) => FrequencyPenalty,
        nameof(SamplingOptions.PresencePenalty) => PresencePenalty,
        _ => null,
    };

    private GenerationSettings ReadAndValidate(ParseResult r, int vocabSize)
    {
        int seed = r.GetValue(Seed);
        var settings = new GenerationSettings
        {
            MaxTokens = r.GetValue(MaxTokens),
            StopStrings = r.GetValue(Stop) ?? [],
            EnableThinking = r.GetValue(Think) switch
            {
                null => null,
                "on" => true,
                "off" => false,
                var other => throw new ArgumentException($"--think {other} is not on or off.", nameof(Think)),
            },
            Sampling = new SamplingOptions
            {
                Temperature = r.GetValue(Temperature),
                TopK = r.GetValue(TopK),
                TopP = r.GetValue(TopP),
                MinP = r.GetValue(MinP),
                RepeatPenalty = r.GetValue(RepeatPenalty),
                RepeatLastN = r.GetValue(RepeatLastN),
                FrequencyPenalty = r.GetValue(FrequencyPenalty),
                PresencePenalty = r.GetValue(PresencePenalty),
                Seed = seed >= 0 ? seed : null,
            },
        };
        settings.Validate(vocabSize);
        return settings;
    }
}
