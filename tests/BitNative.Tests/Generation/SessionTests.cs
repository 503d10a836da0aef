using BitNative.Generation;
using Xunit;

namespace BitNative.Tests.Generation;

public sealed class SessionTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly GenerationSettings Greedy = new() { MaxTokens = 16, Sampling = SamplingOptions.Greedy };

    private static async Task<string> Collect(IAsyncEnumerable<string> stream)
    {
        var text = new System.Text.StringBuilder();
        await foreach (string piece in stream)
        {
            text.Append(piece);
        }

        return text.ToString();
    }

    [Fact]
    public async Task GreedyGenerationIsDeterministicAndReportsStatistics()
    {
        using InferenceSession a = fixture.Model.CreateSession(), b = fixture.Model.CreateSession();
        string first = await Collect(a.GenerateAsync("The fisherman", Greedy, Ct));
        string second = await Collect(b.GenerateAsync("The fisherman", Greedy, Ct));
        Assert.Equal(first, second);
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.Equal(FinishReason.MaxTokens, a.LastStatistics!.FinishReason);
        Assert.Equal(16, a.LastStatistics.GeneratedTokens);
        Assert.Equal(fixture.Model.Tokenize("The fisherman", addBos: true).Length, a.LastStatistics.PromptTokens);
    }

    [Fact]
    public async Task SeededSamplingReproducesAndDifferentSeedsDiffer()
    {
        var hot = new GenerationSettings { MaxTokens = 24, Sampling = new SamplingOptions { Temperature = 500f, TopK = 0, TopP = 1f, MinP = 0f, Seed = 11 } };
        async Task<int[]> Run(GenerationSettings s)
        {
            using InferenceSession session = fixture.Model.CreateSession();
            await Collect(session.GenerateAsync("A kilogram of fish", s, Ct));
            return session.Tokens.ToArray();
        }

        Assert.Equal(await Run(hot), await Run(hot));
        Assert.NotEqual(await Run(hot), await Run(hot with { Sampling = hot.Sampling with { Seed = 12 } }));
    }

    [Fact]
    public async Task StopStringEndsTheOutputBeforeIt()
    {
        using InferenceSession probe = fixture.Model.CreateSession();
        string full = await Collect(probe.GenerateAsync("The market", Greedy, Ct));
        Assert.True(full.Length > 6, $"greedy output too short to test: '{full}'");
        string stop = full.Substring(full.Length / 2, 3);
        using InferenceSession session = fixture.Model.CreateSession();
        string cut = await Collect(session.GenerateAsync("The market", Greedy with { StopStrings = [stop] }, Ct));
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], cut);
        Assert.Equal(FinishReason.StopString, session.LastStatistics!.FinishReason);
    }

    [Fact]
    public async Task EndOfGenerationTokenStops()
    {
        int eot = fixture.Model.Tokenizer.EotId!.Value;
        var forceEot = Greedy with { Sampling = SamplingOptions.Greedy with { LogitBias = new Dictionary<int, float> { [eot] = 1000f } } };
        using InferenceSession session = fixture.Model.CreateSession();
        Assert.Equal("", await Collect(session.GenerateAsync("Hello", forceEot, Ct)));
        Assert.Equal(FinishReason.EndOfGeneration, session.LastStatistics!.FinishReason);
        Assert.Equal(0, session.LastStatistics.GeneratedTokens);
        string ignored = await Collect(session.GenerateAsync(" again", forceEot with { StopOnEndOfGeneration = false, MaxTokens = 3 }, Ct));
        Assert.Equal(3, session.LastStatistics!.GeneratedTokens);
    }

    [Fact]
    public async Task CancellationStopsMidGeneration()
    {
        using InferenceSession session = fixture.Model.CreateSession();
        using var cts = new CancellationTokenSource();
        int pieces = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (string _ in session.GenerateAsync("The boat", Greedy with { MaxTokens = 200 }, cts.Token))
            {
                if (++pieces == 2)
                {
                    cts.Cancel();
                }
            }
        });
        Assert.Equal(FinishReason.Cancelled, session.LastStatistics!.FinishReason);
        Assert.True(session.LastStatistics.GeneratedTokens < 10);
    }

    [Fact]
    public async Task ConcurrentSessionsOnOneModelGiveTheSameResultsAsSequential()
    {
        string[] prompts = ["The storm", "Her mother", "People asked", "In 1984"];
        var sequential = new List<string>();
        foreach (string p in prompts)
        {
            using InferenceSession s = fixture.Model.CreateSession();
            sequential.Add(await Collect(s.GenerateAsync(p, Greedy, Ct)));
        }

        string[] concurrent = await Task.WhenAll(prompts.Select(p => Task.Run(async () =>
        {
            using InferenceSession s = fixture.Model.CreateSession();
            return await Collect(s.GenerateAsync(p, Greedy, Ct));
        })));
        Assert.Equal(sequential, concurrent);
    }

    [Fact]
    public async Task TooLongPromptIsAClearErrorAndAFullContextStopsGeneration()
    {
        using var small = BitNetModel.Load(fixture.Path, new ModelOptions { Threads = 1, ContextLength = 12 });
        using InferenceSession session = small.CreateSession();
        string longPrompt = string.Join(" ", Enumerable.Repeat("the harbour and the boats", 10));
        var e = await Assert.ThrowsAsync<ContextLengthExceededException>(() => Collect(session.GenerateAsync(longPrompt, Greedy, Ct)));
        Assert.Contains("12", e.Message);
        Assert.Equal(0, session.Position);

        await Collect(session.GenerateAsync("The boat", Greedy with { MaxTokens = 100 }, Ct));
        Assert.Equal(FinishReason.ContextFull, session.LastStatistics!.FinishReason);
        Assert.Equal(12, session.Position);
    }

    [Fact]
    public async Task ChatReusesTheCachedConversationPrefix()
    {
        using InferenceSession session = fixture.Model.CreateSession();
        var messages = new List<ChatMessage> { ChatMessage.System("Be brief."), ChatMessage.User("Where is the boat?") };
        string reply = await Collect(session.ChatAsync(messages, Greedy, Ct));
        int firstPrompt = session.LastStatistics!.PromptTokens;
        messages.Add(ChatMessage.Assistant(reply));
        messages.Add(ChatMessage.User("And the seal?"));
        await Collect(session.ChatAsync(messages, Greedy, Ct));
        Assert.True(session.LastStatistics!.PromptTokens < firstPrompt + 8,
            $"second turn re-evaluated {session.LastStatistics.PromptTokens} tokens");

        // The same conversation from scratch gives the same reply: prefix reuse changes nothing.
        using InferenceSession fresh = fixture.Model.CreateSession();
        messages.RemoveAt(messages.Count - 1);
        messages.RemoveAt(messages.Count - 1);
        Assert.Equal(reply, await Collect(fresh.ChatAsync(messages, Greedy, Ct)));
    }

    [Fact]
    public void UserTextNeverBecomesControlTokens()
    {
        int eot = fixture.Model.Tokenizer.EotId!.Value;
        Assert.DoesNotContain(eot, fixture.Model.Tokenize("Hi <|eot_id|> there", addBos: false));
    }

    [Fact]
    public void BadTokenIdsAndSettingsAreRejected()
    {
        using InferenceSession session = fixture.Model.CreateSession();
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Evaluate([fixture.Model.Config.VocabSize]));
        Assert.Throws<ArgumentException>(() => session.GenerateAsync("x", new GenerationSettings { MaxTokens = -1 }, Ct));
        Assert.Throws<ArgumentException>(() => session.GenerateAsync("x", new GenerationSettings { StopStrings = [""] }, Ct));
        Assert.Throws<ArgumentException>(() => BitNetModel.Load(fixture.Path, new ModelOptions { Threads = -2 }));
    }
}
