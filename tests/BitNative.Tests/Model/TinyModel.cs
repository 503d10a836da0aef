using BitNative.Kernels;
using BitNative.Model;

namespace BitNative.Tests.Model;

/// <summary>
/// A small random BitNet model built in memory twice from the same seeded values: once as the engine's typed,
/// packed <see cref="ModelWeights"/> and once as plain arrays for the <see cref="ReferenceTransformer"/>.
/// </summary>
internal sealed class TinyModel
{
    public static ModelConfig Config(ModelArchitecture arch = ModelArchitecture.BitNetB158) => new(
        arch, arch == ModelArchitecture.BitNet ? "bitnet" : "bitnet-b1.58", VocabSize: 320, EmbeddingLength: 256, BlockCount: 2,
        FeedForwardLength: 768, HeadCount: 4, KvHeadCount: 2, RopeDimensions: 64, RopeFreqBase: 10000f, RmsNormEpsilon: 1e-5f,
        ContextLength: 128, arch == ModelArchitecture.BitNet ? FeedForwardActivation.Silu : FeedForwardActivation.SquaredRelu,
        RopeStyle.NeoX);

    public required ModelWeights Weights { get; init; }

    public required Func<ReferenceTransformer> NewReference { get; init; }

    /// <summary>
    /// The model with its projections stored as <paramref name="format"/> (I2S, Tq2 or Tl1) reading <paramref name="bits"/>
    /// inputs where BitNet a4.8 allows int4 (Q/K/V, gate/up); the same seed gives the same values in every layout.
    /// </summary>
    public static TinyModel Create(int seed, WeightType format, ModelArchitecture arch = ModelArchitecture.BitNetB158,
        ActivationBits bits = ActivationBits.Int8)
    {
        ModelConfig c = Config(arch);
        var rng = new Random(seed);
        int d = c.EmbeddingLength, f = c.FeedForwardLength, kv = c.KvDim, v = c.VocabSize;

        // Embedding (tied head) stored as fp16; the reference uses the same rounded values.
        float[] embedding = Normal(rng, v * d, 1.0f).Select(x => (float)(Half)x).ToArray();
        byte[] embeddingBytes = embedding.SelectMany(x => BitConverter.GetBytes((Half)x)).ToArray();

        var layers = new List<LayerWeights>();
        var refLayers = new List<ReferenceLayer>();
        for (int l = 0; l < c.BlockCount; l++)
        {
            ActivationType wide = bits == ActivationBits.Int4 ? ActivationType.Int4 : ActivationType.Int8;
            (WeightMatrix, ReferenceLinear) Proj(string name, int outF, int inF, ActivationType input) =>
                Ternary(rng, $"blk.{l}.{name}.weight", format, outF, inF, input);
            float[] Norm(int n) => Normal(rng, n, 0.1f).Select(x => 1f + x).ToArray();
            var (q, rq) = Proj("attn_q", d, d, wide);
            var (k, rk) = Proj("attn_k", kv, d, wide);
            var (vv, rv) = Proj("attn_v", kv, d, wide);
            var (o, ro) = Proj("attn_output", d, d, ActivationType.Int8);
            var (g, rg) = Proj("ffn_gate", f, d, wide);
            var (u, ru) = Proj("ffn_up", f, d, wide);
            var (dn, rd) = Proj("ffn_down", d, f, ActivationType.Int8);
            float[] attnNorm = Norm(d), attnSub = Norm(d), ffnNorm = Norm(d), ffnSub = Norm(f);
            layers.Add(new LayerWeights(attnNorm, q, k, vv, attnSub, o, ffnNorm, g, u, ffnSub, dn));
            refLayers.Add(new ReferenceLayer(attnNorm, rq, rk, rv, attnSub, ro, ffnNorm, rg, ru, ffnSub, rd));
        }

        float[] outputNorm = Normal(rng, d, 0.1f).Select(x => 1f + x).ToArray();
        var table = new EmbeddingTable("token_embd.weight", RowCodec.F16, embeddingBytes, v, d);
        var head = new WeightMatrix("token_embd.weight", WeightType.F16, embeddingBytes, 1f, v, d, ActivationType.F32);
        var weights = new ModelWeights(c, table, layers, outputNorm, head, owner: null);
        ReferenceLayer[] refArray = refLayers.ToArray();
        return new TinyModel
        {
            Weights = weights,
            NewReference = () => new ReferenceTransformer(c, embedding, refArray, outputNorm, embedding),
        };
    }

    private static (WeightMatrix, ReferenceLinear) Ternary(Random rng, string name, WeightType format, int outF, int inF,
        ActivationType input)
    {
        float[] master = Normal(rng, outF * inF, 0.02f);
        var q = new sbyte[master.Length];
        float scale = WeightPacker.TernarizeAbsmean(master, q);
        var packed = new byte[WeightTypes.Bytes(format, outF, inF)];
        WeightPacker.Pack(format, q, outF, inF, scale, packed);
        if (format != WeightType.Tq2)
        {
            return (new WeightMatrix(name, format, packed, scale, outF, inF, input), new ReferenceLinear(outF, inF, q, scale, null));
        }

        // TQ2: per-block fp16 scale = gamma, extra scale 1, so the reference's effective scale is gamma rounded to fp16.
        return (new WeightMatrix(name, format, packed, 1f, outF, inF, input), new ReferenceLinear(outF, inF, q, (float)(Half)scale, null));
    }

    public static float[] Normal(Random rng, int count, float sigma)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            x[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2) * sigma);
        }

        return x;
    }
}
