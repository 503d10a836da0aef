using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>The nonlinearity of a gated feed-forward layer: act(gate) · up.</summary>
public enum GateActivation
{
    /// <summary>max(g, 0)² (BitNet b1.58 2B-4T).</summary>
    ReluSquared = bn_activation.BN_ACTIVATION_RELU2,

    /// <summary>g · sigmoid(g) (SwiGLU), with the library's exp (Cephes expf, within 2 ulp).</summary>
    Silu = bn_activation.BN_ACTIVATION_SILU,
}

/// <summary>The hidden layer of a gated FFN, alone or fused with its sub-norm and the down projection's quantization.</summary>
public static unsafe class GatedActivations
{
    /// <summary>y = act(gate) · up elementwise over rows × columns values (every variant returns the same bits).</summary>
    /// <param name="gate">rows × columns gate projections.</param>
    /// <param name="up">rows × columns up projections.</param>
    /// <param name="activation">The gate nonlinearity.</param>
    /// <param name="rows">Rows (tokens).</param>
    /// <param name="columns">Values per row.</param>
    /// <param name="y">Receives rows × columns floats.</param>
    /// <param name="pool">Threads for large batches, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs or the activation is unknown.</exception>
    public static void Apply(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, GateActivation activation, int rows, int columns,
        Span<float> y, KernelThreadPool? pool)
    {
        CheckShape(gate.Length, up.Length, activation, rows, columns);
        Shapes.Require(y.Length, (long)rows * columns, nameof(y));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (float* g = gate)
        fixed (float* u = up)
        fixed (float* yp = y)
        {
            NativeMethods.bn_glu_f32(g, gate.Length, u, up.Length, (bn_activation)activation, rows, columns, yp, y.Length, lease.Pointer)
                .ThrowIfFailed(nameof(NativeMethods.bn_glu_f32));
        }
    }

    /// <summary>
    /// h = act(gate) · up (written over <paramref name="gate"/>), then RMSNorm of each row of h with
    /// <paramref name="weight"/> and int8 absmax quantization: the input of a BitNet down projection in one call.
    /// Bit-identical to <see cref="Apply"/> followed by <see cref="Norms.RmsNormInt8"/>.
    /// </summary>
    /// <param name="gate">rows × columns gate projections; receives h.</param>
    /// <param name="up">rows × columns up projections.</param>
    /// <param name="activation">The gate nonlinearity.</param>
    /// <param name="weight">columns sub-norm weights.</param>
    /// <param name="eps">Added to the mean square (positive).</param>
    /// <param name="rows">Rows (tokens).</param>
    /// <param name="columns">Values per row (at least 1).</param>
    /// <param name="q">Receives rows × columns int8 values.</param>
    /// <param name="scales">Receives one dequantization factor per row.</param>
    /// <param name="pool">Threads for large batches, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs, eps is not positive, or a row of h is not finite.</exception>
    public static void ApplyRmsNormInt8(Span<float> gate, ReadOnlySpan<float> up, GateActivation activation, ReadOnlySpan<float> weight,
        float eps, int rows, int columns, Span<sbyte> q, Span<float> scales, KernelThreadPool? pool)
    {
        CheckShape(gate.Length, up.Length, activation, rows, columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        Shapes.Require(weight.Length, columns, nameof(weight));
        Shapes.Require(q.Length, (long)rows * columns, nameof(q));
        Shapes.Require(scales.Length, rows, nameof(scales));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (float* g = gate)
        fixed (float* u = up)
        fixed (float* w = weight)
        fixed (sbyte* qp = q)
        fixed (float* sp = scales)
        {
            NativeMethods.bn_glu_rmsnorm_q8(g, gate.Length, u, up.Length, (bn_activation)activation, w, weight.Length, eps, rows, columns,
                qp, q.Length, sp, scales.Length, lease.Pointer).ThrowIfFailed(nameof(NativeMethods.bn_glu_rmsnorm_q8));
        }
    }

    private static void CheckShape(int gateLength, int upLength, GateActivation activation, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (!Enum.IsDefined(activation))
        {
            throw new ArgumentException($"{activation} is not a {nameof(GateActivation)} value.", nameof(activation));
        }

        Shapes.Require(gateLength, (long)rows * columns, "gate");
        Shapes.Require(upLength, (long)rows * columns, "up");
    }
}
