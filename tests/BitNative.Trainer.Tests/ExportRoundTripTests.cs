using BitNative.Authoring.Tokenization;
using BitNative.Trainer.Export;
using BitNative.Trainer.Model;
using BitNative.Tokenization;

namespace BitNative.Trainer.Tests;

/// <summary>
/// A tiny trained-shape model exported as GGUF: the trainer reads back exactly the weights it evaluated, and the engine
/// (an independent forward pass) computes the same next-token losses from the file.
/// </summary>
public sealed class ExportRoundTripTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"bitnative-export-{Guid.NewGuid():N}.gguf");

    public void Dispose() => File.Delete(_path);

    private static TokenizerData Vocabulary(int size) => ByteLevelBpeTrainer.Train(BitNative.Authoring.Synthetic.SyntheticText.Sample, size);

    [Fact]
    public void Engine_and_trainer_agree_on_the_exported_file()
    {
        TrainingModel model = TinyShapes.Create(seed: 12, scale: 3f);
        TokenizerData vocabulary = Vocabulary(model.Shape.Vocab);
        Assert.Equal(model.Shape.Vocab, vocabulary.Count);
        GgufExporter.Write(model, vocabulary, _path, "tiny test");

        var (imported, importedVocabulary) = GgufImporter.Read(_path);
        Assert.Equal(model.Shape, imported.Shape);
        Assert.Equal(vocabulary.Tokens, importedVocabulary.Tokens);
        model.Prepare();
        foreach (var (mine, theirs) in model.Projections.SelectMany(p => p.All).Zip(imported.Projections.SelectMany(p => p.All)))
        {
            Assert.Equal(mine.Scale, theirs.Scale);
            Assert.Equal(mine.Codes.ToArray(), theirs.Codes.ToArray());
        }

        int context = model.Shape.Context;
        var (inputs, _) = TinyShapes.Batch(1, seed: 3);
        int[] targets = inputs.Skip(1).Append(-1).ToArray();
        imported.HalfPrecisionKv = true; // the engine's fp16 KV cache: the one rounding the two implementations do not share
        imported.Forward(inputs, targets, 1);
        float[] trainerLosses = imported.Losses.ToArray();

        using BitNetModel engine = BitNetModel.Load(_path);
        using InferenceSession session = engine.CreateSession();
        float[] logits = session.EvaluateAll(inputs.AsSpan(0, context));
        for (int t = 0; t < context - 1; t++)
        {
            double nll = BitNative.Cli.Commands.PerplexityCommand.NegativeLogLikelihood(
                logits.AsSpan(t * model.Shape.Vocab, model.Shape.Vocab), targets[t]);
            // Same quantized arithmetic in a different order: equal to float precision.
            Assert.True(Math.Abs(nll - trainerLosses[t]) < 1e-4 * Math.Max(1, nll), $"position {t}: engine {nll}, trainer {trainerLosses[t]}");
        }
    }
}
