using Xunit;

namespace BitNative.Kernels.Tests;

[Collection(NativeIsaCollection.Name)]
public sealed class LutMatmulTests
{
    /// <summary>Row counts around the 32-row tile (padding rows), k from one 128-column block to the 2B-4T widths, batches.</summary>
    private static readonly (int N, int K, int M)[] Shapes =
        [(1, 128, 1), (31, 256, 1), (33, 640, 3), (64, 2560, 1), (300, 1152, 1), (40, 6912, 1), (13, 2560, 5), (70, 512, 17), (0, 128, 1), (5, 128, 0)];

    [Fact]
    public void PackMatchesTheLayoutDescriptionAndRoundTrips()
    {
        var rng = new Random(17);
        foreach (var (n, k, _) in Shapes)
        {
            sbyte[] q = TestData.Ternary(rng, n * k, zeroPercent: 30);
            byte[] expected = ReferenceKernels.PackTl1(q, n, k);
            var packed = new byte[WeightTypes.Bytes(WeightType.Tl1, n, k)];
            Assert.Equal(expected.Length, packed.Length);
            WeightPacker.Pack(WeightType.Tl1, q, n, k, 1f, packed);
            Assert.Equal(expected, packed);

            var fromI2S = new byte[packed.Length];
            using var pool = KernelThreadPool.Create(2);
            byte[] i2s = ReferenceKernels.PackI2S(q);
            WeightPacker.Repack(WeightType.I2S, i2s, WeightType.Tl1, n, k, fromI2S, pool);
            Assert.Equal(expected, fromI2S);

            var backToI2S = new byte[i2s.Length];
            WeightPacker.Repack(WeightType.Tl1, packed, WeightType.I2S, n, k, backToI2S, pool);
            Assert.Equal(i2s, backToI2S);

            var back = new sbyte[n * k];
            WeightPacker.Unpack(WeightType.Tl1, packed, n, k, back, []);
            Assert.Equal(q, back);
        }
    }

    public static TheoryData<Isa, bool> Cases()
    {
        var data = new TheoryData<Isa, bool>();
        foreach (Isa isa in Enum.GetValues<Isa>())
        {
            data.Add(isa, false);
            data.Add(isa, true);
        }

        return data;
    }

    /// <summary>
    /// Every variant against the managed reference (the exact integer dot and the I2S epilogue) bit for bit, and against
    /// the multiply-add kernel on the same weights, alone and on pools of 2 and 3 threads.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryVariantMatchesTheManagedReferenceAndTheMultiplyAddKernelBitForBit(Isa isa, bool int4)
    {
        IsaScope.SkipUnlessSupported(isa);
        using var pool2 = KernelThreadPool.Create(2);
        using var pool3 = KernelThreadPool.Create(3);
        var rng = new Random(int4 ? 4 : 8);
        int caseIndex = 0;
        foreach (var (n, k, m) in Shapes)
        {
            foreach (int activationKind in int4 ? new[] { 2, 3 } : new[] { 0, 1, 2 })
            {
                caseIndex++;
                sbyte[] w = TestData.Ternary(rng, n * k, zeroPercent: 10 * (caseIndex % 7));
                if (n > 2)
                {
                    w.AsSpan(0, k).Fill(1); // all +1 and all -1 rows against extreme activations: the largest table sums
                    w.AsSpan(k, k).Fill(-1);
                }

                sbyte[] x = activationKind switch
                {
                    0 => TestData.Int8(rng, m * k, -128, 127),
                    1 => Enumerable.Range(0, m * k).Select(j => (sbyte)(j % 2 == 0 ? -128 : 127)).ToArray(),
                    2 => TestData.Int8(rng, m * k, -8, 7),
                    _ => Enumerable.Repeat((sbyte)-8, m * k).ToArray(),
                };
                float[] xs = Enumerable.Range(0, m).Select(r => 0.0173f * (r + 1)).ToArray();
                const float ws = 0.031f;

                var packed = new byte[WeightTypes.Bytes(WeightType.Tl1, n, k)];
                WeightPacker.Pack(WeightType.Tl1, w, n, k, 1f, packed);
                float[] expected = ReferenceKernels.MatmulI2S(w, ws, x, xs, n, k, m);
                var mad = new float[m * n];
                Matmul.Quantized(WeightType.I2S, ActivationType.Int8, isa, ReferenceKernels.PackI2S(w), ws, x, xs, n, k, m, mad, null);
                Assert.True(TestData.SameBits(expected, mad, out int madAt), $"the multiply-add kernel differs at {madAt}");

                foreach (KernelThreadPool? pool in new[] { null, pool2, pool3 })
                {
                    var y = new float[m * n];
                    y.AsSpan().Fill(float.NaN);
                    Matmul.Quantized(WeightType.Tl1, int4 ? ActivationType.Int4 : ActivationType.Int8, isa, packed, ws, x, xs, n, k, m, y, pool);

                    Assert.True(TestData.SameBits(expected, y, out int at),
                        $"{isa} int{(int4 ? 4 : 8)} n={n} k={k} m={m} activations={activationKind} threads={pool?.Threads ?? 1}: " +
                        $"y[{at}] = {(at >= 0 ? y[at] : 0):R}, reference {(at >= 0 ? expected[at] : 0):R}");
                }
            }
        }
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void Int4RejectsActivationsOutsideItsRangeBeforeWritingOutput(Isa isa)
    {
        IsaScope.SkipUnlessSupported(isa);
        const int n = 33, k = 256;
        var packed = new byte[WeightTypes.Bytes(WeightType.Tl1, n, k)];
        WeightPacker.Pack(WeightType.Tl1, new sbyte[n * k], n, k, 1f, packed);
        foreach (int m in new[] { 1, 20 })
        {
            var x = new sbyte[m * k];
            x[(m - 1) * k + 5] = 8;
            var y = new float[m * n];
            y.AsSpan().Fill(7f);
            var xs = Enumerable.Repeat(1f, m).ToArray();
            var e = Assert.Throws<ArgumentException>(() => Tl1(ActivationType.Int4, isa, packed, 1f, x, xs, n, k, m, y));
            Assert.Contains("[-8, 7]", e.Message);
            Assert.All(y, v => Assert.Equal(7f, v));
            Tl1(ActivationType.Int8, isa, packed, 1f, x, xs, n, k, m, y); // int8 takes it
        }
    }

    private static void Tl1(ActivationType input, Isa isa, ReadOnlySpan<byte> w, float ws, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xs,
        int n, int k, int m, Span<float> y) =>
        Matmul.Quantized(WeightType.Tl1, input, isa, w, ws, x, xs, n, k, m, y, null);

    [Fact]
    public void BadArgumentsGiveTheDocumentedExceptions()
    {
        var w = new byte[WeightTypes.Bytes(WeightType.Tl1, 33, 256)];
        var x = new sbyte[256];
        var xs = new float[] { 1f };
        var y = new float[33];
        const Isa Ref = Isa.Reference;
        Tl1(ActivationType.Int8, Ref, w, 1f, x, xs, 33, 256, 1, y);

        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => Tl1(ActivationType.Int8, Ref, w.AsSpan(1), 1f, x, xs, 33, 256, 1, y)).ParamName);
        Assert.Equal("xq", Assert.Throws<ArgumentException>(() => Tl1(ActivationType.Int4, Ref, w, 1f, x.AsSpan(1), xs, 33, 256, 1, y)).ParamName);
        Assert.Equal("xScales", Assert.Throws<ArgumentException>(() => Tl1(ActivationType.Int8, Ref, w, 1f, x, [], 33, 256, 1, y)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Tl1(ActivationType.Int8, Ref, w, 1f, x, xs, 33, 256, 1, new float[32])).ParamName);
        Assert.Contains("multiple of", Assert.Throws<ArgumentException>(() => Tl1(ActivationType.Int8, Ref, w, 1f, x, xs, 33, 192, 1, y)).Message);
        Assert.Contains("w_scale", Assert.Throws<ArgumentException>(() => Tl1(ActivationType.Int8, Ref, w, float.NaN, x, xs, 33, 256, 1, y)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tl1(ActivationType.Int8, Ref, w, 1f, x, xs, -1, 256, 1, y));
        Assert.Equal("packed", Assert.Throws<ArgumentException>(() => WeightPacker.Pack(WeightType.Tl1, new sbyte[33 * 256], 33, 256, 1f, new byte[10])).ParamName);
        Assert.Contains("not in {-1, 0, 1}", Assert.Throws<ArgumentException>(() =>
            WeightPacker.Pack(WeightType.Tl1, Enumerable.Repeat((sbyte)2, 33 * 256).ToArray(), 33, 256, 1f, w)).Message);
        byte[] i2s = Enumerable.Repeat((byte)0xff, 33 * 64).ToArray(); // code 3 everywhere
        Assert.Contains("code 3", Assert.Throws<ArgumentException>(() => WeightPacker.Repack(WeightType.I2S, i2s, WeightType.Tl1, 33, 256, w, null)).Message);
        Assert.Equal("source", Assert.Throws<ArgumentException>(() => WeightPacker.Repack(WeightType.I2S, i2s.AsSpan(1), WeightType.Tl1, 33, 256, w, null)).ParamName);
        Assert.Throws<PlatformNotSupportedException>(() => WeightPacker.Repack(WeightType.I2S, i2s, WeightType.Tq2, 33, 256, new byte[33 * 66], null));
    }
}
