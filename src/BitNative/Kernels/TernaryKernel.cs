namespace BitNative.Kernels;

/// <summary>Which kernel family multiplies the ternary projections.</summary>
public enum TernaryKernel
{
    /// <summary>The fastest family for this CPU and <see cref="ActivationBits"/> (see <see cref="BitNetModel.Kernel"/> for the choice made).</summary>
    Auto = 0,

    /// <summary>Multiply-add kernels on the file's layout (I2_S / TQ2_0): maddubs, VNNI, SDOT. No repacking, no extra memory.</summary>
    MultiplyAdd = 1,

    /// <summary>
    /// Lookup-table kernels: projections are repacked at load into the TL1 layout (2 bits per weight, a copy next to the
    /// file's) and every pair of weights becomes one table lookup. Projections the layout cannot hold (TQ2_0 with
    /// differing block scales) keep the multiply-add kernels.
    /// </summary>
    LookupTable = 2,
}

/// <summary>Precision of the activations fed to the attention (Q/K/V) and feed-forward (gate/up) projections.</summary>
public enum ActivationBits
{
    /// <summary>int8, per-token absmax (BitNet b1.58): what the models are trained with.</summary>
    Int8 = 8,

    /// <summary>
    /// int4, per-token absmean (BitNet a4.8, arXiv 2411.04965) for the Q/K/V and gate/up inputs; the attention-output and
    /// down-projection inputs stay int8 as in the paper. Faster with the lookup-table kernels; changes the numerics of
    /// models not trained for it, so it is opt-in.
    /// </summary>
    Int4 = 4,
}

/// <summary>
/// BitNet a4.8's top-K sparsification of the intermediate projection inputs: the share of each attention-output
/// (o_proj) and down-projection input row set to zero after its int8 quantization (the largest magnitudes stay). The
/// load-time kernel plan times the sparse kernels, which skip those columns of the weights, against the dense ones at this
/// sparsity and keeps the faster; the results are the same. 0 keeps a row dense.
/// </summary>
/// <param name="AttentionOutput">Share of the o_proj input zeroed, in [0, 1) (a4.8: 0.5).</param>
/// <param name="FeedForwardDown">Share of the down_proj input zeroed, in [0, 1).</param>
public sealed record TopKSparsity(float AttentionOutput, float FeedForwardDown)
{
    /// <summary>Dense inputs.</summary>
    public static TopKSparsity None { get; } = new(0f, 0f);

    /// <summary>Throws <see cref="ArgumentException"/> when a share is outside [0, 1).</summary>
    public void Validate()
    {
        if (AttentionOutput is not (>= 0f and < 1f) || FeedForwardDown is not (>= 0f and < 1f))
        {
            throw new ArgumentException($"Sparsity {AttentionOutput}, {FeedForwardDown}: each share must be in [0, 1).");
        }
    }
}
