using System.Buffers.Binary;
using BitNative.Model;
using Xunit;

namespace BitNative.Kernels.Tests;

/// <summary>
/// ggml's 4-bit and k-quant heads (Q4_0, Q4_K, Q5_K, Q6_K) x int8 rows through <see cref="Matmul.Quantized"/>, every ISA
/// this machine runs, against a managed reference that dequantizes the rows with <see cref="BlockDequantization"/> (the
/// decoder the engine uses for embeddings, written from ggml's dequantize_row_*): within the rounding of the float
/// epilogue bitnative.h states plus the decoder's own float rounding, and (the k-quants) the same bits on every ISA.
/// </summary>
[Collection(NativeIsaCollection.Name)]
public sealed class QuantizedHeadTests
{
    private const double U = 1.0 / (1 << 24);

    public static TheoryData<Isa, WeightType> Cases() => CasesOf(WeightType.Q6_K, WeightType.Q4_0, WeightType.Q4_K, WeightType.Q5_K);

    /// <summary>The k-quants reduce each 256-weight block exactly, so every ISA gives the reference's bits (Q4_0 sums in lanes).</summary>
    public static TheoryData<Isa, WeightType> BitExactCases() => CasesOf(WeightType.Q6_K, WeightType.Q4_K, WeightType.Q5_K);

    private static TheoryData<Isa, WeightType> CasesOf(params WeightType[] types)
    {
        var data = new TheoryData<Isa, WeightType>();
        foreach (Isa isa in Enum.GetValues<Isa>())
        {
            foreach (WeightType type in types)
            {
                data.Add(isa, type);
            }
        }

        return data;
    }

    /// <summary>Byte offsets of the fp16 d (and dmin, or -1) in a block of <paramref name="type"/> (ggml-common.h).</summary>
    private static (int D, int Dmin) ScaleOffsets(WeightType type) => type switch
    {
        WeightType.Q6_K => (208, -1),
        WeightType.Q4_0 => (0, -1),
        _ => (0, 2),
    };

    private static void Decode(WeightType type, ReadOnlySpan<byte> row, Span<float> values)
    {
        switch (type)
        {
            case WeightType.Q6_K: BlockDequantization.Q6_K(row, values); break;
            case WeightType.Q4_0: BlockDequantization.Q4_0(row, values); break;
            case WeightType.Q4_K: BlockDequantization.Q4_K(row, values); break;
            default: BlockDequantization.Q5_K(row, values); break;
        }
    }

    /// <summary>Random blocks (every code, every packed scale) with block scales from fp16-subnormal to large, some negative.</summary>
    private static byte[] RandomMatrix(Random rng, WeightType type, int n, int k)
    {
        WeightTypeInfo info = WeightTypes.Info(type);
        var w = new byte[WeightTypes.Bytes(type, n, k)];
        rng.NextBytes(w);
        (int dAt, int dminAt) = ScaleOffsets(type);
        for (int b = 0; b < w.Length / info.BlockBytes; b++)
        {
            foreach (int at in new[] { dAt, dminAt })
            {
                if (at >= 0)
                {
                    double v = (b % 11) switch { 0 => 3e-6, 1 => 30.0, 2 => -0.004, _ => 0.0005 + rng.NextDouble() * 0.01 };
                    BinaryPrimitives.WriteUInt16LittleEndian(w.AsSpan(b * info.BlockBytes + at), BitConverter.HalfToUInt16Bits((Half)v));
                }
            }
        }

        return w;
    }

    /// <summary>Row i's weights split into the part d scales (dmin zeroed) and the part dmin scales (d zeroed), decoded.</summary>
    private static (float[] ScalePart, float[] MinPart) Parts(WeightType type, ReadOnlySpan<byte> row, int k)
    {
        WeightTypeInfo info = WeightTypes.Info(type);
        (int dAt, int dminAt) = ScaleOffsets(type);
        var scalePart = new float[k];
        var minPart = new float[k];
        byte[] copy = row.ToArray();
        if (dminAt >= 0)
        {
            for (int b = 0; b < k / info.BlockWeights; b++)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(b * info.BlockBytes + dminAt), 0);
            }
        }

        Decode(type, copy, scalePart);
        if (dminAt >= 0)
        {
            row.CopyTo(copy);
            for (int b = 0; b < k / info.BlockWeights; b++)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(b * info.BlockBytes + dAt), 0);
            }

            Decode(type, copy, minPart);
        }

        return (scalePart, minPart);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheDequantizedReferenceWithinItsTolerance(Isa isa, WeightType type)
    {
        IsaScope.SkipUnlessSupported(isa);
        using var pool = KernelThreadPool.Create(3);
        var rng = new Random(61 + (int)type);
        int block = WeightTypes.Info(type).BlockWeights;
        foreach (var (n, k, m) in new[] { (1, 256, 1), (5, 512, 3), (1003, 256, 1), (40, 2560, 5), (3, block, 2) })
        {
            byte[] w = RandomMatrix(rng, type, n, k);
            long rowBytes = WeightTypes.Bytes(type, 1, k);
            sbyte[] xq = TestData.Int8(rng, m * k, -128, 127);
            float[] xs = Enumerable.Range(0, m).Select(r => 0.01f * (r + 1)).ToArray();
            var values = new float[k];
            foreach (KernelThreadPool? p in new[] { null, pool })
            {
                var y = new float[m * n];
                Matmul.Quantized(type, ActivationType.Int8, isa, w, 1f, xq, xs, n, k, m, y, p);
                for (int i = 0; i < n; i++)
                {
                    ReadOnlySpan<byte> row = w.AsSpan((int)(i * rowBytes), (int)rowBytes);
                    Decode(type, row, values);
                    (float[] scalePart, float[] minPart) = Parts(type, row, k);
                    for (int r = 0; r < m; r++)
                    {
                        double exact = 0, magnitude = 0;
                        for (int j = 0; j < k; j++)
                        {
                            int x = xq[r * k + j];
                            exact += (double)values[j] * x;
                            magnitude += (Math.Abs((double)scalePart[j]) + Math.Abs((double)minPart[j])) * Math.Abs(x);
                        }

                        // bitnative.h: 2 (blocks + 3) u |x_scale| sum (|d I_b| + |dmin M_b|); the decoder rounds each weight
                        // (d * sc, times the code, minus dmin * m: at most 3 roundings of those magnitudes) on top.
                        double tolerance = (2.0 * (k / block + 3) + 4) * U * xs[r] * magnitude;
                        Assert.True(Math.Abs(y[r * n + i] - exact * xs[r]) <= tolerance,
                            $"{isa} {type} n={n} k={k} m={m}: y[{r}, {i}] = {y[r * n + i]:R}, reference {exact * xs[r]:R} (tolerance {tolerance:G3})");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(BitExactCases))]
    public void EveryIsaGivesTheReferenceBits(Isa isa, WeightType type)
    {
        IsaScope.SkipUnlessSupported(isa);
        var rng = new Random(67);
        const int n = 37, k = 512, m = 6;
        byte[] w = RandomMatrix(rng, type, n, k);
        sbyte[] xq = TestData.Int8(rng, m * k, -128, 127);
        float[] xs = [0.5f, 0.01f, 3f, 1f, 0.25f, 0.125f];
        foreach (int rows in new[] { 1, m })
        {
            var expected = new float[rows * n];
            var actual = new float[rows * n];
            Matmul.Quantized(type, ActivationType.Int8, Isa.Reference, w, 0.75f, xq, xs, n, k, rows, expected, null);
            Matmul.Quantized(type, ActivationType.Int8, isa, w, 0.75f, xq, xs, n, k, rows, actual, null);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void OnlyInt8RowsAndWholeBlocksAreAccepted()
    {
        Assert.True(Matmul.IsSupported(WeightType.Q6_K, ActivationType.Int8, Isa.Reference));
        Assert.False(Matmul.IsSupported(WeightType.Q6_K, ActivationType.F32, Isa.Reference));
        Assert.Contains("k=128", Assert.Throws<ArgumentException>(() =>
            Matmul.Quantized(WeightType.Q4_K, ActivationType.Int8, Isa.Reference, new byte[144], 1f, new sbyte[128], [1f], 1, 128, 1,
                new float[1], null)).Message);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() =>
            Matmul.Quantized(WeightType.Q5_K, ActivationType.Int8, Isa.Reference, new byte[175], 1f, new sbyte[256], [1f], 1, 256, 1,
                new float[1], null)).ParamName);
        Assert.Throws<PlatformNotSupportedException>(() =>
            Matmul.Quantized(WeightType.Q4_0, ActivationType.Int4, Isa.Reference, new byte[18], 1f, new sbyte[32], [1f], 1, 32, 1,
                new float[1], null));
    }
}
