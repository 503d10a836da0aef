using Xunit;

namespace BitNative.Kernels.Tests;

[Collection(NativeIsaCollection.Name)]
public sealed class MatmulTests
{
    public static TheoryData<Isa, WeightType> Cases()
    {
        var data = new TheoryData<Isa, WeightType>();
        foreach (Isa isa in Enum.GetValues<Isa>())
        {
            data.Add(isa, WeightType.I2S);
            data.Add(isa, WeightType.Tq2);
        }

        return data;
    }

    private static readonly (int N, int K, int M)[] I2SShapes =
        [(1, 128, 1), (8, 128, 1), (7, 256, 2), (33, 384, 3), (64, 2560, 1), (9, 2560, 5), (40, 6912, 1), (13, 6912, 8), (0, 128, 1), (5, 128, 0)];

    private static readonly (int N, int K, int M)[] Tq2Shapes =
        [(1, 256, 1), (8, 256, 1), (7, 512, 2), (64, 2560, 1), (9, 2560, 5), (40, 6912, 1), (13, 6912, 8), (0, 256, 1)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryVariantMatchesTheManagedReferenceBitForBit(Isa isa, WeightType format)
    {
        IsaScope.SkipUnlessSupported(isa);
        using var pool2 = KernelThreadPool.Create(2);
        using var pool3 = KernelThreadPool.Create(3);
        var rng = new Random(99);
        int caseIndex = 0;
        foreach (var (n, k, m) in format == WeightType.I2S ? I2SShapes : Tq2Shapes)
        {
            foreach (int activationKind in new[] { 0, 1, 2 })
            {
                caseIndex++;
                sbyte[] w = TestData.Ternary(rng, n * k, zeroPercent: 10 * (caseIndex % 7));
                if (n > 2)
                {
                    w.AsSpan(0, k).Fill(1);       // all +1 and all -1 rows with extreme activations
                    w.AsSpan(k, k).Fill(-1);      // overflow any 16-bit accumulator that is not widened in time
                }

                sbyte[] x = activationKind switch
                {
                    0 => TestData.Int8(rng, m * k, -128, 127),
                    1 => Enumerable.Repeat((sbyte)-128, m * k).ToArray(),
                    _ => TestData.Int8(rng, m * k, -8, 7), // int4 activations
                };
                float[] xs = Enumerable.Range(0, m).Select(r => activationKind == 2 ? 3e-8f * (r + 1) : 0.0173f * (r + 1)).ToArray();
                float ws = activationKind == 1 ? 1e20f : 0.031f;

                byte[] packed = Pack(format, w, n, k, out float[] blockScales);
                float[] expected = format == WeightType.I2S
                    ? ReferenceKernels.MatmulI2S(w, ws, x, xs, n, k, m)
                    : ReferenceKernels.MatmulTq2(w, blockScales, ws, x, xs, n, k, m);

                foreach (KernelThreadPool? pool in new[] { null, pool2, pool3 })
                {
                    var y = new float[m * n];
                    y.AsSpan().Fill(float.NaN);
                    // int4 rows (activation kind 2) also run as Int4: the same kernels, the same bits
                    foreach (ActivationType input in activationKind == 2 ? [ActivationType.Int8, ActivationType.Int4] : new[] { ActivationType.Int8 })
                    {
                        y.AsSpan().Fill(float.NaN);
                        Matmul.Quantized(format, input, isa, packed, ws, x, xs, n, k, m, y, pool);
                        Assert.True(TestData.SameBits(expected, y, out int at),
                            $"{isa} {format} {input} n={n} k={k} m={m} activations={activationKind} threads={pool?.Threads ?? 1}: " +
                            $"y[{at}] = {(at >= 0 ? y[at] : 0):R}, reference {(at >= 0 ? expected[at] : 0):R}");
                    }
                }
            }
        }
    }

    /// <summary>Packs each row separately; TQ2 rows get distinct block scales so a wrong block-scale pairing shows.</summary>
    private static byte[] Pack(WeightType format, sbyte[] w, int n, int k, out float[] blockScales)
    {
        long rowBytes = WeightTypes.Bytes(format, 1, k);
        var packed = new byte[rowBytes * n];
        int blocks = format == WeightType.I2S ? 0 : k / WeightTypes.Info(format).BlockWeights;
        blockScales = new float[Math.Max(1, n * blocks)];
        for (int i = 0; i < n; i++)
        {
            float rowScale = format == WeightType.I2S ? 1f : 0.5f + 0.25f * (i % 5);
            WeightPacker.Pack(format, w.AsSpan(i * k, k), 1, k, rowScale, packed.AsSpan((int)(i * rowBytes), (int)rowBytes));
            blockScales.AsSpan(i * blocks, blocks).Fill((float)(Half)rowScale);
        }

        return packed;
    }

    [Fact]
    public void BadArgumentsGiveTheDocumentedExceptions()
    {
        var w = new byte[128];
        var x = new sbyte[256];
        var xs = new float[] { 1f };
        var y = new float[2];
        void I2S(ReadOnlySpan<byte> weights, float scale, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xScales, int n, int k, Span<float> yy) =>
            Matmul.Quantized(WeightType.I2S, ActivationType.Int8, Isa.Reference, weights, scale, xq, xScales, n, k, 1, yy, null);
        I2S(w, 1f, x, xs, 2, 256, y);

        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => I2S(w.AsSpan(0, 127), 1f, x, xs, 2, 256, y)).ParamName);
        Assert.Equal("xq", Assert.Throws<ArgumentException>(() => I2S(w, 1f, x.AsSpan(0, 255), xs, 2, 256, y)).ParamName);
        Assert.Equal("xScales", Assert.Throws<ArgumentException>(() => I2S(w, 1f, x, [], 2, 256, y)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => I2S(w, 1f, x, xs, 2, 256, new float[1])).ParamName);
        Assert.Contains("multiple of", Assert.Throws<ArgumentException>(() => I2S(w, 1f, x, xs, 2, 200, y)).Message);
        Assert.Contains("k=128", Assert.Throws<ArgumentException>(() =>
            Matmul.Quantized(WeightType.Tq2, ActivationType.Int8, Isa.Reference, new byte[132], 1f, x, xs, 2, 128, 1, y, null)).Message);
        Assert.Contains("w_scale", Assert.Throws<ArgumentException>(() => I2S(w, float.NaN, x, xs, 2, 256, y)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => I2S(w, 1f, x, xs, -1, 256, y));
        // pairs without a kernel, and ISAs this CPU lacks
        Assert.Throws<PlatformNotSupportedException>(() =>
            Matmul.Quantized(WeightType.F16, ActivationType.Int8, Isa.Reference, new byte[1024], 1f, x, xs, 2, 256, 1, y, null));
        Assert.Throws<ArgumentException>(() =>
            Matmul.Quantized(WeightType.I2S, ActivationType.F32, Isa.Reference, w, 1f, x, xs, 2, 256, 1, y, null));
        foreach (Isa missing in Enum.GetValues<Isa>().Where(i => !KernelDispatch.IsSupported(i)))
        {
            Assert.False(Matmul.IsSupported(WeightType.I2S, ActivationType.Int8, missing));
            Assert.Throws<PlatformNotSupportedException>(() =>
                Matmul.Quantized(WeightType.I2S, ActivationType.Int8, missing, w, 1f, x, xs, 2, 256, 1, y, null));
        }
    }
}
