using BitNative.Trainer.Ops;

namespace BitNative.Trainer.Tests;

/// <summary>The blocked GEMM against a plain triple loop on awkward shapes (row tails, K across blocks), and thread invariance.</summary>
public sealed class GemmTests
{
    [Theory]
    [InlineData(1, 1, 16)]
    [InlineData(7, 3, 32)]
    [InlineData(13, 300, 48)]
    [InlineData(64, 513, 272)]
    public void Matches_the_naive_product(int m, int k, int n)
    {
        var rng = new Rng(5);
        float[] a = Enumerable.Range(0, m * k).Select(_ => rng.NextGaussian()).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => rng.NextGaussian()).ToArray();
        float[] c = Enumerable.Range(0, m * n).Select(_ => rng.NextGaussian()).ToArray();
        float[] initial = (float[])c.Clone();
        Gemm.Multiply(a, b, c, m, k, n, accumulate: true);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double expected = initial[i * n + j];
                for (int p = 0; p < k; p++)
                {
                    expected += (double)a[i * k + p] * b[p * n + j];
                }

                Assert.Equal(expected, c[i * n + j], 1e-3 * Math.Sqrt(k));
            }
        }
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        var rng = new Rng(6);
        int m = 301, k = 700, n = 64;
        float[] a = Enumerable.Range(0, m * k).Select(_ => rng.NextGaussian()).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => rng.NextGaussian()).ToArray();
        float[] one = new float[m * n], two = new float[m * n];
        int saved = Gemm.Threads;
        try
        {
            Gemm.Threads = 1;
            Gemm.Multiply(a, b, one, m, k, n, accumulate: false);
            Gemm.Threads = 2;
            Gemm.Multiply(a, b, two, m, k, n, accumulate: false);
        }
        finally
        {
            Gemm.Threads = saved;
        }

        Assert.Equal(one, two);
    }

    [Fact]
    public void Transpose_swaps_rows_and_columns()
    {
        float[] src = Enumerable.Range(0, 35 * 40).Select(i => (float)i).ToArray();
        var dst = new float[src.Length];
        Gemm.Transpose(src, dst, 35, 40);
        Assert.Equal(src[7 * 40 + 33], dst[33 * 35 + 7]);
        Assert.Equal(src[34 * 40 + 39], dst[39 * 35 + 34]);
    }
}
