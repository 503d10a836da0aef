using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using BitNative.Kernels;
using BitNative.Model;

namespace BitNative.Authoring.Quantization;

/// <summary>
/// Float rows to the stored weight types, as post-training quantizers (the layouts are bitnative.h's; each encoder
/// below names the rule it follows). Row encoders take one row of k values and write <see cref="WeightTypes.Bytes"/>
/// (1, k) bytes; the ternary types quantize a whole tensor. fp16 scales are rounded to nearest even, as ggml's
/// GGML_FP32_TO_FP16; integer rounding is to nearest even, as ggml's nearest_int.
/// </summary>
internal static class WeightEncoding
{
    /// <summary>IEEE half, rounded to nearest even.</summary>
    public static void F16(ReadOnlySpan<float> row, Span<byte> output) =>
        TensorPrimitives.ConvertToHalf(row, MemoryMarshal.Cast<byte, Half>(output)[..row.Length]);

    /// <summary>bfloat16: the top half of each float, rounded to nearest even (values are finite).</summary>
    public static void BF16(ReadOnlySpan<float> row, Span<byte> output)
    {
        for (int j = 0; j < row.Length; j++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(row[j]);
            bits += 0x7fffu + ((bits >> 16) & 1);
            BinaryPrimitives.WriteUInt16LittleEndian(output[(2 * j)..], (ushort)(bits >> 16));
        }
    }

    /// <summary>IEEE single (norms and the other vectors).</summary>
    public static void F32(ReadOnlySpan<float> row, Span<byte> output) => MemoryMarshal.AsBytes(row).CopyTo(output);

    /// <summary>
    /// F8 blocks of 32: d = max|x| / 448 (E4M3's largest value) rounded to fp16, then each x / d to the nearest E4M3
    /// value (ties to even), saturating at ±448; an all-zero block keeps d = 0.
    /// </summary>
    public static void F8(ReadOnlySpan<float> row, Span<byte> output)
    {
        const int Block = 32, Bytes = 34;
        for (int b = 0; b < row.Length / Block; b++)
        {
            ReadOnlySpan<float> x = row.Slice(b * Block, Block);
            Span<byte> block = output.Slice(b * Bytes, Bytes);
            float amax = 0;
            foreach (float v in x)
            {
                amax = MathF.Max(amax, MathF.Abs(v));
            }

            float d = (float)(Half)(amax / 448f);
            BinaryPrimitives.WriteUInt16LittleEndian(block, BitConverter.HalfToUInt16Bits((Half)d));
            for (int j = 0; j < Block; j++)
            {
                block[2 + j] = E4M3(d == 0 ? 0 : x[j] / d);
            }
        }
    }

    /// <summary>The OCP FP8 E4M3 code nearest to v (ties to even), saturating at ±448 (the NaN code is never made).</summary>
    public static byte E4M3(float v)
    {
        byte sign = (byte)(v < 0 || (v == 0 && float.IsNegative(v)) ? 0x80 : 0);
        float a = MathF.Abs(v);
        if (!(a < 464f))
        {
            return (byte)(sign | 0x7e); // 448, also for the halfway point to the next (NaN) slot
        }

        if (a < 0.015625f) // below 2^-6: subnormals in steps of 2^-9; 8 steps round up to the smallest normal
        {
            int m = (int)MathF.Round(a * 512f, MidpointRounding.ToEven);
            return (byte)(sign | m);
        }

        int e = MathF.ILogB(a);
        int mantissa = (int)MathF.Round(MathF.ScaleB(a, 3 - e), MidpointRounding.ToEven); // 8..16
        if (mantissa == 16)
        {
            e++;
            mantissa = 8;
        }

        return (byte)(sign | (e + 7) << 3 | (mantissa - 8));
    }

    /// <summary>The value of an E4M3 code (subnormals at exponent 0; S.1111.111 read as ±480 as the kernels do).</summary>
    public static float E4M3Value(byte q)
    {
        int e = (q >> 3) & 15, m = q & 7;
        float v = e == 0 ? MathF.ScaleB(m / 8f, -6) : MathF.ScaleB(1 + m / 8f, e - 7);
        return (q & 0x80) != 0 ? -v : v;
    }

    /// <summary>Q8_0 (ggml quantize_row_q8_0_ref): d = max|x| / 127 per 32 weights, q = round(x / d).</summary>
    public static void Q8_0(ReadOnlySpan<float> row, Span<byte> output) => BlockDequantization.EncodeQ8_0(row, output);

    /// <summary>
    /// Q4_0 (ggml quantize_row_q4_0_ref): per 32 weights the value of largest magnitude m sets d = m / -8, and each weight
    /// gets the code min(15, trunc(x / d + 8.5)); the library's encoder.
    /// </summary>
    public static void Q4_0(ReadOnlySpan<float> row, Span<byte> output) => BlockDequantization.EncodeQ4_0(row, output);

    /// <summary>
    /// Q4_K (ggml quantize_row_q4_K_ref): per 32-weight sub-block a scale and a min fitted by make_qkx2_quants (weighted by
    /// rms + |x|, 20 refinement steps), both quantized to 6 bits against the super-block's largest, then every weight
    /// re-quantized with the stored scales: what llama-quantize writes (BlockDequantization.EncodeQ4_K, for synthetic heads, fits
    /// each sub-block's min and max only).
    /// </summary>
    public static void Q4_K(ReadOnlySpan<float> row, Span<byte> output)
    {
        const int Block = 256, Bytes = 144;
        Span<byte> levels = stackalloc byte[Block];
        Span<byte> aux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[8];
        Span<float> scales = stackalloc float[8];
        for (int b = 0; b < row.Length / Block; b++)
        {
            ReadOnlySpan<float> x = row.Slice(b * Block, Block);
            Span<byte> y = output.Slice(b * Bytes, Bytes);
            y.Clear();
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++)
            {
                ReadOnlySpan<float> xs = x.Slice(32 * j, 32);
                float sumX2 = 0;
                foreach (float v in xs)
                {
                    sumX2 += v * v;
                }

                float avX = MathF.Sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++)
                {
                    weights[l] = avX + MathF.Abs(xs[l]);
                }

                scales[j] = MakeQkx2Quants(32, 15, xs, weights, levels.Slice(32 * j, 32), out mins[j], aux, -1f, 0.1f, 20);
                maxScale = MathF.Max(maxScale, scales[j]);
                maxMin = MathF.Max(maxMin, mins[j]);
            }

            float invScale = maxScale > 0 ? 63f / maxScale : 0f, invMin = maxMin > 0 ? 63f / maxMin : 0f;
            Span<byte> packed = y.Slice(4, 12);
            for (int j = 0; j < 8; j++)
            {
                byte ls = (byte)Math.Min(63, Nearest(invScale * scales[j]));
                byte lm = (byte)Math.Min(63, Nearest(invMin * mins[j]));
                if (j < 4)
                {
                    packed[j] = ls;
                    packed[j + 4] = lm;
                }
                else
                {
                    packed[j + 4] = (byte)((ls & 0xf) | (lm & 0xf) << 4);
                    packed[j - 4] |= (byte)(ls >> 4 << 6);
                    packed[j] |= (byte)(lm >> 4 << 6);
                }
            }

            Half dh = (Half)(maxScale / 63f), dminh = (Half)(maxMin / 63f);
            BinaryPrimitives.WriteUInt16LittleEndian(y, BitConverter.HalfToUInt16Bits(dh));
            BinaryPrimitives.WriteUInt16LittleEndian(y[2..], BitConverter.HalfToUInt16Bits(dminh));
            for (int j = 0; j < 8; j++)
            {
                (int sc, int m) = ScaleMinK4(j, packed);
                float d = (float)dh * sc;
                if (d == 0)
                {
                    continue;
                }

                float dm = (float)dminh * m;
                for (int ii = 0; ii < 32; ii++)
                {
                    levels[32 * j + ii] = (byte)Math.Clamp(Nearest((x[32 * j + ii] + dm) / d), 0, 15);
                }
            }

            Span<byte> qs = y[16..];
            for (int j = 0; j < Block; j += 64)
            {
                for (int l = 0; l < 32; l++)
                {
                    qs[j / 2 + l] = (byte)(levels[j + l] | levels[j + l + 32] << 4);
                }
            }
        }
    }

    /// <summary>
    /// Q2_0 blocks of 64 (levels -1, 0, 1, 2 times d). The reference quantizer of llama.cpp is for ternary models (d =
    /// max|x|, codes 0..2); for float weights this one fits the four levels: for both signs of d (the grid is lopsided,
    /// so the long tail goes on the side with two levels) and a few starting scales, codes round(x / d) clamped to
    /// [-1, 2], then d refitted by least squares for those codes; the pair with the smallest squared error is kept.
    /// </summary>
    public static void Q2_0(ReadOnlySpan<float> row, Span<byte> output)
    {
        const int Block = 64, Bytes = 18;
        Span<int> codes = stackalloc int[Block];
        Span<int> best = stackalloc int[Block];
        for (int b = 0; b < row.Length / Block; b++)
        {
            ReadOnlySpan<float> x = row.Slice(b * Block, Block);
            Span<byte> block = output.Slice(b * Bytes, Bytes);
            double bestError = 0;
            foreach (float v in x)
            {
                bestError += (double)v * v;
            }

            best.Fill(0); // every weight 0 (code 1), d = 0
            float bestD = 0;
            float max = TensorPrimitives.Max(x), min = TensorPrimitives.Min(x);
            foreach (float sign in new[] { 1f, -1f })
            {
                float top = sign > 0 ? max : -min, bottom = sign > 0 ? -min : max; // largest values on the +2 side, the others on -1
                foreach (float start in new[] { top / 2, bottom, top / 2 * 0.8f, bottom * 0.8f, top / 3 })
                {
                    if (!(start > 0))
                    {
                        continue;
                    }

                    float d = sign * start;
                    for (int pass = 0; pass < 2; pass++)
                    {
                        double cx = 0, cc = 0;
                        for (int j = 0; j < Block; j++)
                        {
                            codes[j] = Math.Clamp(Nearest(x[j] / d), -1, 2);
                            cx += codes[j] * (double)x[j];
                            cc += codes[j] * codes[j];
                        }

                        if (cc == 0 || cx * sign <= 0)
                        {
                            break;
                        }

                        d = (float)(cx / cc);
                    }

                    float stored = (float)(Half)d;
                    if (stored == 0)
                    {
                        continue;
                    }

                    double error = 0;
                    for (int j = 0; j < Block; j++)
                    {
                        codes[j] = Math.Clamp(Nearest(x[j] / stored), -1, 2);
                        double diff = x[j] - stored * codes[j];
                        error += diff * diff;
                    }

                    if (error < bestError)
                    {
                        bestError = error;
                        bestD = stored;
                        codes.CopyTo(best);
                    }
                }
            }

            BinaryPrimitives.WriteUInt16LittleEndian(block, BitConverter.HalfToUInt16Bits((Half)bestD));
            for (int j = 0; j < 16; j++)
            {
                block[2 + j] = (byte)((best[4 * j] + 1) | (best[4 * j + 1] + 1) << 2 | (best[4 * j + 2] + 1) << 4 | (best[4 * j + 3] + 1) << 6);
            }
        }
    }

    /// <summary>
    /// Q1_0 blocks of 128: the sign of each weight (0 counts as +) and d = mean|x| of the block, the scale that minimizes
    /// the squared error of d · sign(x) (XNOR-Net's α, llama.cpp's reference). With <paramref name="excluded"/>, those
    /// columns of the row (multiplied by another matrix) neither count in d nor matter in the product.
    /// </summary>
    public static void Q1_0(ReadOnlySpan<float> row, Span<byte> output, ReadOnlySpan<bool> excluded = default)
    {
        const int Block = 128, Bytes = 18;
        for (int b = 0; b < row.Length / Block; b++)
        {
            ReadOnlySpan<float> x = row.Slice(b * Block, Block);
            Span<byte> block = output.Slice(b * Bytes, Bytes);
            double sum = 0;
            int count = 0;
            for (int j = 0; j < Block; j++)
            {
                if (excluded.IsEmpty || !excluded[b * Block + j])
                {
                    sum += MathF.Abs(x[j]);
                    count++;
                }
            }

            BinaryPrimitives.WriteUInt16LittleEndian(block, BitConverter.HalfToUInt16Bits((Half)(count > 0 ? sum / count : 0)));
            SignBits(x, block.Slice(2, 16));
        }
    }

    /// <summary>Q1_0 blocks whose scale is given per row (OneBit's a_i): only the sign bits come from the values.</summary>
    public static void Q1_0WithScale(ReadOnlySpan<float> row, float scale, Span<byte> output)
    {
        const int Block = 128, Bytes = 18;
        ushort d = BitConverter.HalfToUInt16Bits((Half)scale);
        for (int b = 0; b < row.Length / Block; b++)
        {
            Span<byte> block = output.Slice(b * Bytes, Bytes);
            BinaryPrimitives.WriteUInt16LittleEndian(block, d);
            SignBits(row.Slice(b * Block, Block), block.Slice(2, 16));
        }
    }

    private static void SignBits(ReadOnlySpan<float> x, Span<byte> bits)
    {
        bits.Clear();
        for (int j = 0; j < x.Length; j++)
        {
            if (x[j] >= 0)
            {
                bits[j / 8] |= (byte)(1 << (j % 8));
            }
        }
    }

    /// <summary>
    /// TQ2_0 or TQ1_0 (256-weight blocks with one fp16 scale each): BitNet's absmean rule per block, γ = mean|x|,
    /// q = clamp(round(x / (γ + 1e-5)), -1, 1), packed by the native packer with γ as the block's d. Per-block scales
    /// fit float weights better than one per tensor; a QAT model's are all one value anyway.
    /// </summary>
    public static void TernaryBlocks(WeightType type, ReadOnlySpan<float> row, Span<byte> output)
    {
        WeightTypeInfo info = WeightTypes.Info(type);
        Span<sbyte> q = stackalloc sbyte[info.BlockWeights];
        for (int b = 0; b < row.Length / info.BlockWeights; b++)
        {
            ReadOnlySpan<float> x = row.Slice(b * info.BlockWeights, info.BlockWeights);
            float gamma = TensorPrimitives.SumOfMagnitudes(x) / x.Length;
            float inverse = 1f / (gamma + 1e-5f);
            for (int j = 0; j < x.Length; j++)
            {
                q[j] = (sbyte)Math.Clamp(MathF.Round(x[j] * inverse, MidpointRounding.ToEven), -1f, 1f);
            }

            WeightPacker.Pack(type, q, 1, info.BlockWeights, gamma, output.Slice(b * info.BlockBytes, info.BlockBytes));
        }
    }

    /// <summary>I2_S: one absmean scale for the whole tensor (BitNet b1.58's rule, the engine's kernel), bitnet.cpp's layout and trailer.</summary>
    public static byte[] I2S(ReadOnlySpan<float> values, int rows, int columns)
    {
        var q = new sbyte[values.Length];
        float gamma = WeightPacker.TernarizeAbsmean(values, q);
        return GgufI2STensor.Encode(q, rows, columns, gamma);
    }

    private static int Nearest(float v) => (int)MathF.Round(v, MidpointRounding.ToEven);

    private static (int Scale, int Min) ScaleMinK4(int j, ReadOnlySpan<byte> q) => j < 4
        ? (q[j] & 63, q[j + 4] & 63)
        : ((q[j + 4] & 0xf) | (q[j - 4] >> 6) << 4, (q[j + 4] >> 4) | (q[j] >> 6) << 4);

    /// <summary>ggml's make_qkx2_quants: levels 0..nmax for x ≈ scale · L - min, weighted least squares over nstep trial scales.</summary>
    private static float MakeQkx2Quants(int n, int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> levels,
        out float theMin, Span<byte> aux, float rmin, float rdelta, int nstep)
    {
        float min = x[0], max = x[0], sumW = weights[0], sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            min = MathF.Min(min, x[i]);
            max = MathF.Max(max, x[i]);
            sumW += weights[i];
            sumX += weights[i] * x[i];
        }

        if (min > 0)
        {
            min = 0;
        }

        if (max == min)
        {
            levels[..n].Clear();
            theMin = -min;
            return 0f;
        }

        float iscale = nmax / (max - min), scale = 1 / iscale, bestError = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Clamp(Nearest(iscale * (x[i] - min)), 0, nmax);
            levels[i] = (byte)l;
            float diff = scale * l + min - x[i];
            bestError += weights[i] * diff * diff;
        }

        for (int step = 0; step <= nstep; step++)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Clamp(Nearest(iscale * (x[i] - min)), 0, nmax);
                aux[i] = (byte)l;
                sumL += weights[i] * l;
                sumL2 += weights[i] * l * l;
                sumXL += weights[i] * l * x[i];
            }

            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0)
            {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }

                float error = 0;
                for (int i = 0; i < n; i++)
                {
                    float diff = thisScale * aux[i] + thisMin - x[i];
                    error += weights[i] * diff * diff;
                }

                if (error < bestError)
                {
                    aux[..n].CopyTo(levels);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }

        theMin = -min;
        return scale;
    }
}
