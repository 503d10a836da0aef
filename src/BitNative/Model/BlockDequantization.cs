using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BitNative.Model;

/// <summary>
/// Dequantization of ggml's float and block-quantized row formats into floats (embedding rows, and heads converted at load),
/// and the few encoders the synthetic model writer needs. Layouts follow ggml's block structs.
/// </summary>
internal static class BlockDequantization
{
    public const int Q8_0Block = 32, Q8_0Bytes = 34;
    public const int Q4_0Block = 32, Q4_0Bytes = 18;
    public const int Q6_KBlock = 256, Q6_KBytes = 210;

    private static float Half(ReadOnlySpan<byte> b) => (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(b));

    public static void F32(ReadOnlySpan<byte> src, Span<float> dst) => MemoryMarshal.Cast<byte, float>(src)[..dst.Length].CopyTo(dst);

    /// <summary>F16: little-endian IEEE halves (every target is little-endian), widened with the vectorized conversion.</summary>
    public static void F16(ReadOnlySpan<byte> src, Span<float> dst) =>
        System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, System.Half>(src)[..dst.Length], dst);

    public static void BF16(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int i = 0; i < dst.Length; i++)
        {
            dst[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]) << 16);
        }
    }

    /// <summary>Q8_0: {fp16 d; int8 q[32]}, x = d · q.</summary>
    public static void Q8_0(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / Q8_0Block; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * Q8_0Bytes, Q8_0Bytes);
            float d = Half(block);
            for (int j = 0; j < Q8_0Block; j++)
            {
                dst[b * Q8_0Block + j] = d * (sbyte)block[2 + j];
            }
        }
    }

    /// <summary>Q4_0: {fp16 d; uint8 qs[16]}, x[j] = d · ((qs[j] &amp; 15) - 8), x[j + 16] = d · ((qs[j] &gt;&gt; 4) - 8).</summary>
    public static void Q4_0(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / Q4_0Block; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * Q4_0Bytes, Q4_0Bytes);
            float d = Half(block);
            for (int j = 0; j < 16; j++)
            {
                dst[b * Q4_0Block + j] = d * ((block[2 + j] & 15) - 8);
                dst[b * Q4_0Block + j + 16] = d * ((block[2 + j] >> 4) - 8);
            }
        }
    }

    /// <summary>
    /// Q6_K: {uint8 ql[128]; uint8 qh[64]; int8 scales[16]; fp16 d} per 256 values, in two halves of 128: value
    /// l + 32s of a half (s = 0..3) takes 4 low bits from ql (nibble s / 2 of byte l + 32 (s % 2)), 2 high bits from
    /// qh[l] bits 2s..2s+1, minus 32, times d · scales[l / 16 + 2s].
    /// </summary>
    public static void Q6_K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / Q6_KBlock; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * Q6_KBytes, Q6_KBytes);
            ReadOnlySpan<byte> ql = block[..128], qh = block.Slice(128, 64);
            ReadOnlySpan<byte> scales = block.Slice(192, 16);
            float d = Half(block[208..]);
            Span<float> y = dst.Slice(b * Q6_KBlock, Q6_KBlock);
            for (int half = 0; half < 2; half++)
            {
                ReadOnlySpan<byte> l4 = ql.Slice(64 * half, 64), h2 = qh.Slice(32 * half, 32);
                ReadOnlySpan<byte> sc = scales.Slice(8 * half, 8);
                Span<float> yh = y.Slice(128 * half, 128);
                for (int l = 0; l < 32; l++)
                {
                    int scaleIndex = l / 16;
                    int q1 = ((l4[l] & 15) | (((h2[l] >> 0) & 3) << 4)) - 32;
                    int q2 = ((l4[l + 32] & 15) | (((h2[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((l4[l] >> 4) | (((h2[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((l4[l + 32] >> 4) | (((h2[l] >> 6) & 3) << 4)) - 32;
                    yh[l] = d * (sbyte)sc[scaleIndex] * q1;
                    yh[l + 32] = d * (sbyte)sc[scaleIndex + 2] * q2;
                    yh[l + 64] = d * (sbyte)sc[scaleIndex + 4] * q3;
                    yh[l + 96] = d * (sbyte)sc[scaleIndex + 6] * q4;
                }
            }
        }
    }

    /// <summary>Encodes floats as Q8_0 (d = max|x| / 127 per block, q = round(x / d)).</summary>
    public static void EncodeQ8_0(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int b = 0; b < src.Length / Q8_0Block; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Q8_0Block, Q8_0Block);
            Span<byte> block = dst.Slice(b * Q8_0Bytes, Q8_0Bytes);
            float amax = 0;
            foreach (float v in x)
            {
                amax = MathF.Max(amax, MathF.Abs(v));
            }

            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            BinaryPrimitives.WriteUInt16LittleEndian(block, BitConverter.HalfToUInt16Bits((Half)d));
            for (int j = 0; j < Q8_0Block; j++)
            {
                block[2 + j] = (byte)(sbyte)Math.Clamp(MathF.Round(x[j] * id), -127, 127);
            }
        }
    }

    /// <summary>
    /// Encodes floats as Q6_K with a simple, valid rule: per 16-value group scale s = max|x| / 31, q = round(x / s) in
    /// [-32, 31]; the 16 group scales are stored as int8 relative to d = max|s| / 127. (llama-quantize searches for
    /// better scales; any encoding of this layout is a valid Q6_K block.)
    /// </summary>
    public static void EncodeQ6_K(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<float> groupScale = stackalloc float[16];
        Span<int> q = stackalloc int[Q6_KBlock];
        for (int b = 0; b < src.Length / Q6_KBlock; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Q6_KBlock, Q6_KBlock);
            Span<byte> block = dst.Slice(b * Q6_KBytes, Q6_KBytes);
            block.Clear();
            float maxScale = 0;
            for (int g = 0; g < 16; g++)
            {
                float amax = 0;
                for (int j = 0; j < 16; j++)
                {
                    amax = MathF.Max(amax, MathF.Abs(x[g * 16 + j]));
                }

                groupScale[g] = amax / 31f;
                maxScale = MathF.Max(maxScale, groupScale[g]);
            }

            float d = maxScale / 127f;
            float dStored = (float)(Half)d;
            for (int g = 0; g < 16; g++)
            {
                int sc = dStored > 0 ? (int)Math.Clamp(MathF.Round(groupScale[g] / dStored), -128, 127) : 0;
                block[192 + g] = (byte)(sbyte)sc;
                float step = dStored * sc;
                for (int j = 0; j < 16; j++)
                {
                    q[g * 16 + j] = step > 0 ? (int)Math.Clamp(MathF.Round(x[g * 16 + j] / step), -32, 31) : 0;
                }
            }

            BinaryPrimitives.WriteUInt16LittleEndian(block[208..], BitConverter.HalfToUInt16Bits((Half)d));
            // Inverse of the layout in Q6_K above; group g covers values 16g..16g+15, i.e. scale index l / 16 + 2s.
            for (int half = 0; half < 2; half++)
            {
                for (int l = 0; l < 32; l++)
                {
                    int v1 = q[128 * half + l] + 32, v2 = q[128 * half + l + 32] + 32;
                    int v3 = q[128 * half + l + 64] + 32, v4 = q[128 * half + l + 96] + 32;
                    block[64 * half + l] = (byte)((v1 & 15) | ((v3 & 15) << 4));
                    block[64 * half + l + 32] = (byte)((v2 & 15) | ((v4 & 15) << 4));
                    block[128 + 32 * half + l] = (byte)((v1 >> 4) | ((v2 >> 4) << 2) | ((v3 >> 4) << 4) | ((v4 >> 4) << 6));
                }
            }
        }
    }
}
