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

    /// <summary>
    /// Trains the full-precision model instead (no QAT: the projections use the latent weights and float inputs), the
    /// float baseline of docs/QUALITY.md's precision ladder; everything else about the run stays the same.
    /// </summary>
    public bool FullPrecision { get; init; }

    /// <summary>How the projections compute during this run.</summary>
    public Ops.QuantMode Mode => FullPrecision ? Ops.QuantMode.Float : Ops.QuantMode.Ternary;
}
