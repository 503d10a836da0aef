using Xunit;

namespace BitNative.Kernels.Tests;

public sealed class PackingTests
{
    public static TheoryData<WeightType, int> FormatsAndSizes => new()
    {
        { WeightType.I2S, 128 }, { WeightType.I2S, 2560 }, { WeightType.I2S, 6912 * 3 },
        { WeightType.Tq2, 256 }, { WeightType.Tq2, 2560 }, { WeightType.Tq2, 6912 * 3 },
        { WeightType.Tq1, 256 }, { WeightType.Tq1, 2560 }, { WeightType.Tq1, 6912 * 3 },
    };

    [Theory]
    [MemberData(nameof(FormatsAndSizes))]
    public void PackMatchesTheFormatDescriptionAndRoundTrips(WeightType format, int count)
    {
        var rng = new Random(count + (int)format);
        sbyte[] q = TestData.Ternary(rng, count, zeroPercent: 30);
        const float scale = 0.0421f;
        byte[] expected = format switch
        {
            WeightType.I2S => ReferenceKernels.PackI2S(q),
            WeightType.Tq2 => ReferenceKernels.PackTq2(q, scale),
            _ => ReferenceKernels.PackTq1(q, scale),
        };

        var packed = new byte[WeightTypes.Bytes(format, 1, count)];
        WeightPacker.Pack(format, q, 1, count, scale, packed);
        Assert.Equal(expected, packed);

        var back = new sbyte[count];
        var blockScales = new float[format == WeightType.I2S ? 0 : count / 256];
        WeightPacker.Unpack(format, packed, 1, count, back, blockScales);
        Assert.Equal(q, back);
        if (format != WeightType.I2S)
        {
            Assert.Equal((float)(Half)scale, blockScales[0]);
        }
    }

    [Fact]
    public void TernarizeMatchesTheAbsmeanRule()
    {
        float[] w = TestData.Normal(new Random(5), 4096, 0.02f);
        w[7] = 0.5f; // an outlier moves gamma but still clamps to 1
        var native = new sbyte[w.Length];
        var managed = new sbyte[w.Length];
        float nativeScale = WeightPacker.TernarizeAbsmean(w, native);
        float managedScale = ReferenceKernels.TernarizeAbsmean(w, managed);
        Assert.Equal(managedScale, nativeScale);
        Assert.Equal(managed, native);
        Assert.Equal(1, native[7]);
    }

    [Fact]
    public void BadArgumentsGiveArgumentExceptionsNamingTheProblem()
    {
        var q = new sbyte[256];
        var packed = new byte[100];
        var e = Assert.Throws<ArgumentException>(() => WeightPacker.Pack(WeightType.I2S, q.AsSpan(0, 100), 1, 100, 1f, packed));
        Assert.Contains("multiple of the 128-weight", e.Message);

        e = Assert.Throws<ArgumentException>(() => WeightPacker.Pack(WeightType.Tq2, q, 1, 256, 1f, packed.AsSpan(0, 65)));
        Assert.Equal("packed", e.ParamName);

        q[3] = 2;
        e = Assert.Throws<ArgumentException>(() => WeightPacker.Pack(WeightType.I2S, q, 1, 256, 1f, new byte[64]));
        Assert.Contains("not in {-1, 0, 1}", e.Message);

        e = Assert.Throws<ArgumentException>(() => WeightPacker.Unpack(WeightType.I2S, Enumerable.Repeat((byte)0xff, 64).ToArray(), 1, 256, new sbyte[256], default));
        Assert.Contains("code 3", e.Message);

        e = Assert.Throws<ArgumentException>(() => WeightPacker.Unpack(WeightType.Tq1, new byte[54], 1, 256, new sbyte[256], default));
        Assert.Contains("block_scales", e.Message);

        Assert.Throws<PlatformNotSupportedException>(() => WeightPacker.Pack(WeightType.Q8_0, q, 1, 256, 1f, new byte[272]));

        e = Assert.Throws<ArgumentException>(() => WeightPacker.TernarizeAbsmean([1f, float.NaN], new sbyte[2]));
        Assert.Contains("not finite", e.Message);

        Assert.Throws<ArgumentException>(() => WeightTypes.Bytes(WeightType.Tq1, 4, 300));
    }
}
