using System.Buffers.Binary;
using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>
/// An I2_S tensor as bitnet.cpp's files store it (and <see cref="Formats.Gguf.GgufFile.GetI2SScale"/> reads it): the
/// packed rows, then a trailer whose first float is the tensor's scale. The synthetic models, the trainer's exports and
/// the tests' exports write it through here.
/// </summary>
internal static class GgufI2STensor
{
    /// <summary>n rows of k ternary values (row-major) times <paramref name="scale"/>.</summary>
    public static byte[] Encode(ReadOnlySpan<sbyte> q, int n, int k, float scale)
    {
        int trailer = WeightTypes.Info(WeightType.I2S).TensorTrailerBytes;
        var packed = new byte[WeightTypes.Bytes(WeightType.I2S, n, k) + trailer];
        WeightPacker.Pack(WeightType.I2S, q, n, k, scale, packed);
        BinaryPrimitives.WriteSingleLittleEndian(packed.AsSpan(packed.Length - trailer), scale);
        return packed;
    }
}
