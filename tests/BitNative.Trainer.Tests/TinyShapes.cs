using BitNative.Trainer.Model;

namespace BitNative.Trainer.Tests;

/// <summary>Shapes and batches small enough for finite differences in milliseconds.</summary>
internal static class TinyShapes
{
    /// <summary>d = 128 (the I2_S minimum), 2 layers, 2 query heads over 1 KV head (GQA), T = 8.</summary>
    public static ModelShape Model => new(Vocab: 320, Dim: 128, Layers: 2, FeedForward: 256, Heads: 2, KvHeads: 1, Context: 8);

    public static TrainingModel Create(ulong seed, float scale = 1f)
    {
        var model = new TrainingModel(Model);
        model.Initialize(seed);
        if (scale != 1f)
        {
            // Larger weights than the 0.02 init make every op (attention, gates) far from linear: a stronger check.
            foreach (ParameterTensor t in model.Layout.Tensors.Where(t => t.Kind != TensorKind.Norm))
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(model.Parameters.AsSpan(t.Offset, t.Length), scale,
                    model.Parameters.AsSpan(t.Offset, t.Length));
            }
        }

        var rng = new Rng(seed, 99);
        foreach (ParameterTensor t in model.Layout.Tensors.Where(t => t.Kind == TensorKind.Norm))
        {
            for (int i = t.Offset; i < t.Offset + t.Length; i++)
            {
                model.Parameters[i] = 1f + 0.2f * rng.NextGaussian(); // not all ones, so norm gradients are generic
            }
        }

        return model;
    }

    public static (int[] Inputs, int[] Targets) Batch(int batch, ulong seed)
    {
        var rng = new Rng(seed, 7);
        int n = batch * Model.Context;
        var inputs = new int[n];
        var targets = new int[n];
        for (int i = 0; i < n; i++)
        {
            inputs[i] = rng.NextInt(Model.Vocab);
            targets[i] = i % 5 == 3 ? -1 : rng.NextInt(Model.Vocab); // some positions not scored
        }

        return (inputs, targets);
    }
}
