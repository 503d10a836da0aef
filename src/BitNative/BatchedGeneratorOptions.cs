namespace BitNative;

/// <summary>How a <see cref="BatchedGenerator"/> shares a model between concurrent requests.</summary>
public sealed record BatchedGeneratorOptions
{
    /// <summary>Sequences decoded together (each with its own KV cache of <see cref="BitNetModel.ContextLength"/> positions). Default 4.</summary>
    public int Slots { get; init; } = 4;

    /// <summary>Requests that may wait for a free slot; one more is refused with <see cref="GeneratorBusyException"/>. Default 64.</summary>
    public int QueueLimit { get; init; } = 64;

    /// <summary>
    /// Prompt tokens a newcomer feeds per step while other streams are decoding: larger chunks start it sooner, smaller
    /// ones keep the running streams' token rate steadier. When nothing else runs, prompts go in batches of
    /// <see cref="ModelOptions.BatchSize"/>. Default 32.
    /// </summary>
    public int PrefillChunk { get; init; } = 32;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Slots is < 1 or > 256)
        {
            throw new ArgumentException($"Slots = {Slots} is invalid: it must be in 1..256.", nameof(Slots));
        }

        if (QueueLimit is < 0 or > 1_000_000)
        {
            throw new ArgumentException($"QueueLimit = {QueueLimit} is invalid: it must be in 0..1000000.", nameof(QueueLimit));
        }

        if (PrefillChunk is < 1 or > 4096)
        {
            throw new ArgumentException($"PrefillChunk = {PrefillChunk} is invalid: it must be in 1..4096.", nameof(PrefillChunk));
        }
    }
}
