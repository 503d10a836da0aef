using System.ClientModel;
using BitNative.Generation;
using OpenAI;
using OpenAI.Chat;
using Xunit;

namespace BitNative.Tests.Serving;

/// <summary>The official OpenAI .NET SDK against a running <c>bitnative serve</c>.</summary>
public sealed class OpenAiSdkTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ChatClient Client(string key = ServerFixture.ApiKey) =>
        new("tiny-test", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl, "/v1"), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });

    private static ChatCompletionOptions Greedy(int max) => new() { MaxOutputTokenCount = max, Temperature = 0 };

    /// <summary>What the model says to <paramref name="user"/> when the request runs alone, in this process.</summary>
    private async Task<string> Alone(string user, int max)
    {
        using InferenceSession session = server.Model.CreateSession();
        var text = new System.Text.StringBuilder();
        await foreach (string piece in session.ChatAsync([BitNative.ChatMessage.User(user)],
                           new GenerationSettings { MaxTokens = max, Sampling = SamplingOptions.Greedy }, Ct))
        {
            text.Append(piece);
        }

        return text.ToString();
    }

    [Fact]
    public async Task PlainCompletionHasTheTextUsageAndFinishReason()
    {
        ChatCompletion reply = (await Client().CompleteChatAsync([new UserChatMessage("Where is the boat?")], Greedy(12), Ct)).Value;
        Assert.Equal(await Alone("Where is the boat?", 12), reply.Content.Count == 0 ? "" : reply.Content[0].Text);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Length, reply.FinishReason);
        Assert.Equal(12, reply.Usage.OutputTokenCount);
        Assert.Equal(server.Model.TokenizeChat([BitNative.ChatMessage.User("Where is the boat?")]).Length, reply.Usage.InputTokenCount);
        Assert.Equal("tiny-test", reply.Model);
    }

    [Fact]
    public async Task StreamingGivesTheSameTextInPiecesThenTheFinishReasonAndUsage()
    {
        var text = new System.Text.StringBuilder();
        OpenAI.Chat.ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        int pieces = 0;
        await foreach (StreamingChatCompletionUpdate update in Client().CompleteChatStreamingAsync(
                           [new SystemChatMessage("Be brief."), new UserChatMessage("Tell me about the storm.")], Greedy(16), Ct))
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                text.Append(part.Text);
                pieces++;
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        using InferenceSession session = server.Model.CreateSession();
        var alone = new System.Text.StringBuilder();
        await foreach (string piece in session.ChatAsync([BitNative.ChatMessage.System("Be brief."), BitNative.ChatMessage.User("Tell me about the storm.")],
                           new GenerationSettings { MaxTokens = 16, Sampling = SamplingOptions.Greedy }, Ct))
        {
            alone.Append(piece);
        }

        Assert.Equal(alone.ToString(), text.ToString());
        Assert.True(pieces > 1, "the reply came in one piece");
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Length, finish);
        Assert.Equal(16, usage?.OutputTokenCount);
    }

    [Fact]
    public async Task EightConcurrentGreedyStreamsGiveWhatEachGivesAlone()
    {
        string[] questions = ["The storm", "Her mother", "People asked", "In 1984", "A kilogram", "The boat", "Where is", "The market"];
        string[] together = await Task.WhenAll(questions.Select(async q =>
            (await Client().CompleteChatAsync([new UserChatMessage(q)], Greedy(20), Ct)).Value is { } r && r.Content.Count > 0 ? r.Content[0].Text : ""));
        var alone = new List<string>();
        foreach (string q in questions)
        {
            alone.Add(await Alone(q, 20));
        }

        Assert.Equal(alone, together);
    }

    [Fact]
    public async Task StopSequencesEndTheReplyBeforeThem()
    {
        string full = await Alone("Where is the market?", 24);
        Assert.True(full.Length > 6, $"greedy output too short to test: '{full}'");
        string stop = full.Substring(full.Length / 2, 3);
        ChatCompletionOptions options = Greedy(24);
        options.StopSequences.Add(stop);
        ChatCompletion reply = (await Client().CompleteChatAsync([new UserChatMessage("Where is the market?")], options, Ct)).Value;
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], reply.Content.Count == 0 ? "" : reply.Content[0].Text);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, reply.FinishReason);
    }

    [Fact]
    public async Task InvalidFieldsAndAWrongKeyAreErrorsNamingTheProblem()
    {
        var bad = new ChatCompletionOptions { Temperature = 7 };
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Client().CompleteChatAsync([new UserChatMessage("Hi")], bad, Ct));
        Assert.Equal(400, e.Status);
        Assert.Contains("temperature", e.Message);

        var tooLong = string.Join(" ", Enumerable.Repeat("the harbour and the boats", ServerFixture.ContextLength / 4));
        e = await Assert.ThrowsAsync<ClientResultException>(() => Client().CompleteChatAsync([new UserChatMessage(tooLong)], Greedy(4), Ct));
        Assert.Equal(400, e.Status);
        Assert.Contains("context_length_exceeded", e.Message);

        e = await Assert.ThrowsAsync<ClientResultException>(() => Client("wrong-key").CompleteChatAsync([new UserChatMessage("Hi")], Greedy(4), Ct));
        Assert.Equal(401, e.Status);
    }

    [Fact]
    public async Task CancellingAStreamFreesItsSlot()
    {
        double generatedBefore = server.Metric("bitnative_generated_tokens_total");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var endless = new ChatCompletionOptions { MaxOutputTokenCount = 100_000, Temperature = 0 };
        int pieces = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (StreamingChatCompletionUpdate _ in Client().CompleteChatStreamingAsync([new UserChatMessage("Go on and on")], endless, cts.Token))
            {
                if (++pieces == 3)
                {
                    cts.Cancel();
                }
            }
        });

        // The server notices the closed connection and frees the slot before its next step.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (server.Metric("bitnative_slots_busy") > 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, Ct);
        }

        Assert.Equal(0, server.Metric("bitnative_slots_busy"));
        // ... before the reply filled the context (the server runs ahead of the client's reading, so not much sooner)
        double generated = server.Metric("bitnative_generated_tokens_total") - generatedBefore;
        Assert.True(generated < ServerFixture.ContextLength - 32, $"{generated} tokens generated: the whole context, the cancellation was not seen");
    }
}
