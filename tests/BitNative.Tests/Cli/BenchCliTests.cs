using System.Text.Json;
using BitNative.Tests.Formats;
using BitNative.Tests.Generation;
using Xunit;

namespace BitNative.Tests.Cli;

/// <summary><c>bitnative bench</c>: its JSON document, its human output, option checks and the synthetic-model cache.</summary>
public sealed class BenchCliTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void JsonDescribesTheModelAndEachThreadCount()
    {
        var r = CliRunner.Run("bench", "-m", fixture.Path, "-p", "4", "-n", "4", "-r", "1", "--json", "-t", "1,2", "--kernel", "mad");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using JsonDocument doc = JsonDocument.Parse(r.Stdout); // stdout holds the document and nothing else
        JsonElement root = doc.RootElement;
        Assert.Equal(Path.GetFullPath(fixture.Path), root.GetProperty("modelPath").GetString());
        Assert.Equal(new FileInfo(fixture.Path).Length, root.GetProperty("modelBytes").GetInt64());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("synthetic").ValueKind);
        Assert.Equal("bitnet-b1.58", root.GetProperty("architecture").GetString());
        Assert.True(root.GetProperty("weightsBytesPerToken").GetInt64() > 0);
        Assert.False(string.IsNullOrEmpty(root.GetProperty("isa").GetString()));
        Assert.Equal("mad", root.GetProperty("kernel").GetString());
        Assert.Equal(8, root.GetProperty("activationBits").GetInt32());
        Assert.Equal("f16", root.GetProperty("headPrecision").GetString());
        Assert.Equal(4, root.GetProperty("promptTokens").GetInt32());
        Assert.Equal(4, root.GetProperty("genTokens").GetInt32());

        JsonElement[] runs = root.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal([1, 2], runs.Select(run => run.GetProperty("threads").GetInt32()));
        foreach (JsonElement run in runs)
        {
            Assert.Equal(64, run.GetProperty("contextLength").GetInt32());
            BitNative.Model.ModelConfig c = fixture.Model.Config;
            Assert.Equal(2L * 2 * c.BlockCount * 64 * c.KvDim, run.GetProperty("kvCacheBytes").GetInt64());
            foreach (string phase in new[] { "prefill", "decode" })
            {
                JsonElement s = run.GetProperty(phase);
                double median = s.GetProperty("median").GetDouble();
                Assert.True(median > 0 && double.IsFinite(median), $"{phase} median {median}");
                Assert.True(s.GetProperty("min").GetDouble() <= median && median <= s.GetProperty("max").GetDouble());
                Assert.Equal(1, s.GetProperty("samples").GetArrayLength());
            }

            Assert.True(run.GetProperty("msPerTokenMedian").GetDouble() > 0);
            Assert.True(run.GetProperty("peakRssBytesProcess").GetInt64() > 1 << 20);
            Assert.Contains(run.GetProperty("peakRssScope").GetString(), new[] { "run", "process" });
        }
    }

    [Fact]
    public void HumanOutputNamesSizeKernelActivationsAndContext()
    {
        var r = CliRunner.Run("bench", "-m", fixture.Path, "-p", "4", "-n", "4", "-r", "1", "-t", "1", "-c", "256", "--act", "int4");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("MiB)", r.Stdout);
        Assert.Contains("act int4", r.Stdout);
        Assert.Contains("kernel ", r.Stdout);
        Assert.Contains("ctx 256", r.Stdout);
        Assert.Contains("prefill pp4", r.Stdout);
        Assert.Contains("decode  tg4", r.Stdout);
        Assert.Contains("peak RSS", r.Stdout);
    }

    [Theory]
    [InlineData("mutually exclusive", "-m", "FIXTURE", "--synthetic", "small")]
    [InlineData("--synthetic huge is not one of small, 2b4t", "--synthetic", "huge")]
    [InlineData("--synthetic-head only applies with --synthetic", "-m", "FIXTURE", "--synthetic-head", "f16")]
    [InlineData("--synthetic-weights q4_0 is not one of", "--synthetic", "small", "--synthetic-weights", "q4_0")]
    [InlineData("cannot read I2_S", "--synthetic", "small", "--synthetic-arch", "bitnet")]
    [InlineData("-c 8 is too small", "-m", "FIXTURE", "-p", "16", "-n", "16", "-c", "8")]
    [InlineData("--threads '1,x'", "-m", "FIXTURE", "-t", "1,x")]
    public void BadOptionCombinationsAreClearErrors(string message, params string[] args)
    {
        using var cache = new TempFolder();
        var r = CliRunner.RunWithEnvironment(new Dictionary<string, string> { ["BITNATIVE_CACHE_DIR"] = cache.Path },
            ["bench", "-r", "1", .. args.Select(a => a == "FIXTURE" ? fixture.Path : a)]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Path)); // nothing generated
    }

    [Fact]
    public void SyntheticModelIsGeneratedOnceIntoTheCacheThenReused()
    {
        using var cache = new TempFolder();
        var environment = new Dictionary<string, string> { ["BITNATIVE_CACHE_DIR"] = cache.Path };
        string[] args = ["bench", "--synthetic", "small", "-p", "2", "-n", "2", "-r", "1", "-t", "1", "--json"];
        string expected = Path.Combine(cache.Path, "models", "synthetic-small-bitnet-b1.58-i2_s-q8_0-seed1.gguf");

        var first = CliRunner.RunWithEnvironment(environment, args);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("generated", first.Stderr);
        using (JsonDocument doc = JsonDocument.Parse(first.Stdout))
        {
            Assert.Equal(expected, doc.RootElement.GetProperty("modelPath").GetString());
            Assert.Equal(new FileInfo(expected).Length, doc.RootElement.GetProperty("modelBytes").GetInt64());
            JsonElement synthetic = doc.RootElement.GetProperty("synthetic");
            Assert.Equal("small", synthetic.GetProperty("shape").GetString());
            Assert.Equal("q8_0", doc.RootElement.GetProperty("headPrecision").GetString());
        }

        Assert.Single(Directory.GetFiles(Path.Combine(cache.Path, "models"))); // no partial file left behind
        DateTime written = File.GetLastWriteTimeUtc(expected);
        var second = CliRunner.RunWithEnvironment(environment, args);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("(cached)", second.Stderr);
        Assert.Equal(written, File.GetLastWriteTimeUtc(expected));
    }

    [Fact]
    public void Synthetic2B4TWithoutTheVocabularySaysHowToFetchIt()
    {
        using var folder = new TempFolder();
        var r = CliRunner.RunWithEnvironment(
            new Dictionary<string, string> { ["BITNATIVE_CACHE_DIR"] = folder.Path, ["BITNATIVE_TOKENIZER_DIR"] = folder.File("none") },
            "bench", "--synthetic", "2b4t", "-r", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("build/fetch-test-data.sh", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
