namespace BitNative.Trainer.Training;

/// <summary>Optimization settings of a run (stored in every checkpoint, so a resumed run continues with the same ones).</summary>
internal sealed record TrainOptions
{
    public int Steps { get; init; } = 1000;
    public int Batch { get; init; } = 8;
    public float LearningRate { get; init; } = 3e-3f;
    public float MinLearningRateRatio { get; init; } = 0.1f;
    public int WarmupSteps { get; init; } = 50;
    public float WeightDecay { get; init; } = 0.1f;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.95f;
    public float Epsilon { get; init; } = 1e-8f;
    public float GradientClip { get; init; } = 1.0f;
    public ulong Seed { get; init; } = 1234;
    public int EvalEvery { get; init; } = 50;
    public int EvalWindows { get; init; } = 16;
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>The forward pass's recipe (ModelRecipe name: b1.58, a4.8, v2-a8, v2) from step 0.</summary>
    public string Recipe { get; init; } = "b1.58";

    /// <summary>The recipe from <see cref="Stage2From"/> on (a4.8 and v2 train 8-bit first, then low-bit), or null.</summary>
    public string? Stage2Recipe { get; init; }

    /// <summary>First step of the second stage.</summary>
    public int Stage2From { get; init; } = int.MaxValue;

    /// <summary>The recipe step <paramref name="step"/> trains with (also the exported file's, at the last step).</summary>
    public BitNative.Model.ModelRecipe RecipeAt(int step) =>
        BitNative.Model.ModelRecipe.Parse(Stage2Recipe is not null && step >= Stage2From ? Stage2Recipe : Recipe);

    /// <summary>
    /// Trains the full-precision model instead (no QAT: the projections use the latent weights and float inputs), the
    /// float baseline of docs/QUALITY.md's precision ladder; everything else about the run stays the same.
    /// </summary>
    public bool FullPrecision { get; init; }

    /// <summary>How the projections compute during this run.</summary>
    public Ops.QuantMode Mode => FullPrecision ? Ops.QuantMode.Float : Ops.QuantMode.Ternary;
}
