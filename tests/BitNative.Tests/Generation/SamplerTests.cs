using BitNative.Generation;
using Xunit;

namespace BitNative.Tests.Generation;

public sealed class SamplerTests
{
    private static readonly float[] Logits = [1.0f, 3.0f, 2.5f, -1.0f, 0.5f, 2.9f];

    private static int[] Draw(SamplingOptions options, int count, float[]? logits = null, int[]? history = null)
    {
        var sampler = new Sampler(options, (logits ?? Logits).Length);
        return Enumerable.Range(0, count).Select(_ => sampler.Sample(logits ?? Logits, history ?? [])).ToArray();
    }

    [Fact]
    public void GreedyPicksTheArgmax() => Assert.All(Draw(SamplingOptions.Greedy, 5), t => Assert.Equal(1, t));

    [Fact]
    public void LogitBiasBansAndForcesTokens()
    {
        var ban = SamplingOptions.Greedy with { LogitBias = new Dictionary<int, float> { [1] = float.NegativeInfinity } };
        Assert.All(Draw(ban, 3), t => Assert.Equal(5, t));
        var force = new SamplingOptions { Seed = 1, LogitBias = new Dictionary<int, float> { [3] = 100f } };
        Assert.All(Draw(force, 50), t => Assert.Equal(3, t));
    }

    [Fact]
    public void TopKKeepsOnlyTheKMostLikely()
    {
        int[] draws = Draw(new SamplingOptions { Seed = 2, TopK = 2, TopP = 1f, MinP = 0f, Temperature = 5f, RepeatPenalty = 1f }, 400);
        Assert.All(draws, t => Assert.Contains(t, new[] { 1, 5 }));
        Assert.Contains(1, draws);
        Assert.Contains(5, draws);
        Assert.All(Draw(new SamplingOptions { Seed = 2, TopK = 1, Temperature = 5f }, 50), t => Assert.Equal(1, t));
    }

    [Fact]
    public void TopPKeepsTheSmallestLikelySet()
    {
        // Probabilities at T=1: token 1 ~ 0.34, 5 ~ 0.31, 2 ~ 0.21, ...: top-p 0.5 keeps {1, 5}.
        int[] draws = Draw(new SamplingOptions { Seed = 3, TopK = 0, TopP = 0.5f, MinP = 0f, Temperature = 1f }, 400);
        Assert.All(draws, t => Assert.Contains(t, new[] { 1, 5 }));
        Assert.Contains(5, draws);
    }

    [Fact]
    public void MinPDropsUnlikelyTokens()
    {
        // min-p 0.5: keep tokens with p >= 0.5 p(1): exp(2.5 - 3) = 0.61 passes, exp(1 - 3) = 0.14 does not.
        int[] draws = Draw(new SamplingOptions { Seed = 4, TopK = 0, TopP = 1f, MinP = 0.5f, Temperature = 1f }, 600);
        Assert.All(draws, t => Assert.Contains(t, new[] { 1, 2, 5 }));
        Assert.Contains(2, draws);
    }

    [Fact]
    public void TemperatureFlattensTheDistributionAndSeedsReproduce()
    {
        var hot = new SamplingOptions { Seed = 5, TopK = 0, TopP = 1f, MinP = 0f, Temperature = 50f, RepeatPenalty = 1f };
        int[] a = Draw(hot, 600);
        Assert.Equal(6, a.Distinct().Count()); // nearly uniform: every token appears
        Assert.Equal(a, Draw(hot, 600));        // same seed, same draws
        Assert.NotEqual(a, Draw(hot with { Seed = 6 }, 600));
        var cold = hot with { Temperature = 0.01f };
        Assert.All(Draw(cold, 100), t => Assert.Equal(1, t));
    }

    [Fact]
    public void RepetitionFrequencyAndPresencePenaltiesLowerRecentTokens()
    {
        float[] logits = [2.0f, 1.9f, -1.0f];
        Assert.Equal(0, Draw(SamplingOptions.Greedy with { RepeatPenalty = 1f }, 1, logits, [0])[0]);
        Assert.Equal(1, Draw(SamplingOptions.Greedy with { RepeatPenalty = 1.5f }, 1, logits, [0])[0]); // 2.0 / 1.5 < 1.9
        Assert.Equal(0, Draw(SamplingOptions.Greedy with { RepeatPenalty = 1.5f, RepeatLastN = 1 }, 1, logits, [0, 2])[0]);
        Assert.Equal(1, Draw(SamplingOptions.Greedy with { RepeatPenalty = 1f, FrequencyPenalty = 0.06f }, 1, logits, [0, 0])[0]);
        Assert.Equal(0, Draw(SamplingOptions.Greedy with { RepeatPenalty = 1f, FrequencyPenalty = 0.06f }, 1, logits, [0])[0]);
        Assert.Equal(1, Draw(SamplingOptions.Greedy with { RepeatPenalty = 1f, PresencePenalty = 0.2f }, 1, logits, [0])[0]);
        // A negative logit is made more negative by the repetition penalty.
        float[] negative = [-1.0f, -1.2f];
        Assert.Equal(1, Draw(SamplingOptions.Greedy with { RepeatPenalty = 1.5f }, 1, negative, [0])[0]);
    }

    [Theory]
    [InlineData("TopK")]
    [InlineData("TopP")]
    [InlineData("MinP")]
    [InlineData("RepeatPenalty")]
    [InlineData("LogitBias")]
    public void InvalidOptionsNameTheOption(string option)
    {
        SamplingOptions bad = option switch
        {
            "TopK" => new SamplingOptions { TopK = -1 },
            "TopP" => new SamplingOptions { TopP = 0f },
            "MinP" => new SamplingOptions { MinP = 2f },
            "RepeatPenalty" => new SamplingOptions { RepeatPenalty = 0f },
            _ => new SamplingOptions { LogitBias = new Dictionary<int, float> { [99] = 1f } },
        };
        var e = Assert.Throws<ArgumentException>(() => new Sampler(bad, 6));
        Assert.Equal(option, e.ParamName);
    }
}
