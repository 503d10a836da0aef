namespace BitNative.Kernels.Tests;

/// <summary>
/// A managed reference written from the format descriptions and the numerics in bitnative.h, independent
/// of the C code: plain loops, exact integers, the same float expressions. Native results must match it bit for bit.
/// </summary>
internal static class ReferenceKernels
{
    private const float Eps = 1e-5f;
    private const float Sqrt7 = 2.64575131106459059f;

    public static float TernarizeAbsmean(ReadOnlySpan<float> w, Span<sbyte> q)
    {
        double sum = 0;
        foreach (float v in w)
        {
            sum += MathF.Abs(v);
        }

        float gamma = w.Length > 0 ? (float)(sum / w.Length) : 0f;
        float inv = 1.0f / (gamma + Eps);
        for (int i = 0; i < w.Length; i++)
        {
            q[i] = (sbyte)MathF.Round(Math.Clamp(w[i] * inv, -1f, 1f), MidpointRounding.ToEven);
        }

        return gamma;
    }

    public static (sbyte[] Q, float Scale) QuantizeInt8Row(ReadOnlySpan<float> x)
    {
        float amax = 0;
        foreach (float v in x)
        {
            amax = MathF.Max(amax, MathF.Abs(v));
        }

        amax = MathF.Max(amax, Eps);
        float s = 127.0f / amax;
        var q = new sbyte[x.Length];
        for (int j = 0; j < x.Length; j++)
        {
            q[j] = (sbyte)MathF.Round(Math.Clamp(x[j] * s, -128f, 127f), MidpointRounding.ToEven);
        }

        return (q, amax / 127.0f);
    }

    /// <summary>BitNet a4.8 int4 rule; the |x| sum in the order the header specifies (16 lanes, halving tree).</summary>
    public static (sbyte[] Q, float Scale) QuantizeInt4Row(ReadOnlySpan<float> x)
    {
        Span<float> lane = stackalloc float[16];
        lane.Clear();
        for (int j = 0; j < x.Length; j++)
        {
            lane[j % 16] += MathF.Abs(x[j]);
        }

        for (int width = 8; width >= 1; width /= 2)
        {
            for (int i = 0; i < width; i++)
            {
                lane[i] += lane[i + width];
            }
        }

        float beta = x.Length > 0 ? lane[0] / x.Length : 0f;
        beta = MathF.Max(beta, Eps);
        float s = Sqrt7 / beta;
        var q = new sbyte[x.Length];
        for (int j = 0; j < x.Length; j++)
        {
            q[j] = (sbyte)MathF.Round(Math.Clamp(x[j] * s, -8f, 7f), MidpointRounding.ToEven);
        }

        return (q, beta / Sqrt7);
    }

    /// <summary>I2_S: per 128-weight block, byte j = (w[j]+1)&lt;&lt;6 | (w[j+32]+1)&lt;&lt;4 | (w[j+64]+1)&lt;&lt;2 | (w[j+96]+1).</summary>
    public static byte[] PackI2S(ReadOnlySpan<sbyte> q)
    {
        var packed = new byte[q.Length / 4];
        for (int b = 0; b < q.Length / 128; b++)
        {
            for (int j = 0; j < 32; j++)
            {
                int o = b * 128 + j;
                packed[b * 32 + j] = (byte)(((q[o] + 1) << 6) | ((q[o + 32] + 1) << 4) | ((q[o + 64] + 1) << 2) | (q[o + 96] + 1));
            }
        }

        return packed;
    }

    /// <summary>TQ2_0: per 256-weight block qs[64] (byte m of half h: w[128h + m + 32n] at bits 2n) then fp16 d.</summary>
    public static byte[] PackTq2(ReadOnlySpan<sbyte> q, float scale)
    {
        var packed = new byte[q.Length / 256 * 66];
        for (int b = 0; b < q.Length / 256; b++)
        {
            for (int h = 0; h < 2; h++)
            {
                for (int m = 0; m < 32; m++)
                {
                    int v = 0;
                    for (int n = 0; n < 4; n++)
                    {
                        v |= (q[b * 256 + 128 * h + m + 32 * n] + 1) << (2 * n);
                    }

                    packed[b * 66 + 32 * h + m] = (byte)v;
                }
            }

            WriteHalf(packed.AsSpan(b * 66 + 64), scale);
        }

        return packed;
    }

    /// <summary>TQ1_0 as llama.cpp writes it: base-3, most significant digit first, byte = ceil(v·256/243).</summary>
    public static byte[] PackTq1(ReadOnlySpan<sbyte> q, float scale)
    {
        var packed = new byte[q.Length / 256 * 54];
        for (int b = 0; b < q.Length / 256; b++)
        {
            ReadOnlySpan<sbyte> x = q.Slice(b * 256, 256);
            Span<byte> o = packed.AsSpan(b * 54, 54);
            for (int m = 0; m < 32; m++)
            {
                o[m] = Tq1Byte(x, m, 32, 5);
            }

            for (int m = 0; m < 16; m++)
            {
                o[32 + m] = Tq1Byte(x, 160 + m, 16, 5);
            }

            for (int j = 0; j < 4; j++)
            {
                o[48 + j] = Tq1Byte(x, 240 + j, 4, 4);
            }

            WriteHalf(o[52..], scale);
        }

        return packed;
    }

    private static byte Tq1Byte(ReadOnlySpan<sbyte> x, int start, int stride, int digits)
    {
        int v = 0;
        for (int d = 0; d < 5; d++)
        {
            v = v * 3 + (d < digits ? x[start + d * stride] + 1 : 0);
        }

        return (byte)((v * 256 + 242) / 243);
    }

    public static void WriteHalf(Span<byte> dst, float value)
    {
        ushort bits = BitConverter.HalfToUInt16Bits((Half)value);
        dst[0] = (byte)bits;
        dst[1] = (byte)(bits >> 8);
    }

    public static float ReadHalf(ReadOnlySpan<byte> src) => (float)BitConverter.UInt16BitsToHalf((ushort)(src[0] | (src[1] << 8)));

    /// <summary>y[r, i] = (float)(W[i] · x[r]) · (xs[r] · ws), exact integer dot.</summary>
    public static float[] MatmulI2S(ReadOnlySpan<sbyte> w, float ws, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xs, int n, int k, int m)
    {
        var y = new float[m * n];
        for (int r = 0; r < m; r++)
        {
            for (int i = 0; i < n; i++)
            {
                long dot = 0;
                for (int j = 0; j < k; j++)
                {
                    dot += w[i * k + j] * x[r * k + j];
                }

                y[r * n + i] = (float)dot * (xs[r] * ws);
            }
        }

        return y;
    }

    /// <summary>y[r, i] = (Σ_b (float)dot_b · d[i, b]) · (xs[r] · ws), blocks summed in order.</summary>
    public static float[] MatmulTq2(ReadOnlySpan<sbyte> w, ReadOnlySpan<float> blockScales, float ws, ReadOnlySpan<sbyte> x,
        ReadOnlySpan<float> xs, int n, int k, int m)
    {
        int blocks = k / 256;
        var y = new float[m * n];
        for (int r = 0; r < m; r++)
        {
            for (int i = 0; i < n; i++)
            {
                float sum = 0;
                for (int b = 0; b < blocks; b++)
                {
                    long dot = 0;
                    for (int j = b * 256; j < (b + 1) * 256; j++)
                    {
                        dot += w[i * k + j] * x[r * k + j];
                    }

                    sum += (float)dot * blockScales[i * blocks + b];
                }

                y[r * n + i] = sum * (xs[r] * ws);
            }
        }

        return y;
    }

    /// <summary>
    /// TL1: rows in tiles of 32 (padding rows are zero weights); per tile, k / 4 units of 32 bytes. In unit u, byte i
    /// (0..15) holds the pair code 3 (w0 + 1) + (w1 + 1) of columns (4u, 4u + 1) for tile row i in bits 3:0 and row i + 16
    /// in bits 7:4; byte 16 + i the code of columns (4u + 2, 4u + 3) for the same rows.
    /// </summary>
    public static byte[] PackTl1(ReadOnlySpan<sbyte> q, int n, int k)
    {
        int tiles = (n + 31) / 32;
        var packed = new byte[(long)tiles * 8 * k];
        for (int t = 0; t < tiles; t++)
        {
            for (int u = 0; u < k / 4; u++)
            {
                for (int half = 0; half < 2; half++)
                {
                    for (int i = 0; i < 16; i++)
                    {
                        int lo = PairCode(q, n, k, t * 32 + i, 4 * u + 2 * half);
                        int hi = PairCode(q, n, k, t * 32 + i + 16, 4 * u + 2 * half);
                        packed[(long)t * 8 * k + u * 32 + 16 * half + i] = (byte)(lo | (hi << 4));
                    }
                }
            }
        }

        return packed;
    }

    private static int PairCode(ReadOnlySpan<sbyte> q, int n, int k, int row, int column) =>
        row < n ? 3 * (q[row * k + column] + 1) + (q[row * k + column + 1] + 1) : 4;
}
