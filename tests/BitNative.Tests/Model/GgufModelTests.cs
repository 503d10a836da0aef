using BitNative.Model;
using BitNative.Model.Synthetic;
using BitNative.Tests.Formats;
using Xunit;

namespace BitNative.Tests.Model;

/// <summary>
/// Synthetic GGUF files of every weight type, head type and both architectures go through the real loader and the
/// native forward pass, and must match the plain reference built from the same file at every position.
/// </summary>
public sealed class GgufModelTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string, string, string, bool> Files => new()
    {
        { "I2S", "F16", "bitnet-b1.58", true },
        { "Tq2", "F16", "bitnet-b1.58", true },
        { "Tq2", "Q8_0", "bitnet", false },       // TQ2 kernel in place
        { "Tq1", "Q6_K", "bitnet", true },
        { "Tq1", "F16", "bitnet-b1.58", false },  // TQ1 -> TQ2 repack
        { "F16", "Q6_K", "bitnet", true },        // F16 ternary x scale recovered exactly
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void LoadedModelMatchesTheReferenceBuiltFromTheFile(string weightType, string headType, string arch, bool repack)
    {
        var weights = Enum.Parse<SyntheticWeights>(weightType);
        var head = Enum.Parse<SyntheticHead>(headType);
        string path = _folder.File($"{weights}-{head}-{arch}.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.Parse("tiny", weights, head, arch, seed: 3, null), path);

        LoadedModel loaded = ModelLoader.Load(path, new ModelLoadOptions { RepackToI2S = repack });
        using var model = new BitNetModel(loaded.Weights, loaded.Tokenizer, new ModelOptions { Threads = 2, BatchSize = 8 }, path);
        ModelConfig c = model.Config;
        Assert.Equal(arch == "bitnet" ? FeedForwardActivation.Silu : FeedForwardActivation.SquaredRelu, c.Activation);

        int[] tokens = model.Tokenize("The little boat sailed out of the harbour, 1984.", addBos: true);
        Assert.True(tokens.Length > 10);
        using InferenceSession session = model.CreateSession();
        float[] logits = session.EvaluateAll(tokens); // batches of 8: exercises prefill chunking too

        ReferenceTransformer reference = FileReference.Build(path, c);
        for (int t = 0; t < tokens.Length; t++)
        {
            float[] expected = reference.Step(tokens[t]);
            float[] actual = logits.AsSpan(t * c.VocabSize, c.VocabSize).ToArray();
            double spread = expected.Max() - expected.Min();
            double maxDiff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
            // Float sums in a different order can put an int8 activation one step apart (a rounding tie broken the
            // other way); that nudges every later logit a little, so bound the mean tightly and the maximum loosely.
            double meanDiff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Average();
            Assert.True(maxDiff <= 1e-2 * spread && meanDiff <= 1e-3 * spread,
                $"{weights}/{head}/{arch} t={t}: max |diff| {maxDiff:G4}, mean {meanDiff:G4}, spread {spread:G4}");
            Assert.Equal(Array.IndexOf(expected, expected.Max()), Array.IndexOf(actual, actual.Max()));
        }
    }

    [Fact]
    public void RepackedAndInPlaceTq2GiveTheSameTokens()
    {
        string path = _folder.File("tq2.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.Parse("tiny", SyntheticWeights.Tq2, SyntheticHead.F16, "bitnet-b1.58", 9, null), path);
        int[] Generate(bool repack)
        {
            LoadedModel loaded = ModelLoader.Load(path, new ModelLoadOptions { RepackToI2S = repack });
            using var model = new BitNetModel(loaded.Weights, loaded.Tokenizer, new ModelOptions { Threads = 1 }, path);
            using InferenceSession session = model.CreateSession();
            var text = session.GenerateAsync("Numbers and dates", new GenerationSettings { MaxTokens = 12, Sampling = global::BitNative.Generation.SamplingOptions.Greedy })
                .ToBlockingEnumerable().ToList();
            return session.Tokens.ToArray();
        }

        Assert.Equal(Generate(true), Generate(false));
    }
}
