using System.Diagnostics;
using BitNative.Kernels;

namespace BitNative.Model.Planning;

/// <summary>
/// Times the candidate kernels of one projection shape on synthetic weights, alternating the candidates round by round
/// so a noisy neighbour hits them all alike, and picks the fastest. One token is timed on as many distinct matrices as
/// the model has of that shape (up to <see cref="MaxWorkingSetBytes"/>), so a large model's matrices stream from DRAM as
/// they do when decoding and a small model's stay in cache as they do when it runs; a batch is compute-bound and is timed
/// on one matrix. The activation rows have the zeros top-K leaves in the projection's inputs (<see cref="KernelPlanKey.Sparsity"/>):
/// the sparse layout's kernels skip them, so its time depends on how many there are.
/// </summary>
internal static class KernelTimer
{
    /// <summary>Enough to leave any L3 of today's CPUs behind (32 MiB on the machines measured here).</summary>
    public const long MaxWorkingSetBytes = 96L << 20;

    private const int Rounds = 3;

    /// <summary>Measures every (layout, ISA) candidate and returns the plan entry.</summary>
    /// <param name="key">The shape, threads, batch and working set.</param>
    /// <param name="layouts">Candidate layouts (the first is kept when only the scalar reference runs: nothing to time).</param>
    /// <param name="pool">The model's threads, or null for one.</param>
    public static KernelPlanEntry Measure(KernelPlanKey key, IReadOnlyList<WeightType> layouts, KernelThreadPool? pool)
    {
        var candidates = new List<(WeightType Layout, Isa Isa)>();
        foreach (WeightType layout in layouts)
        {
            foreach (Isa isa in Enum.GetValues<Isa>())
            {
                if (isa != Isa.Reference && KernelDispatch.IsSupported(isa) && Matmul.IsSupported(layout, key.Input, isa))
                {
                    candidates.Add((layout, isa));
                }
            }
        }

        if (candidates.Count == 0)
        {
            // only the scalar reference runs here: nothing to choose
            return new KernelPlanEntry(key, layouts[0], Isa.Reference, Isa.Reference, []);
        }

        var gemv = new double[candidates.Count][];
        var gemm = new double[candidates.Count][];
        var buffers = layouts.ToDictionary(l => l, l => SyntheticMatrices.Create(l, key));
        try
        {
            var x = new Activations(key.K, key.BatchRows, key.Sparsity);
            var y = new float[(long)key.N * key.BatchRows];
            for (int c = 0; c < candidates.Count; c++)
            {
                gemv[c] = new double[Rounds];
                gemm[c] = new double[Rounds];
                Run(candidates[c], buffers[candidates[c].Layout], key, x, y, pool, out _, out _); // warm-up: code, pages, tables
            }

            for (int round = 0; round < Rounds; round++)
            {
                for (int c = 0; c < candidates.Count; c++)
                {
                    Run(candidates[c], buffers[candidates[c].Layout], key, x, y, pool, out gemv[c][round], out gemm[c][round]);
                }
            }
        }
        finally
        {
            foreach (SyntheticMatrices b in buffers.Values)
            {
                b.Dispose();
            }
        }

        var timings = candidates.Select((c, i) => new KernelTiming(c.Layout, c.Isa, Median(gemv[i]), Median(gemm[i]))).ToList();
        // The layout is one per matrix (no second copy), chosen for decoding, which reads every weight once per token; a
        // batch then runs the fastest ISA on that layout, as does one token.
        KernelTiming fastestGemv = timings.MinBy(t => t.GemvMicroseconds)!;
        WeightType layoutChosen = fastestGemv.Layout;
        KernelTiming fastestGemm = timings.Where(t => t.Layout == layoutChosen).MinBy(t => t.GemmMicroseconds)!;
        return new KernelPlanEntry(key, layoutChosen, fastestGemv.Isa, fastestGemm.Isa, timings);
    }

    private static void Run((WeightType Layout, Isa Isa) candidate, SyntheticMatrices matrices, KernelPlanKey key, Activations x,
        float[] y, KernelThreadPool? pool, out double gemvMicroseconds, out double gemmMicroseconds)
    {
        int n = key.N, k = key.K, m = key.BatchRows;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < matrices.Count; i++)
        {
            Matmul.Quantized(candidate.Layout, key.Input, candidate.Isa, matrices.Matrix(i), 1f, x.Batch.AsSpan(0, k), x.BatchScales.AsSpan(0, 1),
                n, k, 1, y, pool);
        }

        gemvMicroseconds = Stopwatch.GetElapsedTime(start).TotalMicroseconds / matrices.Count;
        start = Stopwatch.GetTimestamp();
        Matmul.Quantized(candidate.Layout, key.Input, candidate.Isa, matrices.Matrix(0), 1f, x.Batch, x.BatchScales, n, k, m, y, pool);
        gemmMicroseconds = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    private static double Median(double[] values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>
    /// Activations valid for int8 and int4 inputs alike (values in [-8, 7]). With a sparsity, each row has exactly the
    /// zeros top-K leaves (<see cref="ActivationTransforms.KeepCount"/> nonzero values kept) at random columns, and no
    /// other zeros; the seed is fixed, so every load times the same rows.
    /// </summary>
    private sealed class Activations
    {
        public Activations(int k, int rows, float sparsity)
        {
            var rng = new Random(k);
            Batch = new sbyte[(long)k * rows];
            if (sparsity <= 0f)
            {
                for (int i = 0; i < Batch.Length; i++)
                {
                    Batch[i] = (sbyte)rng.Next(-8, 8);
                }
            }
            else
            {
                int zeros = k - ActivationTransforms.KeepCount(k, sparsity);
                int[] columns = Enumerable.Range(0, k).ToArray();
                for (int r = 0; r < rows; r++)
                {
                    Span<sbyte> row = Batch.AsSpan(r * k, k);
                    for (int j = 0; j < k; j++)
                    {
                        int v = rng.Next(-8, 7);
                        row[j] = (sbyte)(v >= 0 ? v + 1 : v); // [-8, -1] or [1, 7]: what top-K keeps is nonzero
                    }

                    for (int z = 0; z < zeros; z++)
                    {
                        // a partial Fisher-Yates shuffle: the first `zeros` entries of columns are distinct random columns
                        int pick = rng.Next(z, k);
                        (columns[z], columns[pick]) = (columns[pick], columns[z]);
                        row[columns[z]] = 0;
                    }
                }
            }

            BatchScales = Enumerable.Repeat(0.01f, rows).ToArray();
        }

        public sbyte[] Batch { get; }

        public float[] BatchScales { get; }
    }
}
