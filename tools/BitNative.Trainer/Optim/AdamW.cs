using BitNative.Trainer.Model;

namespace BitNative.Trainer.Optim;

/// <summary>
/// AdamW (decoupled weight decay) over the flat parameter vector. Norm weights are not decayed (their neutral value is
/// 1, not 0); matrices, including the tied embedding, are. The moments live here and go into checkpoints.
/// </summary>
internal sealed class AdamW(int count, float beta1, float beta2, float epsilon, float weightDecay)
{
    public float[] M { get; } = new float[count];

    public float[] V { get; } = new float[count];

    /// <summary>Updates taken so far (drives the bias correction).</summary>
    public int Step { get; set; }

    public void Update(float[] parameters, float[] gradients, float learningRate, ParameterLayout layout)
    {
        Step++;
        float correction1 = 1f - MathF.Pow(beta1, Step);
        float correction2 = 1f - MathF.Pow(beta2, Step);
        Parallel.ForEach(layout.Tensors, new ParallelOptions { MaxDegreeOfParallelism = Ops.Gemm.Threads }, t =>
        {
            float decay = t.Kind == TensorKind.Norm ? 0f : weightDecay;
            for (int i = t.Offset; i < t.Offset + t.Length; i++)
            {
                float g = gradients[i];
                float m = M[i] = beta1 * M[i] + (1 - beta1) * g;
                float v = V[i] = beta2 * V[i] + (1 - beta2) * g * g;
                float update = m / correction1 / (MathF.Sqrt(v / correction2) + epsilon);
                parameters[i] -= learningRate * (update + decay * parameters[i]);
            }
        });
    }

    /// <summary>Scales the gradients so their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm before.</summary>
    public static float ClipGradients(float[] gradients, float maxNorm)
    {
        double sum = 0;
        foreach (float g in gradients)
        {
            sum += (double)g * g;
        }

        float norm = (float)Math.Sqrt(sum);
        if (maxNorm > 0 && norm > maxNorm)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(gradients, maxNorm / norm, gradients);
        }

        return norm;
    }
}
