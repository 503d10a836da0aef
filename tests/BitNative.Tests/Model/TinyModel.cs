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

    public static TinyModel Create(int seed, TernaryFormat format, ModelArchitecture arch = ModelArchitecture.BitNetB158)
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
            (Linear, ReferenceLinear) Proj(string name, int outF, int inF) => Ternary(rng, $"blk.{l}.{name}.weight", format, outF, inF);
            float[] Norm(int n) => Normal(rng, n, 0.1f).Select(x => 1f + x).ToArray();
            var (q, rq) = Proj("attn_q", d, d);
            var (k, rk) = Proj("attn_k", kv, d);
            var (vv, rv) = Proj("attn_v", kv, d);
            var (o, ro) = Proj("attn_output", d, d);
            var (g, rg) = Proj("ffn_gate", f, d);
            var (u, ru) = Proj("ffn_up", f, d);
            var (dn, rd) = Proj("ffn_down", d, f);
            float[] attnNorm = Norm(d), attnSub = Norm(d), ffnNorm = Norm(d), ffnSub = Norm(f);
            layers.Add(new LayerWeights(attnNorm, q, k, vv, attnSub, o, ffnNorm, g, u, ffnSub, dn));
            refLayers.Add(new ReferenceLayer(attnNorm, rq, rk, rv, attnSub, ro, ffnNorm, rg, ru, ffnSub, rd));
        }

        float[] outputNorm = Normal(rng, d, 0.1f).Select(x => 1f + x).ToArray();
        var table = new EmbeddingTable("token_embd.weight", RowCodec.F16, embeddingBytes, v, d);
        var head = new DenseLinear("token_embd.weight", DenseType.F16, embeddingBytes, v, d);
        var weights = new ModelWeights(c, table, layers, outputNorm, head, owner: null);
        ReferenceLayer[] refArray = refLayers.ToArray();
        return new TinyModel
        {
            Weights = weights,
            NewReference = () => new ReferenceTransformer(c, embedding, refArray, outputNorm, embedding),
        };
    }

    private static (Linear, ReferenceLinear) Ternary(Random rng, string name, TernaryFormat format, int outF, int inF)
    {
        float[] master = Normal(rng, outF * inF, 0.02f);
        var q = new sbyte[master.Length];
        float scale = WeightPacker.TernarizeAbsmean(master, q);
        if (format == TernaryFormat.I2S)
        {
            var packed = new byte[WeightPacker.PackedBytes(format, outF, inF)];
            WeightPacker.Pack(format, q, scale, packed);
            return (new TernaryLinear(name, format, packed, scale, outF, inF), new ReferenceLinear(outF, inF, q, scale, null));
        }

        // TQ2: per-block fp16 scale = gamma, extra scale 1, so the reference's effective scale is gamma rounded to fp16.
        var tq = new byte[WeightPacker.PackedBytes(format, outF, inF)];
        WeightPacker.Pack(format, q, scale, tq);
        return (new TernaryLinear(name, format, tq, 1f, outF, inF), new ReferenceLinear(outF, inF, q, (float)(Half)scale, null));
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
