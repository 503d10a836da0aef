using BitNative.Kernels;

namespace BitNative.Model.Planning;

/// <summary>
/// What the plan decides for one projection shape: the layout its weights are kept in, and the ISA whose kernels run it
/// for one token (<see cref="Gemv"/>) and for a batch (<see cref="Gemm"/>). All candidates it chose between give the same
/// bits; the timings say why it chose.
/// </summary>
/// <param name="Key">The shape and the options it was measured for.</param>
/// <param name="Layout">The layout the weights are kept in (e.g. I2S or TL1 for a ternary projection).</param>
/// <param name="Gemv">ISA for one activation row.</param>
/// <param name="Gemm">ISA for a batch of rows.</param>
/// <param name="Timings">Every candidate measured, median microseconds per matrix.</param>
public sealed record KernelPlanEntry(KernelPlanKey Key, WeightType Layout, Isa Gemv, Isa Gemm, IReadOnlyList<KernelTiming> Timings);

/// <summary>A projection shape as the plan measures it.</summary>
/// <param name="Stored">The layout the weights are read from (before any repacking).</param>
/// <param name="Layouts">The layouts the options allow (e.g. "I2S,TL1" for the automatic choice, "I2ST,I2S,TL1" with sparse inputs).</param>
/// <param name="Input">The activations it reads.</param>
/// <param name="N">Output features (rows).</param>
/// <param name="K">Input features (columns).</param>
/// <param name="Threads">Threads the kernels run on.</param>
/// <param name="BatchRows">Activation rows of the batch timing (the model's prompt batch).</param>
/// <param name="WorkingSetBytes">Bytes of all the model's matrices of this shape (capped): what one token streams.</param>
/// <param name="Sparsity">
/// Share of each input row top-K sets to zero (BitNet a4.8's o_proj / down_proj inputs), 0 for dense rows: the sparse
/// layout's speed depends on it, so a plan measured at one sparsity is never reused at another.
/// </param>
public sealed record KernelPlanKey(WeightType Stored, string Layouts, ActivationType Input, int N, int K, int Threads,
    int BatchRows, long WorkingSetBytes, float Sparsity);

/// <summary>One candidate's measurement: microseconds per matrix, median of the rounds.</summary>
/// <param name="Layout">The layout timed.</param>
/// <param name="Isa">The ISA timed.</param>
/// <param name="GemvMicroseconds">One activation row, weights streaming from memory as decoding does.</param>
/// <param name="GemmMicroseconds">A batch of <see cref="KernelPlanKey.BatchRows"/> rows.</param>
public sealed record KernelTiming(WeightType Layout, Isa Isa, double GemvMicroseconds, double GemmMicroseconds);
