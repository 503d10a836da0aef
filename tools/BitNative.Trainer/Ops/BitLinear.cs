using System.Numerics.Tensors;

namespace BitNative.Trainer.Ops;

/// <summary>How projections compute: BitNet b1.58 quantization-aware, or plain float (the latent weights as they are).</summary>
internal enum QuantMode
{
    /// <summary>Absmean ternary weights × per-token int8 absmax activations, exactly the engine's rules.</summary>
    Ternary,

    /// <summary>Full-precision latent weights and activations (evaluation of the latent model; gradient checks).</summary>
    Float,
}

/// <summary>
/// A BitNet projection y = W x (no bias) over rows of tokens. Forward in <see cref="QuantMode.Ternary"/>:
/// γ = mean|W| (double sum, like bn_ternarize_absmean), Wq = round_half_even(clamp(W / (γ + 1e-5), −1, 1)), and the
/// input rows arrive as int8 codes with their scales (<see cref="ActivationQuant"/>), so y = (Wq · xq) · γ · amax/127.
/// The integer dot products are exact in float (|sum| ≤ 128 · in &lt; 2²⁴), so this equals the engine's integer kernel up
/// to the order of the two final scale multiplications.
/// Backward is the straight-through estimator: both quantizers count as the identity, so
/// dx = dy · (γ Wq) and dW = dyᵀ · x̂ (x̂ = the dequantized input), and W stays a full-precision latent weight.
/// </summary>
internal sealed class BitLinear
{
    private readonly float[] _w;    // [out, in]: ternary codes (Ternary) or the latent weights (Float)
    private readonly float[] _wT;   // [in, out]: the same, transposed for the forward product
    private readonly float[] _wDeq; // [out, in]: γ·Wq (or W): what the backward pass multiplies by

    public BitLinear(string name, int offset, int outFeatures, int inFeatures)
    {
        Name = name;
        Offset = offset;
        Out = outFeatures;
        In = inFeatures;
        _w = new float[outFeatures * inFeatures];
        _wT = new float[_w.Length];
        _wDeq = new float[_w.Length];
    }

    public string Name { get; }

    /// <summary>Offset of the latent weights [Out, In] in the parameter vector.</summary>
    public int Offset { get; }

    public int Out { get; }

    public int In { get; }

    /// <summary>γ in ternary mode, 1 in float mode.</summary>
    public float Scale { get; private set; } = 1f;

    /// <summary>Ternary codes of the last <see cref="Prepare"/> (valid in ternary mode).</summary>
    public ReadOnlySpan<float> Codes => _w;

    /// <summary>Derives the forward weights from the latent weights; once per step (the weights change every step).</summary>
    public void Prepare(ReadOnlySpan<float> parameters, QuantMode mode)
    {
        ReadOnlySpan<float> latent = parameters.Slice(Offset, _w.Length);
        if (mode == QuantMode.Float)
        {
            latent.CopyTo(_w);
            Scale = 1f;
        }
        else
        {
            Scale = Ternarize(latent, _w);
        }

        Finish();
    }

    /// <summary>Uses given ternary codes and scale (a model read back from a GGUF file).</summary>
    public void SetTernary(ReadOnlySpan<sbyte> codes, float gamma)
    {
        for (int i = 0; i < _w.Length; i++)
        {
            _w[i] = codes[i];
        }

        Scale = gamma;
        Finish();
    }

    private void Finish()
    {
        Gemm.Transpose(_w, _wT, Out, In);
        TensorPrimitives.Multiply(_w, Scale, _wDeq);
    }

    /// <summary>The engine's absmean rule: returns γ and writes codes in {−1, 0, 1}.</summary>
    public static float Ternarize(ReadOnlySpan<float> w, Span<float> codes)
    {
        double sum = 0;
        foreach (float v in w)
        {
            sum += MathF.Abs(v);
        }

        float gamma = w.Length > 0 ? (float)(sum / w.Length) : 0f;
        float inverse = 1.0f / (gamma + 1e-5f);
        for (int i = 0; i < w.Length; i++)
        {
            codes[i] = MathF.Round(Math.Clamp(w[i] * inverse, -1f, 1f), MidpointRounding.ToEven);
        }

        return gamma;
    }

    /// <summary>y[rows, Out] = (xq · Wᵀ) · rowScale · γ.</summary>
    public void Forward(ReadOnlyMemory<float> xq, ReadOnlyMemory<float> rowScale, int rows, Memory<float> y)
    {
        Gemm.Multiply(xq, _wT, y, rows, In, Out, accumulate: false);
        float gamma = Scale;
        Rows.For(rows, (first, last) =>
        {
            Span<float> ys = y.Span;
            ReadOnlySpan<float> s = rowScale.Span;
            for (int t = first; t < last; t++)
            {
                Span<float> row = ys.Slice(t * Out, Out);
                TensorPrimitives.Multiply(row, s[t] * gamma, row);
            }
        });
    }

    /// <summary>dx (+)= dy · γWq (straight-through: the quantizers pass the gradient unchanged).</summary>
    public void BackwardInput(ReadOnlyMemory<float> dy, int rows, Memory<float> dx, bool accumulate) =>
        Gemm.Multiply(dy, _wDeq, dx, rows, Out, In, accumulate);

    /// <summary>dW += dyᵀ · x̂; <paramref name="scratch"/> holds at least rows × Out floats.</summary>
    public void BackwardWeight(ReadOnlyMemory<float> dy, ReadOnlyMemory<float> xDequantized, int rows, float[] gradients, float[] scratch)
    {
        Gemm.Transpose(dy.Span[..(rows * Out)], scratch, rows, Out);
        Gemm.Multiply(scratch, xDequantized, gradients.AsMemory(Offset, _w.Length), Out, rows, In, accumulate: true);
    }
}
