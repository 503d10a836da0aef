namespace BitNative.Trainer.Optim;

/// <summary>Linear warmup to the peak, then cosine decay to peak · minRatio at the last step.</summary>
internal sealed record LearningRateSchedule(float Peak, int WarmupSteps, int TotalSteps, float MinRatio)
{
    public float At(int step)
    {
        if (step < WarmupSteps)
        {
            return Peak * (step + 1) / WarmupSteps;
        }

        float progress = TotalSteps <= WarmupSteps ? 1f : Math.Clamp((float)(step - WarmupSteps) / (TotalSteps - WarmupSteps), 0f, 1f);
        float min = Peak * MinRatio;
        return min + 0.5f * (Peak - min) * (1f + MathF.Cos(MathF.PI * progress));
    }
}
