using Xunit;

namespace BitNative.Kernels.Tests;

/// <summary>
/// BitNet a4.8 / v2 kernels through the public facade, every ISA this machine runs, against managed references written
/// from bitnative.h: the quantized KV blocks (bit for bit), attention over them (within the attention tolerance), RoPE
/// with the quantized write (bit for bit across ISAs), the Hadamard transform and top-K (bit for bit), and the sparse
/// I2ST matmul (the bits of I2S).
/// </summary>
[Collection(NativeIsaCollection.Name)]
public sealed class A48KernelTests
{
    private static readonly KvCacheType[] Quantized = [KvCacheType.Q8, KvCacheType.Q4, KvCacheType.Q3];

    private static int QMax(KvCacheType t) => t switch { KvCacheType.Q8 => 127, KvCacheType.Q4 => 7, _ => 3 };

    /// <summary>bitnative.h's block rule: absmax a, c = clamp(round(x · Qmax / a)), d = a / Qmax, codes packed per 32.</summary>
    private static byte[] ReferenceBlock(ReadOnlySpan<float> x, KvCacheType type)
    {
        int hd = x.Length, qmax = QMax(type);
        float amax = 0;
        foreach (float v in x)
        {
            amax = MathF.Abs(v) > amax ? MathF.Abs(v) : amax;
        }

        amax = amax < 1e-5f ? 1e-5f : amax;
        float s = qmax / amax, d = amax / qmax;
        var block = new byte[KvQuantizer.BlockBytes(type, hd)];
        BitConverter.TryWriteBytes(block, d);
        for (int j = 0; j < hd; j++)
        {
            float v = x[j] * s;
            v = v > -qmax ? v : -qmax;
            v = v < qmax ? v : qmax;
            int c = (int)MathF.Round(v, MidpointRounding.ToEven), g = j / 32, i = j % 32;
            switch (type)
            {
                case KvCacheType.Q8: block[4 + j] = (byte)(sbyte)c; break;
                case KvCacheType.Q4: block[4 + 16 * g + i % 16] |= (byte)((c + 8) << (i < 16 ? 0 : 4)); break;
                default:
                    block[4 + 12 * g + i % 8] |= (byte)(((c + 4) & 3) << (2 * (i / 8)));
                    block[4 + 12 * g + 8 + i / 8] |= (byte)(((c + 4) >> 2) << (i % 8));
                    break;
            }
        }

        return block;
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void KvBlocksMatchTheReferenceBitForBitAndReadBackWithinHalfAStep(Isa isa)
    {
        using var _ = IsaScope.Force(isa);
        var rng = new Random(5);
        foreach (KvCacheType type in Quantized)
        {
            foreach (int hd in new[] { 32, 64, 128 })
            {
                const int rows = 5;
                float[] x = TestData.Normal(rng, rows * hd, 2f);
                x[7] = 40f; // an outlier sets its head's scale
                long bb = KvQuantizer.BlockBytes(type, hd);
                var blocks = new byte[rows * bb];
                KvQuantizer.Quantize(x, rows, hd, type, blocks);
                var back = new float[rows * hd];
                KvQuantizer.Dequantize(blocks, rows, hd, type, back);
                for (int r = 0; r < rows; r++)
                {
                    byte[] want = ReferenceBlock(x.AsSpan(r * hd, hd), type);
                    Assert.True(want.AsSpan().SequenceEqual(blocks.AsSpan((int)(r * bb), (int)bb)), $"{isa} {type} hd={hd} row {r}");
                    float d = BitConverter.ToSingle(want, 0);
                    for (int j = 0; j < hd; j++)
                    {
                        Assert.True(Math.Abs(back[r * hd + j] - x[r * hd + j]) <= d * 0.5001f, $"{isa} {type} value {j}");
                    }
                }
            }
        }

        Assert.Equal(52, KvQuantizer.BlockBytes(KvCacheType.Q3, 128));
        Assert.Equal(68, KvQuantizer.BlockBytes(KvCacheType.Q4, 128));
        Assert.Equal(132, KvQuantizer.BlockBytes(KvCacheType.Q8, 128));
        Assert.Equal(256, KvQuantizer.BlockBytes(KvCacheType.F16, 128));
        Assert.Throws<ArgumentException>(() => KvQuantizer.BlockBytes(KvCacheType.Q3, 48));
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void AttentionOverQuantizedCachesMatchesTheReferenceWithinItsTolerance(Isa isa)
    {
        using var _ = IsaScope.Force(isa);
        using var pool = KernelThreadPool.Create(2);
        var rng = new Random(47);
        foreach (KvCacheType type in Quantized)
        {
            foreach (var (heads, kvHeads, headDim) in new[] { (20, 5, 128), (4, 2, 64), (8, 8, 32) })
            {
                foreach (var (tokens, position, sigma) in new[] { (1, 0, 1f), (1, 70, 3f), (4, 33, 0.3f) })
                {
                    int qDim = heads * headDim, kvDim = kvHeads * headDim, rows = position + tokens, group = heads / kvHeads;
                    long rowBytes = kvHeads * KvQuantizer.BlockBytes(type, headDim);
                    float[] q = TestData.Normal(rng, tokens * qDim, sigma);
                    var keys = new byte[rows * rowBytes];
                    var values = new byte[rows * rowBytes];
                    KvQuantizer.Quantize(TestData.Normal(rng, rows * kvDim, 1f), rows * kvHeads, headDim, type, keys);
                    KvQuantizer.Quantize(TestData.Normal(rng, rows * kvDim, 2f), rows * kvHeads, headDim, type, values);
                    var k = new float[rows * kvDim];
                    var v = new float[rows * kvDim];
                    KvQuantizer.Dequantize(keys, rows * kvHeads, headDim, type, k);
                    KvQuantizer.Dequantize(values, rows * kvHeads, headDim, type, v);
                    float scale = 1f / MathF.Sqrt(headDim);
                    // the reference: softmax attention over the values the blocks read back, in double
                    var expect = new double[tokens * qDim];
                    double scoreMax = 0;
                    for (int t = 0; t < tokens; t++)
                    {
                        for (int h = 0; h < heads; h++)
                        {
                            int seen = position + t + 1, kvh = h / group;
                            var sc = new double[seen];
                            for (int p = 0; p < seen; p++)
                            {
                                double dot = 0;
                                for (int j = 0; j < headDim; j++)
                                {
                                    dot += (double)q[(t * heads + h) * headDim + j] * k[p * kvDim + kvh * headDim + j];
                                }

                                sc[p] = dot * scale;
                                scoreMax = Math.Max(scoreMax, Math.Abs(sc[p]));
                            }

                            double m = sc.Max(), z = sc.Sum(x => Math.Exp(x - m));
                            for (int p = 0; p < seen; p++)
                            {
                                for (int j = 0; j < headDim; j++)
                                {
                                    expect[(t * heads + h) * headDim + j] += Math.Exp(sc[p] - m) / z * v[p * kvDim + kvh * headDim + j];
                                }
                            }
                        }
                    }

                    double tolerance = 1e-5 * (1 + scoreMax) * v.Max(Math.Abs) + 1e-6;
                    foreach (KernelThreadPool? pl in new[] { null, pool })
                    {
                        var output = new float[tokens * qDim];
                        Attention.Attend(q, type, keys, values, tokens, heads, kvHeads, headDim, position, scale, output, pl);
                        for (int i = 0; i < output.Length; i++)
                        {
                            Assert.True(Math.Abs(output[i] - expect[i]) <= tolerance,
                                $"{isa} {type} {heads}/{kvHeads}x{headDim} tokens={tokens} position={position}: out[{i}] = {output[i]:R}, " +
                                $"reference {expect[i]:R}, tolerance {tolerance:G3}");
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void RopeWithTheQuantizedWriteStoresTheRotatedKeysAsBlocks(Isa isa)
    {
        const int heads = 4, kvHeads = 2, headDim = 64, tokens = 3, position = 5;
        int qDim = heads * headDim, kvDim = kvHeads * headDim, rows = position + tokens;
        var rng = new Random(9);
        float[] q0 = TestData.Normal(rng, tokens * qDim, 1f), k = TestData.Normal(rng, tokens * kvDim, 1f), v = TestData.Normal(rng, tokens * kvDim, 1f);
        var table = new float[tokens * headDim];
        Attention.RopeTable(position, tokens, headDim, 10000f, table);
        // the f16 write on the reference ISA: the rotated keys (as fp16) and queries every variant must reproduce
        float[] qHalf = (float[])q0.Clone();
        var kHalf = new Half[rows * kvDim];
        var vHalf = new Half[rows * kvDim];
        using (IsaScope.Force(Isa.Reference))
        {
            Attention.RopeAndStoreKv(qHalf, k, v, table, tokens, heads, kvHeads, headDim, headDim, RotaryLayout.NeoX, position, kHalf, vHalf, null);
        }

        using var _ = IsaScope.Force(isa);
        foreach (KvCacheType type in Quantized)
        {
            long bb = KvQuantizer.BlockBytes(type, headDim);
            var keys = new byte[rows * kvHeads * bb];
            var values = new byte[rows * kvHeads * bb];
            float[] q = (float[])q0.Clone();
            Attention.RopeAndStoreKv(q, k, v, table, tokens, heads, kvHeads, headDim, headDim, RotaryLayout.NeoX, position, type, keys, values, null);
            Assert.True(TestData.SameBits(q, qHalf, out int _), $"{isa} {type}: q rotated differently from the f16 path");
            var back = new float[rows * kvDim];
            KvQuantizer.Dequantize(keys, rows * kvHeads, headDim, type, back);
            var valuesBack = new float[rows * kvDim];
            KvQuantizer.Dequantize(values, rows * kvHeads, headDim, type, valuesBack);
            for (int b = position * kvHeads; b < rows * kvHeads; b++)
            {
                float d = BitConverter.ToSingle(keys, (int)(b * bb));
                for (int j = 0; j < headDim; j++)
                {
                    float want = (float)kHalf[b * headDim + j];
                    Assert.True(Math.Abs(back[b * headDim + j] - want) <= d * 0.5f + Math.Abs(want) * 1e-3f, $"{isa} {type} key block {b} value {j}");
                }

                byte[] vWant = ReferenceBlock(v.AsSpan((b - position * kvHeads) * headDim, headDim), type);
                Assert.True(vWant.AsSpan().SequenceEqual(values.AsSpan((int)(b * bb), (int)bb)), $"{isa} {type} value block {b}");
            }
        }
    }

    /// <summary>bitnative.h's Hadamard: butterflies h = 1, 2, ..., B / 2 per block, then times (float)(1 / sqrt(B)).</summary>
    private static void ReferenceHadamard(Span<float> row)
    {
        int k = row.Length, block = k & -k;
        float scale = (float)(1.0 / Math.Sqrt(block));
        for (int b0 = 0; b0 < k; b0 += block)
        {
            Span<float> v = row.Slice(b0, block);
            for (int h = 1; h < block; h *= 2)
            {
                for (int j = 0; j < block; j++)
                {
                    if ((j & h) == 0)
                    {
                        float a = v[j], c = v[j + h];
                        v[j] = a + c;
                        v[j + h] = a - c;
                    }
                }
            }

            for (int j = 0; j < block; j++)
            {
                v[j] *= scale;
            }
        }
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void HadamardMatchesTheReferenceBitForBitAndIsItsOwnInverse(Isa isa)
    {
        using var _ = IsaScope.Force(isa);
        using var pool = KernelThreadPool.Create(2);
        var rng = new Random(17);
        foreach (int k in new[] { 1, 6, 8, 24, 256, 768, 2560, 6912 })
        {
            const int rows = 9;
            float[] x = TestData.Normal(rng, rows * k, 1f);
            float[] want = (float[])x.Clone();
            for (int r = 0; r < rows; r++)
            {
                ReferenceHadamard(want.AsSpan(r * k, k));
            }

            float[] got = (float[])x.Clone();
            ActivationTransforms.Hadamard(got, rows, k, pool);
            if (!TestData.SameBits(got, want, out int i))
            {
                Assert.Fail($"{isa} k={k}: x[{i}] = {got[i]:R}, reference {want[i]:R}");
            }

            ActivationTransforms.Hadamard(got, rows, k, null);
            for (int j = 0; j < x.Length; j++)
            {
                Assert.True(Math.Abs(got[j] - x[j]) <= 1e-5f * (1 + Math.Abs(x[j])), $"{isa} k={k}: H(H x)[{j}] = {got[j]}, x {x[j]}");
            }
        }

        Assert.Equal(512, ActivationTransforms.HadamardBlock(2560));
        Assert.Equal(256, ActivationTransforms.HadamardBlock(6912));
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void TopKKeepsTheLargestMagnitudesWithTiesToTheLowerColumns(Isa isa)
    {
        using var _ = IsaScope.Force(isa);
        var rng = new Random(3);
        foreach (int k in new[] { 5, 64, 100, 2560, 6912 })
        {
            foreach (int keep in new[] { 0, 1, k / 2, k / 5, k })
            {
                const int rows = 3;
                sbyte[] x = TestData.Int8(rng, rows * k, -4, 4); // many ties
                x[1] = -128;
                sbyte[] got = (sbyte[])x.Clone();
                ActivationTransforms.TopK(got, rows, k, keep, null);
                for (int r = 0; r < rows; r++)
                {
                    // reference: order columns by (|x| descending, column ascending), keep the first `keep`
                    int[] order = Enumerable.Range(0, k).OrderByDescending(j => Math.Abs((int)x[r * k + j])).ThenBy(j => j).ToArray();
                    var kept = new HashSet<int>(order.Take(keep));
                    for (int j = 0; j < k; j++)
                    {
                        sbyte want = kept.Contains(j) ? x[r * k + j] : (sbyte)0;
                        Assert.True(got[r * k + j] == want, $"{isa} k={k} keep={keep} row {r} column {j}: {got[r * k + j]}, want {want}");
                    }
                }
            }
        }

        Assert.Equal(1280, ActivationTransforms.KeepCount(2560, 0.5f));
        Assert.Equal(2560, ActivationTransforms.KeepCount(2560, 0f));
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void SparseI2STGivesTheBitsOfI2S(Isa isa)
    {
        IsaScope.SkipUnlessSupported(isa);
        using var pool = KernelThreadPool.Create(2);
        var rng = new Random(21);
        foreach (var (n, k) in new[] { (128, 128), (300, 256), (2560, 640) })
        {
            sbyte[] q = TestData.Ternary(rng, n * k, 30);
            var i2s = new byte[WeightTypes.Bytes(WeightType.I2S, n, k)];
            var i2st = new byte[WeightTypes.Bytes(WeightType.I2ST, n, k)];
            var repacked = new byte[i2st.Length];
            WeightPacker.Pack(WeightType.I2S, q, n, k, 1f, i2s);
            WeightPacker.Pack(WeightType.I2ST, q, n, k, 1f, i2st);
            WeightPacker.Repack(WeightType.I2S, i2s, WeightType.I2ST, n, k, repacked, pool);
            Assert.True(i2st.AsSpan().SequenceEqual(repacked), $"repack I2S -> I2ST n={n} k={k}");
            foreach (int m in new[] { 1, 5 })
            {
                foreach (int zeros in new[] { 0, 50, 85, 100 })
                {
                    sbyte[] x = TestData.Int8(rng, m * k, -128, 127).Select(v => rng.Next(100) < zeros ? (sbyte)0 : v).ToArray();
                    float[] scales = Enumerable.Range(1, m).Select(r => 0.01f * r).ToArray();
                    var want = new float[m * n];
                    var got = new float[m * n];
                    Matmul.Quantized(WeightType.I2S, ActivationType.Int8, Isa.Reference, i2s, 0.5f, x, scales, n, k, m, want, null);
                    Matmul.Quantized(WeightType.I2ST, ActivationType.Int8, isa, i2st, 0.5f, x, scales, n, k, m, got, pool);
                    if (!TestData.SameBits(got, want, out int i))
                    {
                        Assert.Fail($"{isa} n={n} k={k} m={m} zeros {zeros}%: y[{i}] = {got[i]:R}, I2S {want[i]:R}");
                    }
                }
            }
        }
    }
}
