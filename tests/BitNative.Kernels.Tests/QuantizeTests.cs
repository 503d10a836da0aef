using Xunit;

namespace BitNative.Kernels.Tests;

[Collection(NativeIsaCollection.Name)]
public sealed class QuantizeTests
{
    private static float[] Row(Random rng, int k, int kind) => kind switch
    {
        0 => TestData.Normal(rng, k, 1f),
        1 => new float[k], // all zero: epsilon scale
        2 => TestData.Normal(rng, k, 1e-30f),
        3 => TestData.Normal(rng, k, 1e30f),
        4 => Enumerable.Range(0, k).Select(j => (rng.Next(-254, 255)) * 0.5f).ToArray(), // many .5 ties
        _ => TestData.Normal(rng, k, 0.01f).Select((v, j) => j == k / 2 ? 1000f : v).ToArray(), // one outlier
    };

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void EveryVariantMatchesTheManagedReferenceBitForBit(Isa isa)
    {
        using var _ = IsaScope.Force(isa);
        using var pool = KernelThreadPool.Create(2);
        var rng = new Random(17);
        foreach (int k in new[] { 1, 7, 15, 16, 17, 33, 255, 2560, 6912 })
        {
            foreach (int rows in new[] { 1, 3, 9 })
            {
                float[] x = Enumerable.Range(0, rows).SelectMany(r => Row(rng, k, (r + k) % 6)).ToArray();
                foreach (bool int4 in new[] { false, true })
                {
                    var q = new sbyte[rows * k];
                    var scales = new float[rows];
                    if (int4)
                    {
                        ActivationQuantizer.QuantizeInt4(x, rows, k, q, scales, rows > 1 ? pool : null);
                    }
                    else
                    {
                        ActivationQuantizer.QuantizeInt8(x, rows, k, q, scales, rows > 1 ? pool : null);
                    }

                    for (int r = 0; r < rows; r++)
                    {
                        ReadOnlySpan<float> row = x.AsSpan(r * k, k);
                        var (expectQ, expectScale) = int4 ? ReferenceKernels.QuantizeInt4Row(row) : ReferenceKernels.QuantizeInt8Row(row);
                        Assert.True(BitConverter.SingleToInt32Bits(expectScale) == BitConverter.SingleToInt32Bits(scales[r]),
                            $"{isa} int{(int4 ? 4 : 8)} k={k} row {r}: scale {scales[r]:R}, reference {expectScale:R}");
                        Assert.Equal(expectQ, q.AsSpan(r * k, k).ToArray());
                    }
                }
            }
        }
    }

    [Fact]
    public void BadArgumentsAreRejectedBeforeTheNativeCall()
    {
        var x = new float[8];
        var e = Assert.Throws<ArgumentException>(() => ActivationQuantizer.QuantizeInt8(x, 2, 4, new sbyte[7], new float[2]));
        Assert.Equal("q", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => ActivationQuantizer.QuantizeInt8(x, 2, 4, new sbyte[8], new float[1]));
        Assert.Equal("scales", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => ActivationQuantizer.QuantizeInt4(x, 3, 4, new sbyte[12], new float[3]));
        Assert.Equal("x", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => ActivationQuantizer.QuantizeInt8(x, -1, 4, new sbyte[8], new float[2]));
        x[5] = float.PositiveInfinity;
        e = Assert.Throws<ArgumentException>(() => ActivationQuantizer.QuantizeInt8(x, 2, 4, new sbyte[8], new float[2]));
        Assert.Contains("x[5]", e.Message);
    }
}
