using BitNative.Model;
using Xunit;

namespace BitNative.Tests.Model;

/// <summary>
/// The two float-to-ternary rules and where each applies: transformers' online absmean for Hugging Face masters (no
/// shortcut for weights that already look ternary), the exact ternary test for offline float weights, and the GGUF
/// converters' ternary × scale recovery.
/// </summary>
public sealed class WeightConversionTests
{
    [Fact]
    public void OnlineQuantizationGivesTernaryValuedMastersTheAbsmeanScale()
    {
        float c = 0.75f;
        float[] w = [c, 0, -c, c, 0, -c]; // two thirds nonzero: mean |w| = c · 2/3
        var (q, scale) = WeightConversion.TernarizeOnline(w);
        Assert.Equal(new sbyte[] { 1, 0, -1, 1, 0, -1 }, q);
        Assert.Equal(1f / (1f / (c * 2f / 3f)), scale);
    }

    [Fact]
    public void OnlineQuantizationRoundsHalfToEvenAndClamps()
    {
        float[] w = [0.5f, -0.5f, 1.5f, -1.5f, 2.5f, 0f, 0f, 1.5f]; // mean |w| = 1: s = 1
        var (q, scale) = WeightConversion.TernarizeOnline(w);
        Assert.Equal(new sbyte[] { 0, 0, 1, -1, 1, 0, 0, 1 }, q); // 0.5 and -0.5 round to 0, 1.5 and 2.5 to 2
        Assert.Equal(1f, scale);
    }

    [Fact]
    public void ExactTernaryAcceptsOneMagnitudeOnly()
    {
        var (q, scale) = WeightConversion.ExactTernary([0.25f, 0f, -0.25f])!.Value;
        Assert.Equal(new sbyte[] { 1, 0, -1 }, q);
        Assert.Equal(0.25f, scale);
        Assert.Null(WeightConversion.ExactTernary([0.25f, 0f, -0.2500001f]));
        Assert.Throws<InvalidDataException>(() => WeightConversion.ExactTernary([float.NaN]));
    }

    [Fact]
    public void GgufFloatsStoredAsTernaryTimesScaleKeepTheirScale()
    {
        float s = (float)(Half)0.0371f;
        var (q, scale) = WeightConversion.TernarizeGgufFloats([s, 0, -s, 0]);
        Assert.Equal(new sbyte[] { 1, 0, -1, 0 }, q);
        Assert.Equal(s, scale);
    }
}
