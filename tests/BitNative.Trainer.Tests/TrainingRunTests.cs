using BitNative.Trainer.Data;
using BitNative.Trainer.Model;
using BitNative.Trainer.Ops;
using BitNative.Trainer.Training;

namespace BitNative.Trainer.Tests;

/// <summary>The training loop on the tiny shape: it learns, it is deterministic, and resuming is exact.</summary>
public sealed class TrainingRunTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bitnative-trainer-" + Guid.NewGuid().ToString("N"));

    private static readonly TrainOptions Options = new()
    {
        Steps = 6, Batch = 2, LearningRate = 1e-2f, WarmupSteps = 2, EvalEvery = 3, EvalWindows = 2, CheckpointEvery = 100, Seed = 9,
    };

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>A token stream with structure to learn: a repeating 17-token pattern.</summary>
    private static TokenDataset Data() => new(Enumerable.Range(0, 4000).Select(i => 10 + (i % 17) * 3).ToArray(), bos: 1);

    private static int[] Validation() => Enumerable.Range(0, 64).Select(i => i == 0 ? 1 : 10 + (i % 17) * 3).ToArray();

    private TrainingModel Train(string name, TrainOptions options, bool resume = false, int stopAfter = int.MaxValue) =>
        new TrainingRun(Path.Combine(_folder, name), Data(), Validation(), TextWriter.Null).Run(TinyShapes.Model, options, resume, stopAfter);

    [Fact]
    public void Loss_falls_on_a_learnable_stream()
    {
        TrainingModel model = Train("learn", Options with { Steps = 30 });
        string[] log = File.ReadAllLines(Path.Combine(_folder, "learn", TrainingRun.LogFile));
        float first = float.Parse(log[1].Split(',')[3], System.Globalization.CultureInfo.InvariantCulture);
        float last = float.Parse(log[^1].Split(',')[3], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(last < first - 2, $"loss went from {first} to {last}");
        Assert.Equal(QuantMode.Ternary, model.Mode);
    }

    [Fact]
    public void Resuming_from_a_checkpoint_gives_the_same_model_as_one_run()
    {
        float[] straight = Train("straight", Options).Parameters;
        Train("resumed", Options, stopAfter: 4);
        Assert.Equal(4, Checkpoint.ReadHeader(Path.Combine(_folder, "resumed", TrainingRun.CheckpointFile)).Step);
        float[] resumed = Train("resumed", Options with { Steps = 999 }, resume: true).Parameters; // the checkpoint's options win
        Assert.Equal(straight, resumed);
        Assert.Equal(File.ReadAllLines(Path.Combine(_folder, "straight", TrainingRun.LogFile)).Length,
            File.ReadAllLines(Path.Combine(_folder, "resumed", TrainingRun.LogFile)).Length);
    }

    [Fact]
    public void Training_is_deterministic_across_thread_counts()
    {
        int saved = Gemm.Threads;
        try
        {
            Gemm.Threads = 1;
            float[] one = Train("one", Options).Parameters;
            Gemm.Threads = 2;
            float[] two = Train("two", Options).Parameters;
            Assert.Equal(one, two);
        }
        finally
        {
            Gemm.Threads = saved;
        }
    }
}
