using BitNative.Authoring.Quantization;
using BitNative.Kernels;
using Xunit;

namespace BitNative.Tests.Quantization;

/// <summary>
/// The quantizers' encoders, read back through the engine's own kernels (a one-hot activation row returns one column of
/// weights exactly), against the values they encode: each format within the error its bits allow, and FP8's E4M3 codes
/// exactly.
/// </summary>
public sealed class WeightEncodingTests
{
    [Fact]
    public void E4M3CodesRoundTripAndSaturate()
    {
        for (int code = 0; code < 256; code++)
        {
            if ((code & 0x7f) == 0x7f)
            {
                continue; // NaN
            }

            float v = WeightEncoding.E4M3Value((byte)code);
            Assert.Equal(code, WeightEncoding.E4M3(v));
            if ((code & 0x7f) < 0x7e)
            {
                // halfway to the next code rounds to the even mantissa
                float next = WeightEncoding.E4M3Value((byte)(code + 1));
                Assert.Equal((code & 1) == 0 ? code : code + 1, WeightEncoding.E4M3((v + next) / 2));
            }
        }

        Assert.Equal(448f, WeightEncoding.E4M3Value(0x7e));
        Assert.Equal(0x7e, WeightEncoding.E4M3(1e6f));
        Assert.Equal(0xfe, WeightEncoding.E4M3(-470f));
        Assert.Equal(MathF.ScaleB(1, -9), WeightEncoding.E4M3Value(1)); // the smallest subnormal
    }

    /// <summary>Relative RMS error of each row format on Gaussian weights, and its upper bound (Lloyd-Max-like levels of each format).</summary>
    [Theory]
    [InlineData("f16", 1e-3)]
    [InlineData("bf16", 5e-3)]
    [InlineData("f8", 0.05)]
    [InlineData("q8_0", 0.01)]
    [InlineData("q4_0", 0.13)]
    [InlineData("q4_k", 0.11)]
    [InlineData("q2_0", 0.42)]
    [InlineData("q1_0", 0.65)]
    [InlineData("tq2", 0.55)]
    public void RowFormatsStayWithinTheirError(string type, double bound)
    {
        WeightType w = WeightTypes.All.Single(t => t.Name == type).Type;
        const int n = 24, k = 512;
        var rng = new Random(3);
        float[] values = TestValues(rng, n * k);
        int rowBytes = (int)WeightTypes.Bytes(w, 1, k);
        var bytes = new byte[rowBytes * n];
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> row = values.AsSpan(r * k, k);
            Span<byte> dest = bytes.AsSpan(r * rowBytes, rowBytes);
            switch (type)
            {
                case "f16": WeightEncoding.F16(row, dest); break;
                case "bf16": WeightEncoding.BF16(row, dest); break;
                case "f8": WeightEncoding.F8(row, dest); break;
                case "q8_0": WeightEncoding.Q8_0(row, dest); break;
                case "q4_0": WeightEncoding.Q4_0(row, dest); break;
                case "q4_k": WeightEncoding.Q4_K(row, dest); break;
                case "q2_0": WeightEncoding.Q2_0(row, dest); break;
                case "q1_0": WeightEncoding.Q1_0(row, dest); break;
                default: WeightEncoding.TernaryBlocks(w, row, dest); break;
            }
        }

        float[] decoded = Decode(w, bytes, n, k);
        double error = 0, signal = 0;
        for (int i = 0; i < values.Length; i++)
        {
            error += Math.Pow(decoded[i] - values[i], 2);
            signal += Math.Pow(values[i], 2);
        }

        double relative = Math.Sqrt(error / signal);
        Assert.True(relative <= bound, $"{type}: relative RMS error {relative:F4} > {bound}");
        Assert.True(type is "f16" or "bf16" || relative > bound / 10, $"{type}: error {relative:F5} is implausibly small (not quantized?)");
    }

    /// <summary>Q2_0 puts the long tail of a lopsided block on its two-level side (a negative d when that tail is negative).</summary>
    [Fact]
    public void Q2_0UsesTheSignOfTheScale()
    {
        float[] row = Enumerable.Range(0, 64).Select(j => j % 8 == 0 ? -2f : (j % 2 == 0 ? -1f : (j % 3 == 0 ? 1f : 0f))).ToArray();
        var bytes = new byte[18];
        WeightEncoding.Q2_0(row, bytes);
        float[] decoded = Decode(WeightType.Q2_0, bytes, 1, 64);
        Assert.Equal(row, decoded);
        Assert.True(BitConverter.ToHalf(bytes) < (Half)0, "levels -1, 0, 1, 2 times a negative d hold -2, -1, 0, 1");
    }

    private static float[] TestValues(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            v[i] = (float)(0.05 * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return v;
    }

    /// <summary>W[i, j] for every i and j through the kernels: one-hot activation rows (int8 1 with scale 1, or float 1).</summary>
    private static float[] Decode(WeightType type, byte[] bytes, int n, int k)
    {
        var decoded = new float[n * k];
        var y = new float[n];
        bool ints = WeightTypes.Info(type).Activation != ActivationType.F32;
        var xq = new sbyte[k];
        var x = new float[k];
        for (int j = 0; j < k; j++)
        {
            xq[j] = 1;
            x[j] = 1;
            if (ints)
            {
                Matmul.Quantized(type, ActivationType.Int8, Isa.Reference, bytes, 1f, xq, [1f], n, k, 1, y, null);
            }
            else
            {
                Matmul.Float(type, Isa.Reference, bytes, 1f, x, n, k, 1, y, null);
            }

            for (int i = 0; i < n; i++)
            {
                decoded[i * k + j] = y[i];
            }

            xq[j] = 0;
            x[j] = 0;
        }

        return decoded;
    }
}
