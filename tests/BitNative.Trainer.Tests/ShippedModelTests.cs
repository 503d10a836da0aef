using BitNative.Kernels;
using BitNative.Generation;
using BitNative.Trainer.Eval;
using BitNative.Trainer.Export;
using BitNative.Trainer.Ops;

namespace BitNative.Trainer.Tests;

/// <summary>
/// The committed models/default.gguf: it loads, greedy generation is deterministic and reads as English, and its
/// held-out perplexity from the engine equals the trainer's own evaluation of the same file within 1 % (two
/// independent implementations of the forward pass agreeing on real weights and real text).
/// </summary>
public sealed class ShippedModelTests
{
    private const int Context = 256, Windows = 8;

    [Fact]
    public void Loads_with_the_documented_shape()
    {
        using BitNetModel model = BitNetModel.Load(RepositoryFiles.ShippedModel());
        Assert.Equal("bitnet-b1.58", model.Config.ArchitectureName);
        Assert.Equal(4096, model.Config.VocabSize);
        Assert.Equal(256, model.Config.EmbeddingLength);
        Assert.Equal(Context, model.ContextLength);
        Assert.True(model.AddsBos);
    }

    [Fact]
    public async Task Greedy_generation_is_deterministic_English()
    {
        using BitNetModel model = BitNetModel.Load(RepositoryFiles.ShippedModel());
        var settings = new GenerationSettings { MaxTokens = 32, Sampling = SamplingOptions.Greedy };
        async Task<(string Text, int[] Tokens)> Generate()
        {
            using InferenceSession session = model.CreateSession();
            var text = new System.Text.StringBuilder();
            await foreach (string piece in session.GenerateAsync("In the morning, the", settings))
            {
                text.Append(piece);
            }

            return (text.ToString(), session.Tokens.ToArray());
        }

        var first = await Generate();
        var second = await Generate();
        Assert.Equal(first.Tokens, second.Tokens);
        Assert.Equal(first.Text, second.Text);
        // English-looking: the most frequent English words carry a good part of any English text.
        string[] common = ["the", "of", "and", "to", "a", "in", "was", "he", "is", "that", "it", "had", "for", "his", "be", "not", "but", "with", "as", "on"];
        string[] words = first.Text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('.', ',', ';', ':', '"', '?', '!')).ToArray();
        Assert.True(words.Count(w => common.Contains(w, StringComparer.OrdinalIgnoreCase)) >= 8, $"not English-looking: \"{first.Text}\"");
    }

    [Theory]
    [InlineData("b1.58")]
    [InlineData("a4.8")]
    [InlineData("v2")]
    public void Engine_perplexity_equals_the_trainers_within_one_percent(string recipe)
    {
        string path = recipe switch
        {
            "a4.8" => RepositoryFiles.ShippedVariant("a48"),
            "v2" => RepositoryFiles.ShippedVariant("v2"),
            _ => RepositoryFiles.ShippedModel(),
        };
        string text = File.ReadAllText(RepositoryFiles.HeldOutText());

        using BitNetModel engine = BitNetModel.Load(path, new ModelOptions { Threads = 2, ContextLength = Context });
        Assert.Equal(recipe, engine.Recipe.Name); // the file states its recipe and the engine runs it as trained
        double enginePpl = BitNative.Cli.Commands.PerplexityCommand.Run(engine, text, Context, Windows).Perplexity;

        var (model, vocabulary) = GgufImporter.Read(path);
        int[] tokens = BitNative.Tokenization.ByteLevelBpeTokenizer.Create(vocabulary).Encode(text, addBos: true);
        int saved = Gemm.Threads;
        Gemm.Threads = 2;
        double trainerPpl;
        try
        {
            trainerPpl = Perplexity.Evaluate(model, tokens, vocabulary.BosId!.Value, Windows, batch: 4).Value;
        }
        finally
        {
            Gemm.Threads = saved;
        }

        Assert.True(Math.Abs(enginePpl - trainerPpl) < 0.01 * trainerPpl, $"engine PPL {enginePpl:F3}, trainer PPL {trainerPpl:F3}");
    }

    [Fact]
    public void The_variants_state_their_recipes()
    {
        using BitNetModel a48 = BitNetModel.Load(RepositoryFiles.ShippedVariant("a48"));
        Assert.Equal(ActivationBits.Int4, a48.ActivationBits);
        Assert.Equal((0.5f, 0.8f), (a48.Recipe.AttentionOutputSparsity, a48.Recipe.FeedForwardDownSparsity));
        Assert.Equal(KvCacheType.Q3, a48.Recipe.KvCache);
        Assert.False(a48.Recipe.Hadamard);
        using BitNetModel v2 = BitNetModel.Load(RepositoryFiles.ShippedVariant("v2"));
        Assert.True(v2.Recipe.Hadamard);
        Assert.Equal(ActivationBits.Int4, v2.ActivationBits);
        Assert.Equal(KvCacheType.Q3, v2.Recipe.KvCache);
        // the user's settings replace the file's
        using BitNetModel dense = BitNetModel.Load(RepositoryFiles.ShippedVariant("a48"),
            new ModelOptions { ActivationBits = ActivationBits.Int8, Sparsity = TopKSparsity.None, KvCache = KvCacheType.F16 });
        Assert.Equal((0f, 0f), (dense.Recipe.AttentionOutputSparsity, dense.Recipe.FeedForwardDownSparsity));
        Assert.Equal(KvCacheType.F16, dense.Recipe.KvCache);
        Assert.Equal(ActivationBits.Int8, dense.ActivationBits);
    }

    [Fact]
    public void The_cli_finds_the_bundled_model_without_arguments()
    {
        if (Environment.GetEnvironmentVariable(BitNative.Cli.ModelLocator.EnvironmentVariable) is { Length: > 0 })
        {
            return; // an explicit model overrides the bundled one by design
        }

        string resolved = BitNative.Cli.ModelLocator.Resolve(null);
        Assert.EndsWith(Path.Combine("models", "default.gguf"), resolved);
        Assert.True(File.Exists(resolved));
    }
}
