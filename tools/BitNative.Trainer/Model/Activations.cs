namespace BitNative.Trainer.Model;

/// <summary>What one layer's forward pass keeps for its backward pass (N = batch · T rows).</summary>
internal sealed class LayerActivations
{
    public LayerActivations(ModelShape s, int batch)
    {
        int n = batch * s.Context, d = s.Dim, kv = s.KvDim, f = s.FeedForward;
        AttnRstd = new float[n];
        NQ = new float[n * d];
        NScale = new float[n];
        Q = new float[n * d];
        K = new float[n * kv];
        V = new float[n * kv];
        Probs = new float[batch * s.Heads * s.Context * s.Context];
        Att = new float[n * d];
        SubRstd = new float[n];
        AQ = new float[n * d];
        AScale = new float[n];
        XMid = new float[n * d];
        FfnRstd = new float[n];
        MQ = new float[n * d];
        MScale = new float[n];
        G = new float[n * f];
        U = new float[n * f];
        H = new float[n * f];
        FfnSubRstd = new float[n];
        HQ = new float[n * f];
        HScale = new float[n];
    }

    public float[] AttnRstd { get; }   // [N]     attn_norm 1/rms
    public float[] NQ { get; }         // [N, d]  attn_norm output, quantized (input of Q, K, V)
    public float[] NScale { get; }     // [N]
    public float[] Q { get; }          // [N, d]  after RoPE
    public float[] K { get; }          // [N, kv] after RoPE
    public float[] V { get; }          // [N, kv]
    public float[] Probs { get; }      // [B, H, T, T] softmax rows
    public float[] Att { get; }        // [N, d]  attention output (input of attn_sub_norm)
    public float[] SubRstd { get; }    // [N]
    public float[] AQ { get; }         // [N, d]  attn_sub_norm output, quantized (input of O)
    public float[] AScale { get; }     // [N]
    public float[] XMid { get; }       // [N, d]  residual after attention
    public float[] FfnRstd { get; }    // [N]
    public float[] MQ { get; }         // [N, d]  ffn_norm output, quantized (input of gate, up)
    public float[] MScale { get; }     // [N]
    public float[] G { get; }          // [N, f]  gate projection
    public float[] U { get; }          // [N, f]  up projection
    public float[] H { get; }          // [N, f]  relu(G)² · U (input of ffn_sub_norm)
    public float[] FfnSubRstd { get; } // [N]
    public float[] HQ { get; }         // [N, f]  ffn_sub_norm output, quantized (input of down)
    public float[] HScale { get; }     // [N]
}

/// <summary>Every buffer of a forward + backward pass for a fixed batch (allocated once, like llm.c's activations).</summary>
internal sealed class Activations
{
    public Activations(ModelShape s, int batch)
    {
        int n = batch * s.Context, d = s.Dim, kv = s.KvDim, f = s.FeedForward;
        Batch = batch;
        Layers = Enumerable.Range(0, s.Layers).Select(_ => new LayerActivations(s, batch)).ToArray();
        Residual = Enumerable.Range(0, s.Layers + 1).Select(_ => new float[n * d]).ToArray();
        FinalRstd = new float[n];
        Final = new float[n * d];
        Logits = new float[n * s.Vocab];
        Losses = new float[n];
        Normed = new float[n * Math.Max(d, f)];
        Projected = new float[n * d];
        DResidual = new float[n * d];
        DFinal = new float[n * d];
        DWide = new float[n * f];
        DWide2 = new float[n * f];
        DGate = new float[n * f];
        DUp = new float[n * f];
        DNarrow = new float[n * d];
        DNarrow2 = new float[n * d];
        DQ = new float[n * d];
        DK = new float[n * kv];
        DV = new float[n * kv];
        Dequantized = new float[n * Math.Max(d, f)];
        Transposed = new float[n * Math.Max(s.Vocab, f)];
    }

    public int Batch { get; }

    public LayerActivations[] Layers { get; }

    /// <summary>Residual stream at each layer boundary: [0] = embeddings, [L] = input of the final norm; each [N, d].</summary>
    public float[][] Residual { get; }

    public float[] FinalRstd { get; }  // [N]
    public float[] Final { get; }      // [N, d] output_norm(x): input of the head
    public float[] Logits { get; }     // [N, V]; turned into dlogits by the backward pass
    public float[] Losses { get; }     // [N] per-token loss (0 where not scored)

    // Scratch, reused by every layer.
    public float[] Normed { get; }      // [N, max(d, f)] a norm's output before quantization
    public float[] Projected { get; }   // [N, d] output of O / down before the residual add
    public float[] DResidual { get; }   // [N, d] gradient of the residual stream
    public float[] DFinal { get; }      // [N, d]
    public float[] DWide { get; }       // [N, f] gradient of the down input
    public float[] DWide2 { get; }      // [N, f] gradient of H
    public float[] DGate { get; }       // [N, f]
    public float[] DUp { get; }         // [N, f]
    public float[] DNarrow { get; }     // [N, d] gradient of a norm output
    public float[] DNarrow2 { get; }    // [N, d] gradient of the attention output
    public float[] DQ { get; }          // [N, d]
    public float[] DK { get; }          // [N, kv]
    public float[] DV { get; }          // [N, kv]
    public float[] Dequantized { get; } // [N, max(d, f)] x̂ for a weight gradient
    public float[] Transposed { get; }  // [max(V, f), N] dyᵀ for a weight gradient
}
