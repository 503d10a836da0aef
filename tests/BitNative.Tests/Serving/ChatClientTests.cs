using System.ClientModel;
using System.Diagnostics;
using BitNative.Chat;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;
using Xunit;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace BitNative.Tests.Serving;

/// <summary>
/// <see cref="BitNetChatClient"/> in process, and Microsoft.Extensions.AI.OpenAI's client against <c>bitnative serve</c>:
/// the same greedy conversation gives the same reply, usage and finish reason both ways.
/// </summary>
public sealed class ChatClientTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly AiChatMessage[] Conversation =
        [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Where is the boat?")];

    private static ChatOptions Greedy(int max) => new() { MaxOutputTokens = max, Temperature = 0 };

    private IChatClient Remote() => new OpenAI.Chat.ChatClient("tiny-test", new ApiKeyCredential(ServerFixture.ApiKey),
        new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl, "/v1") }).AsIChatClient();

    [Fact]
    public async Task InProcessAndOverHttpGiveTheSameReplyUsageAndFinishReason()
    {
        using var local = new BitNetChatClient(server.Model, new BitNetChatClientOptions { Slots = 2 });
        ChatResponse here = await local.GetResponseAsync(Conversation, Greedy(10), Ct);
        using IChatClient remote = Remote();
        ChatResponse there = await remote.GetResponseAsync(Conversation, Greedy(10), Ct);
        Assert.Equal(here.Text, there.Text);
        Assert.Equal(ChatFinishReason.Length, here.FinishReason);
        Assert.Equal(ChatFinishReason.Length, there.FinishReason);
        Assert.Equal(10, here.Usage!.OutputTokenCount);
        Assert.Equal(here.Usage.InputTokenCount, there.Usage!.InputTokenCount);
        Assert.Equal(here.Usage.OutputTokenCount, there.Usage.OutputTokenCount);
        Assert.Equal("tiny", here.ModelId);
    }

    [Fact]
    public async Task StreamingMatchesTheWholeResponseAndEndsWithUsage()
    {
        using var local = new BitNetChatClient(server.Model);
        ChatResponse whole = await local.GetResponseAsync(Conversation, Greedy(12), Ct);
        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate u in local.GetStreamingResponseAsync(Conversation, Greedy(12), Ct))
        {
            updates.Add(u);
        }

        ChatResponse combined = updates.ToChatResponse();
        Assert.Equal(whole.Text, combined.Text);
        Assert.Equal(ChatFinishReason.Length, combined.FinishReason);
        Assert.Equal(12, combined.Usage?.OutputTokenCount);

        using IChatClient remote = Remote();
        var remoteUpdates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate u in remote.GetStreamingResponseAsync(Conversation, Greedy(12), Ct))
        {
            remoteUpdates.Add(u);
        }

        Assert.Equal(whole.Text, remoteUpdates.ToChatResponse().Text);
    }

    [Fact]
    public async Task StopSequencesSeedAndPenaltiesMap()
    {
        using var local = new BitNetChatClient(server.Model);
        string full = (await local.GetResponseAsync(Conversation, Greedy(24), Ct)).Text;
        Assert.True(full.Length > 6, $"greedy output too short to test: '{full}'");
        string stop = full.Substring(full.Length / 2, 3);
        ChatOptions options = Greedy(24);
        options.StopSequences = [stop];
        ChatResponse cut = await local.GetResponseAsync(Conversation, options, Ct);
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], cut.Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);

        var hot = new ChatOptions { MaxOutputTokens = 16, Temperature = 1.5f, TopK = 0, TopP = 1f, Seed = 1L << 40, PresencePenalty = 0.5f };
        Assert.Equal((await local.GetResponseAsync(Conversation, hot, Ct)).Text, (await local.GetResponseAsync(Conversation, hot, Ct)).Text);
    }

    [Fact]
    public async Task JsonOutputToolsAndCancellationAreClear()
    {
        using var local = new BitNetChatClient(server.Model);
        var json = new ChatOptions { ResponseFormat = ChatResponseFormat.Json };
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => local.GetResponseAsync(Conversation, json, Ct));
        Assert.Contains("grammar", e.Message);
        var tools = new ChatOptions { Tools = [AIFunctionFactory.Create(() => 42, "answer")] };
        await Assert.ThrowsAsync<NotSupportedException>(() => local.GetResponseAsync(Conversation, tools, Ct));

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        int pieces = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ChatResponseUpdate _ in local.GetStreamingResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = 100_000 }, cts.Token))
            {
                if (++pieces == 2)
                {
                    cts.Cancel();
                }
            }
        });
        var generator = (BatchedGenerator)local.GetService(typeof(BatchedGenerator), null)!;
        Assert.True(SpinWait.SpinUntil(() => generator.Statistics.BusySlots == 0, 5000), "the cancelled request kept its slot");
    }

    [Fact]
    public async Task WorksUnderLoggingAndOpenTelemetryMiddleware()
    {
        const string source = "BitNative.Tests.ChatClient";
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Add,
        };
        ActivitySource.AddActivityListener(listener);
        var logs = new CapturingLoggerFactory();
        using IChatClient client = new ChatClientBuilder(new BitNetChatClient(server.Model))
            .UseLogging(logs)
            .UseOpenTelemetry(sourceName: source)
            .Build();
        ChatResponse reply = await client.GetResponseAsync(Conversation, Greedy(6), Ct);
        Assert.Equal(6, reply.Usage?.OutputTokenCount);
        Activity span = Assert.Single(activities);
        Assert.Equal("bitnative", span.GetTagItem("gen_ai.provider.name") ?? span.GetTagItem("gen_ai.system"));
        Assert.Equal(6, Convert.ToInt32(span.GetTagItem("gen_ai.usage.output_tokens"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(logs.Messages, m => m.Contains("GetResponseAsync", StringComparison.Ordinal));
    }

    /// <summary>Keeps every log message (the logging middleware logs invocations at Debug).</summary>
    private sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
    {
        public List<string> Messages { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
