namespace BitNative.Kernels.Tests;

/// <summary>Deterministic test inputs (seeded System.Random, whose seeded sequence is stable across .NET versions).</summary>
internal static class TestData
{
    public static sbyte[] Ternary(Random rng, int count, int zeroPercent)
    {
        var q = new sbyte[count];
        for (int i = 0; i < count; i++)
        {
            int v = rng.Next(100);
            q[i] = (sbyte)(v < zeroPercent ? 0 : (v & 1) == 0 ? 1 : -1);
        }

        return q;
    }

    public static sbyte[] Int8(Random rng, int count, int min, int max)
    {
        var x = new sbyte[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = (sbyte)rng.Next(min, max + 1);
        }

        return x;
    }

    public static float[] Normal(Random rng, int count, float scale)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            x[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)) * scale;
        }

        return x;
    }

    public static bool SameBits(ReadOnlySpan<float> a, ReadOnlySpan<float> b, out int index)
    {
        for (index = 0; index < Math.Min(a.Length, b.Length); index++)
        {
            if (BitConverter.SingleToInt32Bits(a[index]) != BitConverter.SingleToInt32Bits(b[index]))
            {
                return false;
            }
        }

        index = -1;
        return a.Length == b.Length;
    }
}
