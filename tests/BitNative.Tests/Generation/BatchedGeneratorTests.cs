using BitNative.Generation;
using Xunit;

namespace BitNative.Tests.Generation;

public sealed class BatchedGeneratorTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly GenerationSettings Greedy = new() { MaxTokens = 24, Sampling = SamplingOptions.Greedy };

    private static readonly string[] Prompts =
        ["The storm", "Her mother said", "People asked", "In 1984 the", "A kilogram of fish", "The boat", "Where is", "The market was full of"];

    private async Task<(string Text, FinishReason FinishReason, int GeneratedTokens)> Alone(string prompt, GenerationSettings settings)
    {
        using InferenceSession session = fixture.Model.CreateSession();
        var text = new System.Text.StringBuilder();
        await foreach (string piece in session.GenerateAsync(prompt, settings, Ct))
        {
            text.Append(piece);
        }

        return (text.ToString(), session.LastStatistics!.FinishReason, session.LastStatistics.GeneratedTokens);
    }

    [Theory]
    [InlineData(8, 32)] // every stream in its own slot, prompts prefilled in chunks while others decode
    [InlineData(3, 2)]  // more streams than slots: the rest wait in the queue and join as slots free up
    public async Task ConcurrentGreedyStreamsGiveTheTextEachGivesAlone(int slots, int prefillChunk)
    {
        var alone = new List<(string, FinishReason, int)>();
        foreach (string p in Prompts)
        {
            alone.Add(await Alone(p, Greedy));
        }

        Assert.Contains(alone, a => a.Item2 == FinishReason.MaxTokens); // most streams run the full length

        using var generator = new BatchedGenerator(fixture.Model, new BatchedGeneratorOptions { Slots = slots, PrefillChunk = prefillChunk });
        var streams = Prompts.Select(p => generator.Start(p, Greedy, Ct)).ToList();
        var together = await Task.WhenAll(streams.Select(s => s.ReadToEndAsync(Ct)));
        Assert.Equal(alone, together);
        Assert.Equal(alone.Sum(a => a.Item3), generator.Statistics.GeneratedTokens);
        streams.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task StopStringsAndEndOfGenerationEndAStreamAsInASession()
    {
        string full = (await Alone("The market", Greedy)).Text;
        string stop = full.Substring(full.Length / 2, 3);
        using var generator = new BatchedGenerator(fixture.Model, new BatchedGeneratorOptions { Slots = 2 });
        using GenerationStream cut = generator.Start("The market", Greedy with { StopStrings = [stop] }, Ct);
        var (text, reason, _) = await cut.ReadToEndAsync(Ct);
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], text);
        Assert.Equal(FinishReason.StopString, reason);

        int eot = fixture.Model.Tokenizer.EotId!.Value;
        var forceEot = Greedy with { Sampling = SamplingOptions.Greedy with { LogitBias = new Dictionary<int, float> { [eot] = 1000f } } };
        using GenerationStream ended = generator.Start("Hello", forceEot, Ct);
        Assert.Equal(("", FinishReason.EndOfGeneration, 0), await ended.ReadToEndAsync(Ct));
    }

    [Fact]
    public async Task ACancelledStreamFreesItsSlotForTheNextRequestWithinOneStep()
    {
        using var generator = new BatchedGenerator(fixture.Model, new BatchedGeneratorOptions { Slots = 1 });
        var endless = Greedy with { MaxTokens = 100_000, StopOnEndOfGeneration = false };
        using GenerationStream first = generator.Start("The boat", endless, Ct);
        await using IAsyncEnumerator<GenerationChunk> reader = first.GetAsyncEnumerator(Ct);
        Assert.True(await reader.MoveNextAsync());
        using GenerationStream second = generator.Start("The storm", Greedy, Ct);
        Assert.Equal(1, generator.Statistics.QueueDepth);

        first.Cancel();
        await using IAsyncEnumerator<GenerationChunk> next = second.GetAsyncEnumerator(Ct);
        Assert.True(await next.MoveNextAsync());
        // The cancelled request left its slot and the waiting one took it before the same step: no step ran in between.
        Assert.True(first.ReleasedAtStep >= 0);
        Assert.Equal(first.ReleasedAtStep, second.AdmittedAtStep);
        while (await reader.MoveNextAsync())
        {
            Assert.True(reader.Current.FinishReason is null or FinishReason.Cancelled);
        }
    }

    [Fact]
    public void AFullQueueAndATooLongPromptAreRefusedAtOnce()
    {
        using var generator = new BatchedGenerator(fixture.Model, new BatchedGeneratorOptions { Slots = 1, QueueLimit = 1 });
        var endless = Greedy with { MaxTokens = 100_000, StopOnEndOfGeneration = false };
        using GenerationStream running = generator.Start("The boat", endless, Ct);
        SpinWait.SpinUntil(() => generator.Statistics.BusySlots == 1, 5000);
        using GenerationStream waiting = generator.Start("The boat", endless, Ct);
        Assert.Throws<GeneratorBusyException>(() => generator.Start("The boat", endless, Ct));

        int[] tooLong = Enumerable.Repeat(fixture.Model.Tokenize("the", addBos: false)[0], generator.ContextLength + 1).ToArray();
        Assert.Throws<ContextLengthExceededException>(() => generator.Start(tooLong, Greedy, Ct));
        Assert.Throws<ArgumentException>(() => generator.Start(Array.Empty<int>(), Greedy, Ct));
    }
}
