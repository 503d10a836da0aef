using System.Runtime.InteropServices;
using System.Buffers.Binary;
using Xunit;

namespace BitNative.Kernels.Tests;

/// <summary>
/// The decode-step operations through the public facade, every ISA this machine runs, against <see cref="DecodeReference"/>:
/// bit for bit where bitnative.h promises it (norms, activations, RoPE + KV write), within its tolerances otherwise.
/// </summary>
[Collection(NativeIsaCollection.Name)]
public sealed class DecodeOpsTests
{
    private const float Eps = 1e-5f;
    private const double U = 1.0 / (1 << 24);

    private static float[] Rows(Random rng, int rows, int columns, int kind) => kind switch
    {
        0 => TestData.Normal(rng, rows * columns, 1f),
        1 => new float[rows * columns],                                              // zero rows: r = 1 / sqrt(eps)
        2 => TestData.Normal(rng, rows * columns, 1e-30f),                           // squares underflow
        _ => TestData.Normal(rng, rows * columns, 0.01f).Select((v, j) => j % columns == columns / 2 ? 300f : v).ToArray(),
    };

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void NormsMatchTheReferenceBitForBit(Isa isa)
    {
        using var _ = IsaScope.Force(isa);
        using var pool = KernelThreadPool.Create(2);
        var rng = new Random(31);
        foreach (int k in new[] { 1, 7, 16, 17, 33, 255, 2560, 6912 })
        {
            foreach (int rows in new[] { 1, 9 })
            {
                float[] x = Rows(rng, rows, k, (k + rows) % 4);
                float[] w = TestData.Normal(rng, k, 0.3f).Select(v => 1f + v).ToArray();
                var y = new float[rows * k];
                var q8 = new sbyte[rows * k];
                var q4 = new sbyte[rows * k];
                var s8 = new float[rows];
                var s4 = new float[rows];
                KernelThreadPool? p = rows > 1 ? pool : null;
                Norms.RmsNorm(x, w, Eps, rows, k, y, p);
                Norms.RmsNormInt8(x, w, Eps, rows, k, q8, s8, p);
                Norms.RmsNormInt4(x, w, Eps, rows, k, q4, s4, p);
                for (int r = 0; r < rows; r++)
                {
                    float[] expect = DecodeReference.RmsNorm(x.AsSpan(r * k, k), w, Eps)!;
                    Assert.True(TestData.SameBits(expect, y.AsSpan(r * k, k), out int at), $"{isa} k={k} row {r}: y[{at}]");
                    var (eq8, es8) = ReferenceKernels.QuantizeInt8Row(expect);
                    var (eq4, es4) = ReferenceKernels.QuantizeInt4Row(expect);
                    Assert.Equal(eq8, q8.AsSpan(r * k, k).ToArray());
                    Assert.Equal(eq4, q4.AsSpan(r * k, k).ToArray());
                    Assert.Equal(BitConverter.SingleToInt32Bits(es8), BitConverter.SingleToInt32Bits(s8[r]));
                    Assert.Equal(BitConverter.SingleToInt32Bits(es4), BitConverter.SingleToInt32Bits(s4[r]));
                }
            }
        }
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void GatedActivationsMatchTheReferenceBitForBit(Isa isa)
    {
        using var _ = IsaScope.Force(isa);
        using var pool = KernelThreadPool.Create(2);
        var rng = new Random(37);
        foreach (GateActivation act in Enum.GetValues<GateActivation>())
        {
            foreach (var (rows, k) in new[] { (1, 1), (1, 7), (3, 33), (1, 6912), (9, 256) })
            {
                // gates around zero, and large enough that exp(-g) overflows or underflows
                float[] gate = Enumerable.Range(0, rows * k).Select(i => i % 11 == 0 ? (float)(rng.NextDouble() - 0.5) * 400f
                    : (float)(rng.NextDouble() - 0.5) * 12f).ToArray();
                float[] up = TestData.Normal(rng, rows * k, 1f);
                float[] w = TestData.Normal(rng, k, 0.3f).Select(v => 1f + v).ToArray();
                KernelThreadPool? p = rows > 1 ? pool : null;
                var y = new float[rows * k];
                GatedActivations.Apply(gate, up, act, rows, k, y, p);
                float[] expect = gate.Select((g, i) => DecodeReference.Glu(g, up[i], act)).ToArray();
                Assert.True(TestData.SameBits(expect, y, out int at), $"{isa} {act} k={k}: y[{at}] = {(at >= 0 ? y[at] : 0):R}, " +
                    $"reference {(at >= 0 ? expect[at] : 0):R} (g = {(at >= 0 ? gate[at] : 0):R})");

                float[] h = (float[])gate.Clone();
                var q = new sbyte[rows * k];
                var s = new float[rows];
                GatedActivations.ApplyRmsNormInt8(h, up, act, w, Eps, rows, k, q, s, p);
                Assert.True(TestData.SameBits(expect, h, out at), $"{isa} {act} fused: h[{at}]");
                for (int r = 0; r < rows; r++)
                {
                    var (eq, es) = ReferenceKernels.QuantizeInt8Row(DecodeReference.RmsNorm(expect.AsSpan(r * k, k), w, Eps)!);
                    Assert.Equal(eq, q.AsSpan(r * k, k).ToArray());
                    Assert.Equal(BitConverter.SingleToInt32Bits(es), BitConverter.SingleToInt32Bits(s[r]));
                }
            }
        }
    }

    [Fact]
    public void TheRopeTableHoldsDoublePrecisionCosinesAndSines()
    {
        const int count = 3, dims = 128;
        var table = new float[count * dims];
        Attention.RopeTable(4000, count, dims, 500000f, table);
        for (int t = 0; t < count; t++)
        {
            for (int i = 0; i < dims / 2; i++)
            {
                double angle = (4000.0 + t) * Math.Pow(500000.0, -2.0 * i / dims);
                Assert.Equal((float)Math.Cos(angle), table[t * dims + i], 7);
                Assert.Equal((float)Math.Sin(angle), table[t * dims + dims / 2 + i], 7);
            }
        }
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void RopeAndKvWriteMatchTheReferenceBitForBit(Isa isa)
    {
        using var _ = IsaScope.Force(isa);
        using var pool = KernelThreadPool.Create(2);
        var rng = new Random(41);
        foreach (var (heads, kvHeads, headDim, ropeDims) in new[] { (20, 5, 128, 128), (4, 2, 64, 64), (3, 1, 40, 26), (2, 2, 6, 6) })
        {
            foreach (RotaryLayout layout in Enum.GetValues<RotaryLayout>())
            {
                foreach (var (tokens, position) in new[] { (1, 0), (1, 17), (9, 5) })
                {
                    int qDim = heads * headDim, kvDim = kvHeads * headDim, rows = position + tokens + 1;
                    float[] q = TestData.Normal(rng, tokens * qDim, 3f), k = TestData.Normal(rng, tokens * kvDim, 3f);
                    float[] v = TestData.Normal(rng, tokens * kvDim, 1f);
                    var table = new float[tokens * ropeDims];
                    Attention.RopeTable(position, tokens, ropeDims, 10000f, table);
                    var keys = new Half[rows * kvDim];
                    var values = new Half[rows * kvDim];
                    keys.AsSpan().Fill((Half)7);
                    values.AsSpan().Fill((Half)7);
                    float[] qExpect = (float[])q.Clone(), kExpect = (float[])k.Clone();
                    for (int t = 0; t < tokens; t++)
                    {
                        DecodeReference.Rotate(qExpect.AsSpan(t * qDim, qDim), headDim, ropeDims, layout, table.AsSpan(t * ropeDims, ropeDims));
                        DecodeReference.Rotate(kExpect.AsSpan(t * kvDim, kvDim), headDim, ropeDims, layout, table.AsSpan(t * ropeDims, ropeDims));
                    }

                    Attention.RopeAndStoreKv(q, k, v, table, tokens, heads, kvHeads, headDim, ropeDims, layout, position, keys, values,
                        tokens > 1 ? pool : null);
                    string where = $"{isa} {heads}/{kvHeads}x{headDim} rope {ropeDims} {layout} tokens={tokens} position={position}";
                    Assert.True(TestData.SameBits(qExpect, q, out int at), $"{where}: q[{at}]");
                    for (int i = 0; i < rows * kvDim; i++)
                    {
                        int row = i / kvDim, t = row - position;
                        bool written = t >= 0 && t < tokens;
                        Half ek = written ? (Half)kExpect[t * kvDim + i % kvDim] : (Half)7;
                        Half ev = written ? (Half)v[t * kvDim + i % kvDim] : (Half)7;
                        Assert.True(BitConverter.HalfToUInt16Bits(ek) == BitConverter.HalfToUInt16Bits(keys[i]) &&
                            BitConverter.HalfToUInt16Bits(ev) == BitConverter.HalfToUInt16Bits(values[i]), $"{where}: cache element {i} (row {row})");
                    }
                }
            }
        }
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void AttentionMatchesTheReferenceWithinItsTolerance(Isa isa)
    {
        using var _ = IsaScope.Force(isa);
        using var pool = KernelThreadPool.Create(2);
        var rng = new Random(43);
        foreach (var (heads, kvHeads, headDim) in new[] { (20, 5, 128), (4, 2, 64), (6, 3, 12), (8, 8, 20) })
        {
            foreach (var (tokens, position, sigma) in new[] { (1, 0, 1f), (1, 70, 3f), (4, 33, 0.3f) })
            {
                int qDim = heads * headDim, kvDim = kvHeads * headDim, rows = position + tokens;
                float[] q = TestData.Normal(rng, tokens * qDim, sigma);
                Half[] keys = TestData.Normal(rng, rows * kvDim, 1f).Select(f => (Half)f).ToArray();
                Half[] values = TestData.Normal(rng, rows * kvDim, 2f).Select(f => (Half)f).ToArray();
                float scale = 1f / MathF.Sqrt(headDim);
                double[] expect = DecodeReference.Attention(q, keys, values, tokens, heads, kvHeads, headDim, position, scale);
                double vMax = values.Max(h => Math.Abs((double)h));
                double scoreMax = MaxScore(q, keys, tokens, heads, kvHeads, headDim, position, scale);
                double tolerance = 1e-5 * (1 + scoreMax) * vMax;
                foreach (KernelThreadPool? p in new[] { null, pool })
                {
                    var output = new float[tokens * qDim];
                    Attention.Attend(q, keys, values, tokens, heads, kvHeads, headDim, position, scale, output, p);
                    for (int i = 0; i < output.Length; i++)
                    {
                        Assert.True(Math.Abs(output[i] - expect[i]) <= tolerance,
                            $"{isa} {heads}/{kvHeads}x{headDim} tokens={tokens} position={position}: out[{i}] = {output[i]:R}, " +
                            $"reference {expect[i]:R}, tolerance {tolerance:G3}");
                    }
                }
            }
        }
    }

    private static double MaxScore(float[] q, Half[] keys, int tokens, int heads, int kvHeads, int headDim, int position, float scale)
    {
        double max = 0;
        int kvDim = kvHeads * headDim, group = heads / kvHeads;
        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int p = 0; p <= position + t; p++)
                {
                    double dot = 0;
                    for (int j = 0; j < headDim; j++)
                    {
                        dot += (double)q[(t * heads + h) * headDim + j] * (double)keys[p * kvDim + h / group * headDim + j];
                    }

                    max = Math.Max(max, Math.Abs(dot * scale));
                }
            }
        }

        return max;
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void DenseFloatWeightsMatchTheReferenceWithinTheirTolerance(Isa isa)
    {
        IsaScope.SkipUnlessSupported(isa);
        using var pool = KernelThreadPool.Create(3);
        var rng = new Random(47);
        foreach (WeightType type in new[] { WeightType.F16, WeightType.F32 })
        foreach (var (n, k, m) in new[] { (1, 1, 1), (5, 7, 1), (17, 33, 3), (1003, 256, 1), (64, 2560, 6), (0, 16, 1), (4, 16, 0) })
        {
            float[] values = TestData.Normal(rng, n * k, 0.05f).Select((f, i) => (float)(Half)(i % 29 == 0 ? f * 4e4f : f)).ToArray();
            byte[] bytes = type == WeightType.F16
                ? MemoryMarshal.AsBytes(values.Select(v => (Half)v).ToArray().AsSpan()).ToArray()
                : MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
            float[] x = TestData.Normal(rng, m * k, 1f);
            foreach (KernelThreadPool? p in new[] { null, pool })
            {
                var y = new float[m * n];
                Matmul.Float(type, isa, bytes, 1f, x, n, k, m, y, p);
                for (int r = 0; r < m; r++)
                {
                    for (int i = 0; i < n; i++)
                    {
                        var (exact, magnitude) = ExactDot(values.AsSpan(i * k, k), x.AsSpan(r * k, k));
                        Assert.True(Math.Abs(y[r * n + i] - exact) <= k * U * magnitude + 1e-30,
                            $"{isa} {type} n={n} k={k} m={m}: y[{r}, {i}] = {y[r * n + i]:R}, exact {exact:R}");
                    }
                }
            }
        }
    }

    /// <summary>
    /// F32 weights over int8 rows (transformers' AutoBitLinear offline with non-ternary weights): x_scale · (W · xq) ·
    /// w_scale, within bitnative.h's bound for a sequential float sum of k products and the scales.
    /// </summary>
    [Theory]
    [ClassData(typeof(AllIsas))]
    public void DenseF32WeightsOverInt8RowsMatchTheReferenceWithinTheirTolerance(Isa isa)
    {
        IsaScope.SkipUnlessSupported(isa);
        using var pool = KernelThreadPool.Create(3);
        var rng = new Random(59);
        const float WeightScale = 0.75f;
        foreach (var (n, k, m) in new[] { (1, 1, 1), (5, 7, 2), (17, 33, 3), (1003, 256, 1), (40, 2560, 5), (0, 16, 1), (4, 16, 0) })
        {
            float[] values = TestData.Normal(rng, n * k, 0.05f).Select((f, i) => i % 29 == 0 ? f * 4e4f : f).ToArray();
            byte[] bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
            sbyte[] xq = TestData.Int8(rng, m * k, -128, 127);
            float[] codes = xq.Select(v => (float)v).ToArray();
            float[] xs = Enumerable.Range(0, m).Select(r => 0.01f * (r + 1)).ToArray();
            foreach (KernelThreadPool? p in new[] { null, pool })
            {
                var y = new float[m * n];
                Matmul.Quantized(WeightType.F32, ActivationType.Int8, isa, bytes, WeightScale, xq, xs, n, k, m, y, p);
                for (int r = 0; r < m; r++)
                {
                    for (int i = 0; i < n; i++)
                    {
                        var (exact, magnitude) = ExactDot(values.AsSpan(i * k, k), codes.AsSpan(r * k, k));
                        double scale = (double)xs[r] * WeightScale;
                        Assert.True(Math.Abs(y[r * n + i] - exact * scale) <= 2 * (k + 2) * U * magnitude * scale + 1e-30,
                            $"{isa} f32 x int8 n={n} k={k} m={m}: y[{r}, {i}] = {y[r * n + i]:R}, exact {exact * scale:R}");
                    }
                }
            }
        }

        Assert.False(Matmul.IsSupported(WeightType.F32, ActivationType.Int4, isa)); // int4 rows are for the ternary types
    }

    /// <summary>w · x in double (each product exact, the sum far closer than the float sums under test), and sum |w_j x_j|, which their rounding errors scale with.</summary>
    private static (double Exact, double Magnitude) ExactDot(ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        double exact = 0, magnitude = 0;
        for (int j = 0; j < w.Length; j++)
        {
            double product = (double)w[j] * x[j];
            exact += product;
            magnitude += Math.Abs(product);
        }

        return (exact, magnitude);
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void DenseQ8_0MatchesTheReferenceWithinItsTolerance(Isa isa)
    {
        IsaScope.SkipUnlessSupported(isa);
        using var pool = KernelThreadPool.Create(3);
        var rng = new Random(53);
        foreach (var (n, k, m) in new[] { (1, 32, 1), (5, 64, 2), (1003, 256, 1), (40, 2560, 5) })
        {
            int blocks = k / 32;
            var w = new byte[WeightTypes.Bytes(WeightType.Q8_0, n, k)];
            var d = new float[n * blocks];
            for (int b = 0; b < n * blocks; b++)
            {
                Half scale = (Half)(0.001 + rng.NextDouble() * (b % 13 == 0 ? 20 : 0.01));
                d[b] = (float)scale;
                BinaryPrimitives.WriteUInt16LittleEndian(w.AsSpan(b * 34), BitConverter.HalfToUInt16Bits(scale));
                for (int j = 0; j < 32; j++)
                {
                    w[b * 34 + 2 + j] = (byte)(sbyte)rng.Next(-128, 128); // -128 too, which only an int16 dot product gets right
                }
            }

            sbyte[] xq = TestData.Int8(rng, m * k, -128, 127);
            float[] xs = Enumerable.Range(0, m).Select(r => 0.01f * (r + 1)).ToArray();
            foreach (KernelThreadPool? p in new[] { null, pool })
            {
                var y = new float[m * n];
                Matmul.Quantized(WeightType.Q8_0, ActivationType.Int8, isa, w, 1f, xq, xs, n, k, m, y, p);
                for (int r = 0; r < m; r++)
                {
                    for (int i = 0; i < n; i++)
                    {
                        double exact = 0, magnitude = 0;
                        for (int b = 0; b < blocks; b++)
                        {
                            long dot = 0, abs = 0;
                            for (int j = 0; j < 32; j++)
                            {
                                int product = (sbyte)w[(i * blocks + b) * 34 + 2 + j] * xq[r * k + b * 32 + j];
                                dot += product;
                                abs += Math.Abs(product);
                            }

                            exact += d[i * blocks + b] * (double)dot;
                            magnitude += d[i * blocks + b] * (double)abs;
                        }

                        double tolerance = (blocks + 4) * U * xs[r] * magnitude;
                        Assert.True(Math.Abs(y[r * n + i] - exact * xs[r]) <= tolerance,
                            $"{isa} n={n} k={k} m={m}: y[{r}, {i}] = {y[r * n + i]:R}, exact {exact * xs[r]:R}");
                    }
                }
            }
        }
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheParameterName()
    {
        var x = new float[8];
        var w = new float[4];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Norms.RmsNorm(x, w, Eps, 2, 4, new float[7], null)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => Norms.RmsNormInt8(x, new float[3], Eps, 2, 4, new sbyte[8], new float[2], null)).ParamName);
        Assert.Equal("scales", Assert.Throws<ArgumentException>(() => Norms.RmsNormInt4(x, w, Eps, 2, 4, new sbyte[8], new float[1], null)).ParamName);
        x[5] = float.NaN;
        Assert.Contains("row 1", Assert.Throws<ArgumentException>(() => Norms.RmsNormInt8(x, w, Eps, 2, 4, new sbyte[8], new float[2], null)).Message);
        Assert.Throws<ArgumentException>(() => Norms.RmsNorm(new float[8], w, 0f, 2, 4, new float[8], null));
        Assert.Equal("up", Assert.Throws<ArgumentException>(() => GatedActivations.Apply(x, new float[7], GateActivation.Silu, 2, 4, new float[8], null)).ParamName);
        Assert.Throws<ArgumentException>(() => GatedActivations.Apply(x, x, (GateActivation)9, 2, 4, new float[8], null));
        Assert.Equal("keyCache", Assert.Throws<ArgumentException>(() => Attention.Attend(new float[8], new Half[11], new Half[12], 1, 2, 1, 4, 2, 0.5f,
            new float[8], null)).ParamName);
        Assert.Equal("kvHeads", Assert.Throws<ArgumentException>(() => Attention.Attend(new float[12], new Half[12], new Half[12], 1, 3, 2, 4, 0, 0.5f,
            new float[12], null)).ParamName);
        Assert.Throws<ArgumentException>(() => Attention.Attend(new float[1024], new Half[1024], new Half[1024], 1, 1, 1, 1024, 0, 0.5f, new float[1024], null));
        Assert.Throws<ArgumentException>(() => Attention.RopeAndStoreKv(new float[8], new float[4], new float[4], new float[4], 1, 2, 1, 4, 6,
            RotaryLayout.NeoX, 0, new Half[4], new Half[4], null));
        Assert.Throws<ArgumentException>(() => Attention.RopeTable(0, 2, 3, 10000f, new float[8]));
        Assert.Contains("k=16", Assert.Throws<ArgumentException>(() =>
            Matmul.Quantized(WeightType.Q8_0, ActivationType.Int8, Isa.Reference, new byte[34], 1f, new sbyte[16], [1f], 1, 16, 1, new float[1], null)).Message);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() =>
            Matmul.Float(WeightType.F16, Isa.Reference, new byte[14], 1f, new float[4], 2, 4, 1, new float[2], null)).ParamName);
        Assert.Throws<ArgumentException>(() =>
            Matmul.Quantized(WeightType.Q8_0, ActivationType.Int8, Isa.Reference, new byte[34], 1f, new sbyte[32], [float.NaN], 1, 32, 1, new float[1], null));
    }
}
