using BitNative.Trainer.Model;
using BitNative.Trainer.Ops;

namespace BitNative.Trainer.Tests;

/// <summary>
/// The hand-written backward pass against finite differences of the forward pass. In float mode the model is a smooth
/// function, so for every parameter tensor the analytic directional derivative g·u along a random direction u must
/// match (L(p + εu) − L(p − εu)) / 2ε. (The ternary forward is piecewise constant, so there the straight-through
/// estimator is checked against its definition instead: see <see cref="BitLinearTests"/>.)
/// The error is measured against |g|, the typical size of g·u over random directions (its standard deviation for
/// unit-variance u), not against this one draw of g·u: a draw can land arbitrarily close to zero (blk.1.attn_k once
/// gave g·u = 0.0038 with |g| near 1), and then the O(ε²) truncation and the float rounding of the forward pass,
/// tiny against |g|, read as a large relative error that depends on the CPU's rounding. An error e in the analytic
/// gradient still shows as e·u, of size |e|, against |g|.
/// </summary>
public sealed class GradientCheckTests
{
    /// <param name="recipe">b1.58, and v2-a8: BitNet v2's Hadamard transform of the o_proj and down_proj inputs is part
    /// of the float model too (its weights live in the rotated basis), so its gradient is checked here.</param>
    [Theory]
    [InlineData("b1.58")]
    [InlineData("v2-a8")]
    public void Every_tensor_gradient_matches_finite_differences(string recipe)
    {
        TrainingModel model = TinyShapes.Create(seed: 3, scale: 4f);
        model.Mode = QuantMode.Float;
        model.Recipe = BitNative.Model.ModelRecipe.Parse(recipe);
        var (inputs, targets) = TinyShapes.Batch(batch: 2, seed: 5);
        model.Prepare();
        model.Forward(inputs, targets, 2);
        model.Backward();
        float[] gradients = (float[])model.Gradients.Clone();

        var failures = new List<string>();
        foreach (ParameterTensor t in model.Layout.Tensors)
        {
            var rng = new Rng(11, (ulong)t.Offset);
            var direction = new float[t.Length];
            double analytic = 0, squaredNorm = 0;
            for (int i = 0; i < t.Length; i++)
            {
                direction[i] = rng.NextGaussian();
                analytic += (double)direction[i] * gradients[t.Offset + i];
                squaredNorm += (double)gradients[t.Offset + i] * gradients[t.Offset + i];
            }

            double numeric = DirectionalDerivative(model, t, direction, inputs, targets, epsilon: 1e-3f);
            double scale = Math.Max(Math.Max(Math.Abs(numeric), Math.Sqrt(squaredNorm)), 1e-3);
            double error = Math.Abs(numeric - analytic) / scale;
            if (error > 0.02)
            {
                failures.Add($"{t.Name}: analytic {analytic:G6}, finite difference {numeric:G6}, |g| {Math.Sqrt(squaredNorm):G6} " +
                             $"(error {error:P2} of the larger)");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private static double DirectionalDerivative(TrainingModel model, ParameterTensor t, float[] u, int[] inputs, int[] targets, float epsilon)
    {
        float[] saved = model.Parameters.AsSpan(t.Offset, t.Length).ToArray();
        double Loss(float sign)
        {
            for (int i = 0; i < t.Length; i++)
            {
                model.Parameters[t.Offset + i] = saved[i] + sign * epsilon * u[i];
            }

            model.Prepare();
            return model.Forward(inputs, targets, 2);
        }

        double plus = Loss(1), minus = Loss(-1);
        saved.CopyTo(model.Parameters.AsSpan(t.Offset, t.Length));
        model.Prepare();
        return (plus - minus) / (2 * epsilon);
    }
}
