using BitNative.Formats.Gguf;
using BitNative.Kernels;
using Xunit;

namespace BitNative.Tests.Formats;

/// <summary>
/// The GGUF reader's type table and the native library's traits rows describe the same layouts: every weight type with a
/// GGUF id is one the reader accepts, with the same block geometry and tensor trailer (issue 12: one set of facts, checked
/// equal where it cannot be shared).
/// </summary>
public sealed class GgmlTypeTraitsTests
{
    public static TheoryData<WeightType> TypesWithAGgufId()
    {
        var data = new TheoryData<WeightType>();
        foreach (WeightTypeInfo info in WeightTypes.All.Where(i => i.GgmlType is not null))
        {
            data.Add(info.Type);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TypesWithAGgufId))]
    public void TheReaderAgreesWithTheNativeRow(WeightType type)
    {
        WeightTypeInfo native = WeightTypes.Info(type);
        // An id may carry several layouts (42: Q2_0, and PrismML's Q2_0_G128 decided by the file's extents): the
        // weight type's own row among the id's candidates.
        GgmlTypeTraits? reader = GgmlTypeTable.Candidates((uint)native.GgmlType!.Value).FirstOrDefault(r => r.Layout == type);
        Assert.True(reader is not null, $"{native.Name}: the GGUF reader has no row for type id {native.GgmlType}");
        Assert.Equal(native.BlockWeights, reader.BlockSize);
        Assert.Equal(native.BlockBytes, reader.BlockBytes);
        Assert.Equal(native.TensorTrailerBytes, reader.TensorTrailerBytes);
        Assert.Equal(native.GgmlType, (int)reader.Type);
        Assert.Same(reader, GgmlTypeTable.Of(type));
        // The id's primary meaning (what FromGgmlType returns) is a layout of that id too.
        Assert.Equal(native.GgmlType, WeightTypes.Info(WeightTypes.FromGgmlType(native.GgmlType.Value)!.Value).GgmlType);
    }

    [Fact]
    public void TheKQuantHeadsHaveGgmlsIdsAndSizes()
    {
        // ggml.h / ggml-common.h: Q4_0 = 2 (18 bytes / 32), Q4_K = 12 (144 / 256), Q5_K = 13 (176 / 256), Q6_K = 14 (210 / 256)
        foreach (var (type, id, weights, bytes) in new[]
                 {
                     (WeightType.Q4_0, 2, 32, 18), (WeightType.Q4_K, 12, 256, 144), (WeightType.Q5_K, 13, 256, 176),
                     (WeightType.Q6_K, 14, 256, 210),
                 })
        {
            WeightTypeInfo info = WeightTypes.Info(type);
            Assert.Equal((id, weights, bytes, ActivationType.Int8), (info.GgmlType!.Value, info.BlockWeights, info.BlockBytes, info.Activation));
            Assert.False(info.IsTernary);
        }
    }
}
