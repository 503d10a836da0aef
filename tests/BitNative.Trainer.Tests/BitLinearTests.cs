using BitNative.Kernels;
using BitNative.Trainer.Ops;

namespace BitNative.Trainer.Tests;

/// <summary>
/// The ternary projection against plain scalar code written from the rules: the engine's quantizers (its own kernels,
/// called directly), an exact integer dot product, and the straight-through estimator's definition of the gradients.
/// </summary>
public sealed class BitLinearTests
{
    private const int Out = 32, In = 128, Rows = 5;

    private static (BitLinear Layer, float[] Latent, float[] X) Setup()
    {
        var rng = new Rng(21);
        float[] latent = Enumerable.Range(0, Out * In).Select(_ => 0.03f * rng.NextGaussian()).ToArray();
        float[] x = Enumerable.Range(0, Rows * In).Select(_ => rng.NextGaussian()).ToArray();
        x[3] = 0.5f / (127f / 3f); // exercise the range of values; the rounding ties are checked by the native comparison
        var layer = new BitLinear("w", 0, Out, In);
        layer.Prepare(latent, QuantMode.Ternary);
        return (layer, latent, x);
    }

    [Fact]
    public void Weight_ternarization_equals_the_engine_kernel()
    {
        var (layer, latent, _) = Setup();
        var q = new sbyte[latent.Length];
        float gamma = WeightPacker.TernarizeAbsmean(latent, q);
        Assert.Equal(gamma, layer.Scale);
        Assert.Equal(q.Select(v => (float)v), layer.Codes.ToArray());
    }

    [Fact]
    public void Activation_quantization_equals_the_engine_kernel()
    {
        var (_, _, x) = Setup();
        var xq = new float[x.Length];
        var scales = new float[Rows];
        ActivationQuant.Apply(QuantMode.Ternary, x, Rows, In, xq, scales);
        var q = new sbyte[x.Length];
        var engineScales = new float[Rows];
        ActivationQuantizer.QuantizeInt8(x, Rows, In, q, engineScales);
        Assert.Equal(q.Select(v => (float)v), xq);
        Assert.Equal(engineScales, scales);
    }

    [Fact]
    public void Forward_is_the_integer_dot_product_times_both_scales()
    {
        var (layer, _, x) = Setup();
        var xq = new float[x.Length];
        var scales = new float[Rows];
        ActivationQuant.Apply(QuantMode.Ternary, x, Rows, In, xq, scales);
        var y = new float[Rows * Out];
        layer.Forward(xq, scales, Rows, y);
        for (int t = 0; t < Rows; t++)
        {
            for (int o = 0; o < Out; o++)
            {
                long dot = 0;
                for (int i = 0; i < In; i++)
                {
                    dot += (long)layer.Codes[o * In + i] * (long)xq[t * In + i];
                }

                Assert.Equal(dot * scales[t] * layer.Scale, y[t * Out + o], 1e-5f * Math.Max(1f, Math.Abs(y[t * Out + o])));
            }
        }
    }

    [Fact]
    public void Backward_is_the_straight_through_estimator()
    {
        var (layer, _, x) = Setup();
        var xq = new float[x.Length];
        var scales = new float[Rows];
        ActivationQuant.Apply(QuantMode.Ternary, x, Rows, In, xq, scales);
        var rng = new Rng(4);
        float[] dy = Enumerable.Range(0, Rows * Out).Select(_ => rng.NextGaussian()).ToArray();

        var dx = new float[Rows * In];
        layer.BackwardInput(dy, Rows, dx, accumulate: false);
        var xHat = new float[x.Length];
        ActivationQuant.Dequantize(xq, scales, Rows, In, xHat);
        var dw = new float[Out * In];
        layer.BackwardWeight(dy, xHat, Rows, dw, new float[Rows * Out]);

        for (int t = 0; t < Rows; t++)
        {
            for (int i = 0; i < In; i++)
            {
                double expected = 0; // dx = dy · (γ Wq): the quantizers pass gradients through unchanged
                for (int o = 0; o < Out; o++)
                {
                    expected += dy[t * Out + o] * layer.Scale * layer.Codes[o * In + i];
                }

                Assert.Equal(expected, dx[t * In + i], 1e-4);
            }
        }

        for (int o = 0; o < Out; o++)
        {
            for (int i = 0; i < In; i++)
            {
                double expected = 0; // dW = dyᵀ · x̂, applied to the latent weights
                for (int t = 0; t < Rows; t++)
                {
                    expected += dy[t * Out + o] * (double)xq[t * In + i] * scales[t];
                }

                Assert.Equal(expected, dw[o * In + i], 1e-4);
            }
        }
    }
}
