using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitNative.Trainer.Ops;

/// <summary>
/// Single-precision matrix multiply C[M,N] (+)= A[M,K] · B[K,N], every matrix row-major and contiguous: the one hot
/// loop of training (~90 % of the flops). Every other product the trainer needs (X·Wᵀ, dYᵀ·X) is this one after an
/// explicit transpose, which costs O(size) against the product's O(M·N·K).
/// </summary>
/// <remarks>
/// GotoBLAS structure, kept small: B is packed once per call into 16-column strips (each strip K×16 contiguous);
/// loops run over K blocks of <see cref="KC"/> (a strip chunk is 16 KB: stays in L1), column groups of <see cref="NC"/>
/// (a group's panel stays in L2), then 6-row blocks of A against each strip with a 6×16 register tile: 12 AVX
/// accumulators, 2 loads + 6 broadcasts per 12 FMAs, so the loop is FMA-bound. Rows are split between threads in
/// contiguous ranges and every C element is summed by one thread in a fixed order: results are bit-identical for
/// any thread count and any scheduling.
/// </remarks>
internal static class Gemm
{
    private const int MR = 6;   // rows of the register tile
    private const int NR = 16;  // columns of the register tile (two Vector256)
    private const int KC = 256; // depth of a K block
    private const int NC = 256; // columns of a group

    /// <summary>Threads used by <see cref="Multiply"/> (and the other parallel ops); 1 = calling thread only.</summary>
    public static int Threads { get; set; } = 1;

    /// <summary>C = A·B, or C += A·B when <paramref name="accumulate"/>. N must be a multiple of 16.</summary>
    public static void Multiply(ReadOnlyMemory<float> a, ReadOnlyMemory<float> b, Memory<float> c, int m, int k, int n, bool accumulate)
    {
        if (n % NR != 0)
        {
            throw new ArgumentException($"N = {n} must be a multiple of {NR}.", nameof(n));
        }

        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
        {
            throw new ArgumentException($"Buffers too small for [{m}x{k}]·[{k}x{n}].");
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                c.Span[..(m * n)].Clear();
            }

            return;
        }

        float[] packed = ArrayPool<float>.Shared.Rent(k * n);
        try
        {
            PackB(b.Span, packed, k, n);
            int blocks = (m + MR - 1) / MR;
            int threads = Math.Clamp(Math.Min(Threads, blocks), 1, 64);
            if ((long)m * n * k < 1 << 18)
            {
                threads = 1; // not worth waking a thread
            }

            if (threads == 1)
            {
                RowRange(a.Span, packed, c.Span, 0, m, k, n, accumulate);
                return;
            }

            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                int first = (int)((long)blocks * t / threads) * MR;
                int last = Math.Min(m, (int)((long)blocks * (t + 1) / threads) * MR);
                RowRange(a.Span, packed, c.Span, first, last, k, n, accumulate);
            });
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
        }
    }

    /// <summary>Strip s of B (columns 16s..16s+15) goes to packed[16·s·K ..], row p of the strip at offset 16p.</summary>
    private static void PackB(ReadOnlySpan<float> b, float[] packed, int k, int n)
    {
        for (int s = 0; s < n / NR; s++)
        {
            Span<float> strip = packed.AsSpan(s * NR * k, NR * k);
            for (int p = 0; p < k; p++)
            {
                b.Slice(p * n + s * NR, NR).CopyTo(strip.Slice(p * NR, NR));
            }
        }
    }

    private static void RowRange(ReadOnlySpan<float> a, float[] packed, Span<float> c, int first, int last, int k, int n, bool accumulate)
    {
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float c0 = ref MemoryMarshal.GetReference(c);
        ref float p0 = ref MemoryMarshal.GetArrayDataReference(packed);
        for (int kc = 0; kc < k; kc += KC)
        {
            int depth = Math.Min(KC, k - kc);
            bool load = accumulate || kc > 0;
            for (int jc = 0; jc < n; jc += NC)
            {
                int jEnd = Math.Min(n, jc + NC);
                for (int i = first; i < last; i += MR)
                {
                    int rows = Math.Min(MR, last - i);
                    ref float ai = ref Unsafe.Add(ref a0, (nint)i * k + kc);
                    for (int j = jc; j < jEnd; j += NR)
                    {
                        ref float bp = ref Unsafe.Add(ref p0, (nint)j * k + (nint)kc * NR);
                        ref float cij = ref Unsafe.Add(ref c0, (nint)i * n + j);
                        if (rows == MR)
                        {
                            Kernel6x16(ref ai, k, ref bp, ref cij, n, depth, load);
                        }
                        else
                        {
                            for (int r = 0; r < rows; r++)
                            {
                                Kernel1x16(ref Unsafe.Add(ref ai, (nint)r * k), ref bp, ref Unsafe.Add(ref cij, (nint)r * n), depth, load);
                            }
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fmadd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    private static void Kernel6x16(ref float a, int lda, ref float bp, ref float c, int ldc, int depth, bool load)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (load)
        {
            c00 = Vector256.LoadUnsafe(ref c); c01 = Vector256.LoadUnsafe(ref c, 8);
            c10 = Vector256.LoadUnsafe(ref c, (nuint)ldc); c11 = Vector256.LoadUnsafe(ref c, (nuint)ldc + 8);
            c20 = Vector256.LoadUnsafe(ref c, (nuint)(2 * ldc)); c21 = Vector256.LoadUnsafe(ref c, (nuint)(2 * ldc) + 8);
            c30 = Vector256.LoadUnsafe(ref c, (nuint)(3 * ldc)); c31 = Vector256.LoadUnsafe(ref c, (nuint)(3 * ldc) + 8);
            c40 = Vector256.LoadUnsafe(ref c, (nuint)(4 * ldc)); c41 = Vector256.LoadUnsafe(ref c, (nuint)(4 * ldc) + 8);
            c50 = Vector256.LoadUnsafe(ref c, (nuint)(5 * ldc)); c51 = Vector256.LoadUnsafe(ref c, (nuint)(5 * ldc) + 8);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
        }

        ref float a1 = ref Unsafe.Add(ref a, lda);
        ref float a2 = ref Unsafe.Add(ref a, 2 * lda);
        ref float a3 = ref Unsafe.Add(ref a, 3 * lda);
        ref float a4 = ref Unsafe.Add(ref a, 4 * lda);
        ref float a5 = ref Unsafe.Add(ref a, 5 * lda);
        for (int p = 0; p < depth; p++)
        {
            Vector256<float> b0 = Vector256.LoadUnsafe(ref bp, (nuint)(p * NR));
            Vector256<float> b1 = Vector256.LoadUnsafe(ref bp, (nuint)(p * NR + 8));
            Vector256<float> x = Vector256.Create(Unsafe.Add(ref a, p));
            c00 = Fmadd(x, b0, c00); c01 = Fmadd(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref a1, p));
            c10 = Fmadd(x, b0, c10); c11 = Fmadd(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref a2, p));
            c20 = Fmadd(x, b0, c20); c21 = Fmadd(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref a3, p));
            c30 = Fmadd(x, b0, c30); c31 = Fmadd(x, b1, c31);
            x = Vector256.Create(Unsafe.Add(ref a4, p));
            c40 = Fmadd(x, b0, c40); c41 = Fmadd(x, b1, c41);
            x = Vector256.Create(Unsafe.Add(ref a5, p));
            c50 = Fmadd(x, b0, c50); c51 = Fmadd(x, b1, c51);
        }

        c00.StoreUnsafe(ref c); c01.StoreUnsafe(ref c, 8);
        c10.StoreUnsafe(ref c, (nuint)ldc); c11.StoreUnsafe(ref c, (nuint)ldc + 8);
        c20.StoreUnsafe(ref c, (nuint)(2 * ldc)); c21.StoreUnsafe(ref c, (nuint)(2 * ldc) + 8);
        c30.StoreUnsafe(ref c, (nuint)(3 * ldc)); c31.StoreUnsafe(ref c, (nuint)(3 * ldc) + 8);
        c40.StoreUnsafe(ref c, (nuint)(4 * ldc)); c41.StoreUnsafe(ref c, (nuint)(4 * ldc) + 8);
        c50.StoreUnsafe(ref c, (nuint)(5 * ldc)); c51.StoreUnsafe(ref c, (nuint)(5 * ldc) + 8);
    }

    private static void Kernel1x16(ref float a, ref float bp, ref float c, int depth, bool load)
    {
        Vector256<float> c0 = load ? Vector256.LoadUnsafe(ref c) : Vector256<float>.Zero;
        Vector256<float> c1 = load ? Vector256.LoadUnsafe(ref c, 8) : Vector256<float>.Zero;
        for (int p = 0; p < depth; p++)
        {
            Vector256<float> x = Vector256.Create(Unsafe.Add(ref a, p));
            c0 = Fmadd(x, Vector256.LoadUnsafe(ref bp, (nuint)(p * NR)), c0);
            c1 = Fmadd(x, Vector256.LoadUnsafe(ref bp, (nuint)(p * NR + 8)), c1);
        }

        c0.StoreUnsafe(ref c);
        c1.StoreUnsafe(ref c, 8);
    }

    /// <summary>dst[cols, rows] = src[rows, cols]ᵀ, in 32×32 tiles so both sides stay in cache.</summary>
    public static void Transpose(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols)
    {
        const int tile = 32;
        for (int i0 = 0; i0 < rows; i0 += tile)
        {
            int i1 = Math.Min(rows, i0 + tile);
            for (int j0 = 0; j0 < cols; j0 += tile)
            {
                int j1 = Math.Min(cols, j0 + tile);
                for (int i = i0; i < i1; i++)
                {
                    for (int j = j0; j < j1; j++)
                    {
                        dst[j * rows + i] = src[i * cols + j];
                    }
                }
            }
        }
    }
}
