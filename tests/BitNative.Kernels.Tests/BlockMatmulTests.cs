using System.Buffers.Binary;
using Xunit;

namespace BitNative.Kernels.Tests;

/// <summary>
/// Integer block types over int8 rows through the public facade, every ISA this machine runs, against a C# reading of
/// bitnative.h's specification: per block one exact integer dot, then t_b = (float)dot · d_b summed in block order and
/// y = sum · x_scale, so every variant must give these bits exactly. Each type is decoded here from its layout
/// description (code of weight j, its value), independently of the native references.
/// </summary>
[Collection(NativeIsaCollection.Name)]
public sealed class BlockMatmulTests
{
    /// <summary>A type's block: weights per block, bytes per block, and the integer weight j of a block (w = d · value).</summary>
    private sealed record BlockLayout(WeightType Type, int Weights, int Bytes, Func<byte[], int, int, int> Value);

    /// <summary>Q2_0: fp16 d, then four consecutive weights per byte, LSB first; code c means c - 1.</summary>
    private static readonly BlockLayout Q2_0 = new(WeightType.Q2_0, 64, 18,
        (w, block, j) => ((w[block + 2 + j / 4] >> (2 * (j % 4))) & 3) - 1);

    /// <summary>Q1_0: fp16 d, then one bit per weight, LSB first; 1 means +1, 0 means -1.</summary>
    private static readonly BlockLayout Q1_0 = new(WeightType.Q1_0, 128, 18,
        (w, block, j) => ((w[block + 2 + j / 8] >> (j % 8)) & 1) == 1 ? 1 : -1);

    /// <summary>PrismML's Q2_0 with 128-weight groups: fp16 d, then Q2_0's code order over 32 bytes.</summary>
    private static readonly BlockLayout Q2_0G128 = new(WeightType.Q2_0G128, 128, 34,
        (w, block, j) => ((w[block + 2 + j / 4] >> (2 * (j % 4))) & 3) - 1);

    public static TheoryData<Isa, string> Cases()
    {
        var data = new TheoryData<Isa, string>();
        foreach (Isa isa in Enum.GetValues<Isa>())
        {
            foreach (string type in Layouts.Keys)
            {
                data.Add(isa, type);
            }
        }

        return data;
    }

    private static readonly Dictionary<string, BlockLayout> Layouts = new()
    {
        ["q2_0"] = Q2_0,
        ["q1_0"] = Q1_0,
        ["q2_0_g128"] = Q2_0G128,
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheSpecificationBitForBit(Isa isa, string type)
    {
        IsaScope.SkipUnlessSupported(isa);
        BlockLayout layout = Layouts[type];
        Assert.Equal(layout.Bytes, WeightTypes.Info(layout.Type).BlockBytes);
        Assert.Equal(layout.Weights, WeightTypes.Info(layout.Type).BlockWeights);
        using var pool = KernelThreadPool.Create(3);
        var rng = new Random(61);
        foreach (var (n, k, m) in new[] { (1, layout.Weights, 1), (5, 2 * layout.Weights, 2), (1003, 512, 1), (40, 2560, 5) })
        {
            int blocks = k / layout.Weights;
            var w = new byte[WeightTypes.Bytes(layout.Type, n, k)];
            rng.NextBytes(w);
            var d = new float[n * blocks];
            for (int b = 0; b < n * blocks; b++)
            {
                Half scale = (Half)((b % 7 == 0 ? -1 : 1) * (0.001 + rng.NextDouble() * (b % 13 == 0 ? 20 : 0.01)));
                d[b] = (float)scale;
                BinaryPrimitives.WriteUInt16LittleEndian(w.AsSpan(b * layout.Bytes), BitConverter.HalfToUInt16Bits(scale));
            }

            sbyte[] xq = TestData.Int8(rng, m * k, -128, 127);
            float[] xs = Enumerable.Range(0, m).Select(r => 0.01f * (r + 1)).ToArray();
            var want = new float[m * n];
            for (int r = 0; r < m; r++)
            {
                for (int i = 0; i < n; i++)
                {
                    float sum = 0f;
                    for (int b = 0; b < blocks; b++)
                    {
                        int dot = 0;
                        for (int j = 0; j < layout.Weights; j++)
                        {
                            dot += layout.Value(w, (i * blocks + b) * layout.Bytes, j) * xq[r * k + b * layout.Weights + j];
                        }

                        sum += dot * d[i * blocks + b];
                    }

                    want[r * n + i] = sum * xs[r];
                }
            }

            foreach (KernelThreadPool? p in new[] { null, pool })
            {
                var y = new float[m * n];
                Matmul.Quantized(layout.Type, ActivationType.Int8, isa, w, 1f, xq, xs, n, k, m, y, p);
                Assert.True(TestData.SameBits(y, want, out int at),
                    $"{type} {isa} n={n} k={k} m={m}: y[{at}] = {(at >= 0 ? y[at] : 0):R}, want {(at >= 0 ? want[at] : 0):R}");
            }
        }
    }

    [Fact]
    public void RowsThatDoNotFillABlockAreRejected()
    {
        foreach (BlockLayout layout in Layouts.Values)
        {
            int k = layout.Weights / 2;
            Assert.Contains($"k={k}", Assert.Throws<ArgumentException>(() => Matmul.Quantized(layout.Type, ActivationType.Int8, Isa.Reference,
                new byte[layout.Bytes], 1f, new sbyte[k], [1f], 1, k, 1, new float[1], null)).Message);
        }
    }
}
