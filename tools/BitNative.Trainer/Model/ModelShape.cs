namespace BitNative.Trainer.Model;

/// <summary>Hyperparameters of the trained model (BitNet-b1.58-2B-4T architecture at a small size).</summary>
/// <param name="Vocab">Tokens (rows of the tied embedding / head).</param>
/// <param name="Dim">Residual width d.</param>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="FeedForward">FFN hidden width f.</param>
/// <param name="Heads">Query heads.</param>
/// <param name="KvHeads">Key/value heads (GQA).</param>
/// <param name="Context">Training context T (positions).</param>
/// <param name="RopeBase">RoPE θ.</param>
/// <param name="NormEps">RMSNorm epsilon.</param>
internal sealed record ModelShape(int Vocab, int Dim, int Layers, int FeedForward, int Heads, int KvHeads, int Context,
    float RopeBase = 10000f, float NormEps = 1e-5f)
{
    public int HeadDim => Dim / Heads;

    public int KvDim => KvHeads * HeadDim;

    /// <summary>Rejects shapes the engine or the trainer's kernels cannot run, naming the rule.</summary>
    public void Validate()
    {
        void Require(bool ok, string rule)
        {
            if (!ok)
            {
                throw new ArgumentException($"Model shape {this} is invalid: {rule}.");
            }
        }

        Require(Dim > 0 && Layers > 0 && FeedForward > 0 && Heads > 0 && KvHeads > 0 && Context > 1 && Vocab > 300, "sizes must be positive");
        Require(Dim % Heads == 0 && Heads % KvHeads == 0, "heads must divide d and KV heads must divide heads");
        Require(HeadDim % 2 == 0, "the head dimension must be even (RoPE)");
        // I2_S rows are packed in blocks of 128 weights; the trainer's GEMM tiles 16 columns.
        Require(Dim % 128 == 0 && FeedForward % 128 == 0, "d and f must be multiples of 128 (I2_S)");
        Require(KvDim % 16 == 0 && Vocab % 16 == 0, "KV width and vocabulary must be multiples of 16 (GEMM tiles)");
    }
}
