using System.Globalization;
using System.Text.Json;
using BitNative.Generation;
using BitNative.Tests.Generation;
using Xunit;

namespace BitNative.Tests.Cli;

public sealed class CliTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public async Task RunStreamsTheSameGreedyTextAsTheApi()
    {
        var cli = CliRunner.Run("run", "-m", fixture.Path, "-p", "The old fisherman", "-n", "12", "--temp", "0", "-t", "1");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Contains("tok/s", cli.Stderr);
        Assert.Contains("peak RSS", cli.Stderr);

        using InferenceSession session = fixture.Model.CreateSession();
        var api = new System.Text.StringBuilder();
        await foreach (string piece in session.GenerateAsync("The old fisherman",
                           new GenerationSettings { MaxTokens = 12, Sampling = SamplingOptions.Greedy }, TestContext.Current.CancellationToken))
        {
            api.Append(piece);
        }

        Assert.Equal(api.ToString(), cli.Stdout.TrimEnd('\n'));
    }

    [Theory]
    [InlineData("-n", "-5")]
    [InlineData("--top-p", "1.5")]
    [InlineData("--top-k", "-3")]
    [InlineData("-t", "1000")]
    [InlineData("--min-p", "2")]
    public void BadOptionsGiveAClearErrorAndExitCode(string option, string value)
    {
        var r = CliRunner.Run("run", "-m", fixture.Path, "-p", "x", option, value);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("must", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
    }

    [Fact]
    public void TooLongPromptIsReportedNotCrashed()
    {
        string prompt = string.Join(" ", Enumerable.Repeat("the boat and the harbour", 40));
        var r = CliRunner.Run("run", "-m", fixture.Path, "-p", prompt, "-c", "32", "-n", "4");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("context", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void MissingOrCorruptModelFilesAreClearErrors()
    {
        var missing = CliRunner.Run("run", "-m", Path.Combine(fixture.Folder, "nope.gguf"), "-p", "x");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("nope.gguf", missing.Stderr);

        string corrupt = Path.Combine(fixture.Folder, "corrupt.gguf");
        byte[] bytes = File.ReadAllBytes(fixture.Path);
        File.WriteAllBytes(corrupt, bytes.AsSpan(0, bytes.Length / 3).ToArray());
        var truncated = CliRunner.Run("run", "-m", corrupt, "-p", "x");
        Assert.Equal(1, truncated.ExitCode);
        Assert.Contains("corrupt.gguf", truncated.Stderr);
        Assert.DoesNotContain("   at ", truncated.Stderr);
    }

    [Fact]
    public void PerplexityReportsAnEstimate()
    {
        string text = Path.Combine(fixture.Folder, "text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat(BitNative.Authoring.Synthetic.SyntheticText.Sample, 2)));
        var r = CliRunner.Run("perplexity", "-m", fixture.Path, "-f", text, "-c", "64", "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string line = r.Stdout.Trim();
        Assert.StartsWith("Final estimate: PPL = ", line);
        double ppl = double.Parse(line.Split(' ')[4], CultureInfo.InvariantCulture);
        Assert.True(ppl > 1 && double.IsFinite(ppl), line);
    }

    [Fact]
    public void ScoreWritesTeacherForcedLogitsForEveryPosition()
    {
        string output = Path.Combine(fixture.Folder, "logits.f32");
        var r = CliRunner.Run("score", "-m", fixture.Path, "-p", "The seal", "--save-logits", output, "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        int[] ids = r.Stdout.Trim().Split(',').Select(int.Parse).ToArray();
        Assert.Equal(fixture.Model.Tokenize("The seal", addBos: true), ids);
        Assert.Equal((long)ids.Length * fixture.Model.Config.VocabSize * 4, new FileInfo(output).Length);

        // The same ids through --ids give the same file; and the logits equal the API's teacher-forced ones.
        string again = Path.Combine(fixture.Folder, "logits2.f32");
        Assert.Equal(0, CliRunner.Run("score", "-m", fixture.Path, "--ids", string.Join(",", ids), "--save-logits", again).ExitCode);
        Assert.Equal(File.ReadAllBytes(output), File.ReadAllBytes(again));
        using InferenceSession session = fixture.Model.CreateSession();
        float[] expected = session.EvaluateAll(ids);
        float[] written = new float[expected.Length];
        Buffer.BlockCopy(File.ReadAllBytes(output), 0, written, 0, written.Length * 4);
        Assert.Equal(expected, written);

        var bad = CliRunner.Run("score", "-m", fixture.Path, "--ids", "1,x", "--save-logits", output);
        Assert.Equal(2, bad.ExitCode);
        var both = CliRunner.Run("score", "-m", fixture.Path, "--ids", "1", "-p", "a", "--save-logits", output);
        Assert.NotEqual(0, both.ExitCode);
    }

    [Fact]
    public void InspectDescribesTheFileAsTextAndJson()
    {
        var text = CliRunner.Run("inspect", fixture.Path);
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("bitnet-b1.58", text.Stdout);
        Assert.Contains("blk.0.attn_q.weight", text.Stdout);
        Assert.Contains("rule of thumb", text.Stdout);

        var json = CliRunner.Run("inspect", fixture.Path, "--json");
        using JsonDocument doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal("bitnet-b1.58", doc.RootElement.GetProperty("Architecture").GetString());
        Assert.Equal(2 + 11 * 2, doc.RootElement.GetProperty("Tensors").GetArrayLength());
        Assert.True(doc.RootElement.GetProperty("BitsPerWeight").GetDouble() > 1.5);
    }

    [Fact]
    public void InspectPlanPrintsTheKernelPlanAndIsaForcesIt()
    {
        var cache = new Dictionary<string, string> { ["BITNATIVE_CACHE_DIR"] = Path.Combine(fixture.Folder, "plan-cache") };
        var text = CliRunner.RunWithEnvironment(cache, "inspect", fixture.Path, "--plan", "-t", "1");
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("kernel plan (1 thread(s)", text.Stdout);
        Assert.Contains("256x256", text.Stdout);

        var json = CliRunner.RunWithEnvironment(cache, "inspect", fixture.Path, "--plan", "--json", "--isa", "ref", "-t", "1");
        Assert.True(json.ExitCode == 0, json.Stderr);
        using JsonDocument doc = JsonDocument.Parse(json.Stdout);
        JsonElement plan = doc.RootElement.GetProperty("KernelPlan");
        Assert.True(plan.GetArrayLength() > 0);
        foreach (JsonElement row in plan.EnumerateArray())
        {
            Assert.Equal("ref", row.GetProperty("Gemv").GetString());
            Assert.Equal("ref", row.GetProperty("Gemm").GetString());
        }

        var bad = CliRunner.Run("inspect", fixture.Path, "--plan", "--isa", "mmx");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("--isa mmx is not an instruction set this CPU runs", bad.Stderr);
        var badEnvironment = CliRunner.RunWithEnvironment(new Dictionary<string, string> { ["BITNATIVE_ISA"] = "mmx" },
            "run", "-m", fixture.Path, "-p", "x", "-n", "1");
        Assert.NotEqual(0, badEnvironment.ExitCode);
        Assert.Contains("BITNATIVE_ISA=mmx", badEnvironment.Stderr);
    }

    [Fact]
    public void MakeModelWritesLoadableFilesAndRejectsBadShapes()
    {
        string path = Path.Combine(fixture.Folder, "custom.gguf");
        var r = CliRunner.Run("make-model", "--shape", "custom:d=256,layers=1,ff=512,heads=2,kv=1,vocab=400,ctx=64",
            "--weights", "tq1_0", "--arch", "bitnet", "--head", "q8_0", "--seed", "5", "-o", path);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var model = BitNetModel.Load(path, new ModelOptions { Threads = 1 });
        Assert.Equal(1, model.Config.BlockCount);
        Assert.Equal(BitNative.Model.ModelArchitecture.BitNet, model.Config.Architecture);

        var bad = CliRunner.Run("make-model", "--shape", "custom:d=100", "-o", path);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("multiples of 128", bad.Stderr);
        var badWeights = CliRunner.Run("make-model", "--weights", "q4_0", "-o", path);
        Assert.Equal(2, badWeights.ExitCode);
        var noVocab = CliRunner.Run("make-model", "--shape", "2b4t", "-o", path);
        Assert.Contains("--vocab", noVocab.Stderr);
    }
}
