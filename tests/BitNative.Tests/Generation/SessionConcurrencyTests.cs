using BitNative.Generation;
using Xunit;

namespace BitNative.Tests.Generation;

/// <summary>A session runs one call at a time: a second call while one runs throws instead of corrupting the KV cache.</summary>
public sealed class SessionConcurrencyTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ACallDuringAnUnfinishedGenerationThrowsAndTheSessionWorksAfterIt()
    {
        using InferenceSession session = fixture.Model.CreateSession();
        var settings = new GenerationSettings { MaxTokens = 8, Sampling = SamplingOptions.Greedy };
        await using (IAsyncEnumerator<string> generation = session.GenerateAsync("The boat", settings, Ct).GetAsyncEnumerator(Ct))
        {
            Assert.True(await generation.MoveNextAsync()); // the generation owns the session until it ends or is disposed
            var busy = Assert.Throws<InvalidOperationException>(() => session.Evaluate([1]));
            Assert.Contains("one call at a time", busy.Message);
            Assert.Throws<InvalidOperationException>(() => session.EvaluateAll([1]));
            Assert.Throws<InvalidOperationException>(session.Reset);
        }

        session.Reset();
        session.Evaluate([1, 2, 3]);
        Assert.Equal(3, session.Position);
    }

    [Fact]
    public void FourThreadsOnOneSessionAreDetectedNotRaced()
    {
        using InferenceSession session = fixture.Model.CreateSession(); // 4 x 30 calls of 4 tokens fit its 512 positions
        int succeeded = 0, refused = 0;
        using var barrier = new Barrier(4);
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            barrier.SignalAndWait(Ct);
            for (int i = 0; i < 30; i++)
            {
                try
                {
                    session.EvaluateAll([1, 2, 3, 4]);
                    Interlocked.Increment(ref succeeded);
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.True(refused > 0, $"{succeeded} calls ran and none overlapped: the test did not race");
        Assert.True(succeeded > 0);
        Assert.Equal(0, session.Position % 4); // whole calls only: no call evaluated half its tokens into another's positions
    }
}
