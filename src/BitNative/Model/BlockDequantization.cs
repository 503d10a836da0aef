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
    public const int QK_KBlock = 256, Q4_KBytes = 144, Q5_KBytes = 176;

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

    /// <summary>
    /// The 6-bit scale and min of sub-block <paramref name="j"/> (0..7) of a Q4_K / Q5_K block from its 12 packed bytes
    /// (ggml's get_scale_min_k4): sub-blocks 0..3 keep them in the low 6 bits of bytes j and j + 4; 4..7 keep their low
    /// 4 bits in the nibbles of byte j + 4 and their top 2 bits in bits 6..7 of bytes j - 4 (scale) and j (min).
    /// </summary>
    private static (int Scale, int Min) ScaleMinK4(int j, ReadOnlySpan<byte> q) => j < 4
        ? (q[j] & 63, q[j + 4] & 63)
        : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));

    /// <summary>
    /// Q4_K: {fp16 d; fp16 dmin; uint8 scales[12]; uint8 qs[128]} per 256 values in four chunks of 64: value 64p + l takes
    /// the low nibble of qs[32p + l], value 64p + 32 + l its high nibble; x = d · sc_s · q - dmin · m_s for sub-block s.
    /// </summary>
    public static void Q4_K(ReadOnlySpan<byte> src, Span<float> dst) => DecodeK4(src, dst, fiveBits: false);

    /// <summary>Q5_K: {fp16 d; fp16 dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]}: Q4_K plus 16 where bit s of qh[l] is set for value 32s + l.</summary>
    public static void Q5_K(ReadOnlySpan<byte> src, Span<float> dst) => DecodeK4(src, dst, fiveBits: true);

    private static void DecodeK4(ReadOnlySpan<byte> src, Span<float> dst, bool fiveBits)
    {
        int blockBytes = fiveBits ? Q5_KBytes : Q4_KBytes;
        for (int b = 0; b < dst.Length / QK_KBlock; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * blockBytes, blockBytes);
            float d = Half(block), dmin = Half(block[2..]);
            ReadOnlySpan<byte> scales = block.Slice(4, 12), qh = block.Slice(16, 32), qs = block.Slice(fiveBits ? 48 : 16, 128);
            Span<float> y = dst.Slice(b * QK_KBlock, QK_KBlock);
            for (int p = 0; p < 4; p++)
            {
                var (sc1, m1) = ScaleMinK4(2 * p, scales);
                var (sc2, m2) = ScaleMinK4(2 * p + 1, scales);
                float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
                for (int l = 0; l < 32; l++)
                {
                    int q = qs[32 * p + l];
                    int h1 = fiveBits && ((qh[l] >> (2 * p)) & 1) != 0 ? 16 : 0;
                    int h2 = fiveBits && ((qh[l] >> (2 * p + 1)) & 1) != 0 ? 16 : 0;
                    y[64 * p + l] = d1 * ((q & 15) + h1) - min1;
                    y[64 * p + 32 + l] = d2 * ((q >> 4) + h2) - min2;
                }
            }
        }
    }

    /// <summary>
    /// Encodes floats as Q4_0 exactly as ggml's quantize_row_q4_0_ref: d = (the value of largest magnitude) / -8,
    /// q = min(15, (int)(x / d + 8.5)).
    /// </summary>
    public static void EncodeQ4_0(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int b = 0; b < src.Length / Q4_0Block; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Q4_0Block, Q4_0Block);
            Span<byte> block = dst.Slice(b * Q4_0Bytes, Q4_0Bytes);
            float amax = 0, max = 0;
            foreach (float v in x)
            {
                if (amax < MathF.Abs(v))
                {
                    amax = MathF.Abs(v);
                    max = v;
                }
            }

            float d = max / -8f;
            float id = d != 0 ? 1f / d : 0f;
            BinaryPrimitives.WriteUInt16LittleEndian(block, BitConverter.HalfToUInt16Bits((Half)d));
            for (int j = 0; j < 16; j++)
            {
                int q0 = Math.Min(15, (int)(sbyte)(x[j] * id + 8.5f));
                int q1 = Math.Min(15, (int)(sbyte)(x[j + 16] * id + 8.5f));
                block[2 + j] = (byte)(q0 | (q1 << 4));
            }
        }
    }

    /// <summary>Encodes floats as Q4_K (see <see cref="EncodeK4"/>).</summary>
    public static void EncodeQ4_K(ReadOnlySpan<float> src, Span<byte> dst) => EncodeK4(src, dst, fiveBits: false);

    /// <summary>Encodes floats as Q5_K (see <see cref="EncodeK4"/>).</summary>
    public static void EncodeQ5_K(ReadOnlySpan<float> src, Span<byte> dst) => EncodeK4(src, dst, fiveBits: true);

    /// <summary>
    /// Encodes floats as Q4_K / Q5_K with a simple, valid rule in ggml's layout: per 32-value sub-block the range
    /// [min(x, 0), max(x)] in 15 (31) steps; sub-block steps and mins as 6-bit multiples of d = max step / 63 and
    /// dmin = max min / 63; codes rounded against the stored scales. (llama-quantize searches for better scales; any
    /// encoding of this layout is a valid block.)
    /// </summary>
    private static void EncodeK4(ReadOnlySpan<float> src, Span<byte> dst, bool fiveBits)
    {
        int blockBytes = fiveBits ? Q5_KBytes : Q4_KBytes, top = fiveBits ? 31 : 15;
        Span<float> step = stackalloc float[8], mins = stackalloc float[8];
        Span<int> ls = stackalloc int[8], lm = stackalloc int[8], q = stackalloc int[QK_KBlock];
        for (int b = 0; b < src.Length / QK_KBlock; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * QK_KBlock, QK_KBlock);
            Span<byte> block = dst.Slice(b * blockBytes, blockBytes);
            block.Clear();
            float maxStep = 0, maxMin = 0;
            for (int s = 0; s < 8; s++)
            {
                float lo = 0, hi = 0;
                for (int l = 0; l < 32; l++)
                {
                    lo = MathF.Min(lo, x[32 * s + l]);
                    hi = MathF.Max(hi, x[32 * s + l]);
                }

                step[s] = (hi - lo) / top;
                mins[s] = -lo;
                maxStep = MathF.Max(maxStep, step[s]);
                maxMin = MathF.Max(maxMin, mins[s]);
            }

            float d = (float)(Half)(maxStep / 63f), dmin = (float)(Half)(maxMin / 63f);
            BinaryPrimitives.WriteUInt16LittleEndian(block, BitConverter.HalfToUInt16Bits((Half)d));
            BinaryPrimitives.WriteUInt16LittleEndian(block[2..], BitConverter.HalfToUInt16Bits((Half)dmin));
            Span<byte> scales = block.Slice(4, 12);
            for (int s = 0; s < 8; s++)
            {
                ls[s] = d > 0 ? Math.Clamp((int)MathF.Round(step[s] / d), 0, 63) : 0;
                lm[s] = dmin > 0 ? Math.Clamp((int)MathF.Round(mins[s] / dmin), 0, 63) : 0;
                if (s < 4)
                {
                    scales[s] = (byte)ls[s];
                    scales[s + 4] = (byte)lm[s];
                }
                else
                {
                    scales[s + 4] = (byte)((ls[s] & 15) | ((lm[s] & 15) << 4));
                    scales[s - 4] |= (byte)((ls[s] >> 4) << 6);
                    scales[s] |= (byte)((lm[s] >> 4) << 6);
                }
            }

            for (int s = 0; s < 8; s++)
            {
                float scale = d * ls[s], offset = dmin * lm[s];
                for (int l = 0; l < 32; l++)
                {
                    q[32 * s + l] = scale > 0 ? Math.Clamp((int)MathF.Round((x[32 * s + l] + offset) / scale), 0, top) : 0;
                }
            }

            Span<byte> qh = block.Slice(16, 32), qs = block.Slice(fiveBits ? 48 : 16, 128);
            for (int p = 0; p < 4; p++)
            {
                for (int l = 0; l < 32; l++)
                {
                    int a = q[64 * p + l], c = q[64 * p + 32 + l];
                    qs[32 * p + l] = (byte)((a & 15) | ((c & 15) << 4));
                    if (fiveBits)
                    {
                        qh[l] |= (byte)(((a >> 4) << (2 * p)) | ((c >> 4) << (2 * p + 1)));
                    }
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
