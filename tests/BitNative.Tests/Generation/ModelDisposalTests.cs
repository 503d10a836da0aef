using System.Diagnostics;
using BitNative.Chat;
using BitNative.Generation;
using BitNative.Authoring.Synthetic;
using BitNative.Tests.Formats;
using Microsoft.Extensions.AI;
using Xunit;

namespace BitNative.Tests.Generation;

/// <summary>
/// Disposing a model while its sessions and batched generator run: Dispose waits for the forward passes under way, and
/// everything started from the model then throws <see cref="ObjectDisposedException"/>, never touching freed weights or
/// the freed thread pool (which, before the lifetime gate, crashed the process with SIGSEGV in about half the trials).
/// </summary>
public sealed class ModelDisposalTests : IDisposable
{
    private const int Sessions = 8;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly GenerationSettings Endless =
        new() { MaxTokens = 100_000, StopOnEndOfGeneration = false, Sampling = SamplingOptions.Greedy };

    private readonly TempFolder _folder = new();
    private readonly string _path;
    private readonly ModelOptions _options;

    public ModelDisposalTests()
    {
        _path = _folder.File("tiny.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.Parse("tiny", SyntheticWeights.I2S, SyntheticHead.F16, "bitnet-b1.58", 3, null), _path);
        // Weights copied into native (huge-page) buffers and a native thread pool: both freed by Dispose, so a forward pass
        // after it would read unmapped memory. The plan cache makes every load after the first skip measuring.
        _options = new ModelOptions { Threads = 2, BatchSize = 8, ContextLength = 256, CacheDirectory = _folder.File("cache") };
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task DisposingWhileEightSessionsAndAGeneratorRunNeverCrashesAndEndsEveryCallWithObjectDisposed()
    {
        const int iterations = 200;
        var clock = Stopwatch.StartNew();
        int disposedMidRun = 0, streamsEnded = 0;
        for (int i = 0; i < iterations; i++)
        {
            var random = new Random(i); // the dispose point of each iteration is fixed; the interleaving is the scheduler's
            BitNetModel model = BitNetModel.Load(_path, _options);
            using var started = new CountdownEvent(Sessions);
            using var go = new ManualResetEventSlim(false); // threads start idle: a busy one would delay the next Start
            var evaluated = new int[Sessions];
            var failures = new Exception?[Sessions];
            Thread[] sessions = Enumerable.Range(0, Sessions).Select(s => new Thread(() =>
            {
                try
                {
                    evaluated[s] = RunSession(model, s, started, go);
                }
                catch (Exception e)
                {
                    failures[s] = e;
                }
            })).ToArray();
            var generator = new BatchedGenerator(model, new BatchedGeneratorOptions { Slots = 2, PrefillChunk = 4 });
            Array.ForEach(sessions, t => t.Start());
            Assert.True(started.Wait(TimeSpan.FromSeconds(30), Ct), "sessions did not start");
            GenerationStream[] streams = [generator.Start("The boat", Endless, Ct), generator.Start("The storm", Endless, Ct)];
            go.Set();

            // Dispose at a random point: at once, after a yield, or 1-3 ms into the run (tens of forward passes).
            int wait = random.Next(5);
            if (wait > 0)
            {
                Thread.Sleep(wait - 1);
            }

            model.Dispose();

            Array.ForEach(sessions, t => t.Join());
            Assert.All(failures, f => Assert.Null(f));
            disposedMidRun += evaluated.Count(t => t > 0);
            foreach (GenerationStream stream in streams)
            {
                try
                {
                    // Ended by the dispose, or (rarely) filled its context before it.
                    Assert.Equal(FinishReason.ContextFull, (await stream.ReadToEndAsync(Ct)).FinishReason);
                }
                catch (ObjectDisposedException)
                {
                    streamsEnded++;
                }

                stream.Dispose();
            }

            // Every later call refuses at once, every time.
            Assert.Throws<ObjectDisposedException>(() => model.CreateSession());
            Assert.Throws<ObjectDisposedException>(() => generator.Start("The boat", Endless, Ct));
            generator.Dispose();
            model.Dispose(); // a second Dispose is a no-op
        }

        // Many sessions are disposed mid-generation (the others before their first token).
        Assert.True(disposedMidRun > iterations * Sessions / 4, $"only {disposedMidRun} sessions were disposed mid-generation");
        Assert.True(streamsEnded > iterations, $"only {streamsEnded} batched streams were ended by the dispose");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{iterations} iterations x {Sessions} sessions + 2 batched streams in {clock.Elapsed.TotalSeconds:F1} s, {disposedMidRun} disposed mid-generation, {streamsEnded} streams ended by it, 0 crashes");
    }

    [Fact]
    public async Task AChatClientStreamingWhenItsModelIsDisposedEndsWithObjectDisposedAndRefusesNewRequests()
    {
        BitNetModel model = BitNetModel.Load(_path, _options);
        using var client = new BitNetChatClient(model, new BitNetChatClientOptions { Slots = 2 });
        var options = new ChatOptions { MaxOutputTokens = 100_000, Temperature = 0 };
        int updates = 0;
        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync("Where is the boat?", options, Ct))
            {
                if (++updates == 3)
                {
                    model.Dispose(); // from the consumer's own thread, between two tokens
                }
            }
        });
        Assert.True(updates >= 3);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetResponseAsync("Hello", options, Ct));
    }

    /// <summary>
    /// Decodes greedily, token by token (even sessions) or in prompt-sized batches (odd ones), until the model goes away;
    /// returns the tokens evaluated before. Any exception but ObjectDisposed fails the test.
    /// </summary>
    private static int RunSession(BitNetModel model, int index, CountdownEvent started, ManualResetEventSlim go)
    {
        InferenceSession session;
        try
        {
            session = model.CreateSession();
        }
        catch (ObjectDisposedException)
        {
            started.Signal();
            return 0;
        }

        started.Signal();
        go.Wait();
        using (session)
        {
            int[] batch = [1, 2 + index, 3, 4, 5, 6, 7, 8];
            try
            {
                while (true)
                {
                    if (session.Position + batch.Length > session.ContextLength)
                    {
                        session.Reset();
                    }

                    if (index % 2 == 0)
                    {
                        session.Evaluate(batch.AsSpan(0, 1));
                        batch[0] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(session.Logits);
                    }
                    else
                    {
                        session.EvaluateAll(batch);
                    }
                }
            }
            catch (ObjectDisposedException)
            {
            }

            int evaluated = session.Position;
            Assert.Throws<ObjectDisposedException>(() => session.Evaluate([1]));
            Assert.Throws<ObjectDisposedException>(() => session.EvaluateAll([1, 2]));
            return evaluated;
        }
    }
}
