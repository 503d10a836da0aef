using System.Runtime.InteropServices;
using BitNative.Formats.Safetensors;
using BitNative.Model;
using BitNative.Tests.Formats;
using BitNative.Tokenization;
using Xunit;

namespace BitNative.Tests.Model;

/// <summary>
/// Hugging Face checkpoints in both published BitNet forms load and run: packed uint8 projections with weight_scale
/// (microsoft/bitnet-b1.58-2B-4T) and bf16 master weights ternarized at load (the -bf16 checkpoint); sharded too.
/// </summary>
public sealed class SafetensorsModelTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static byte[] Bf16(float[] values) =>
        values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(v) >> 16))).ToArray();

    private static byte[] F32(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>Packs rows as the 2B-4T checkpoint does: byte [i, j] holds rows s·(out/4) + i in bits 2s..2s+1 as w + 1.</summary>
    private static byte[] PackHf(sbyte[] q, int outF, int inF)
    {
        int quarter = outF / 4;
        var packed = new byte[quarter * inF];
        for (int s = 0; s < 4; s++)
        {
            for (int i = 0; i < quarter; i++)
            {
                for (int j = 0; j < inF; j++)
                {
                    packed[i * inF + j] |= (byte)((q[(s * quarter + i) * inF + j] + 1) << (2 * s));
                }
            }
        }

        return packed;
    }

    private string WriteCheckpoint(string name, bool packed, bool sharded, ReferenceData data)
    {
        string dir = Path.Combine(_folder.Path, name);
        Directory.CreateDirectory(dir);
        ModelConfig c = TinyModel.Config();
        File.WriteAllText(Path.Combine(dir, "config.json"), $$"""
            {"architectures": ["BitNetForCausalLM"], "model_type": "bitnet", "hidden_act": "relu2", "vocab_size": {{c.VocabSize}},
             "hidden_size": {{c.EmbeddingLength}}, "intermediate_size": {{c.FeedForwardLength}}, "num_hidden_layers": {{c.BlockCount}},
             "num_attention_heads": {{c.HeadCount}}, "num_key_value_heads": {{c.KvHeadCount}}, "rope_theta": {{c.RopeFreqBase}},
             "rms_norm_eps": 1e-05, "max_position_embeddings": {{c.ContextLength}}, "tie_word_embeddings": true}
            """);
        data.Tokenizer.WriteHuggingFace(Path.Combine(dir, "tokenizer.json"), Path.Combine(dir, "tokenizer_config.json"));

        var writers = new[] { new SafetensorsWriter(), new SafetensorsWriter() };
        var map = new Dictionary<string, string>();
        int next = 0;
        void Add(string tensor, SafetensorsDType type, long[] shape, byte[] bytes)
        {
            int shard = sharded ? next++ % 2 : 0;
            writers[shard].AddTensor(tensor, type, shape, bytes);
            map[tensor] = $"model-0000{shard + 1}-of-00002.safetensors";
        }

        Add("model.embed_tokens.weight", SafetensorsDType.F32, [c.VocabSize, c.EmbeddingLength], F32(data.Embedding));
        Add("model.norm.weight", SafetensorsDType.F32, [c.EmbeddingLength], F32(data.OutputNorm));
        for (int l = 0; l < c.BlockCount; l++)
        {
            ReferenceLayer w = data.Layers[l];
            string p = $"model.layers.{l}.";
            Add(p + "input_layernorm.weight", SafetensorsDType.F32, [c.EmbeddingLength], F32(w.AttnNorm));
            Add(p + "post_attention_layernorm.weight", SafetensorsDType.F32, [c.EmbeddingLength], F32(w.FfnNorm));
            Add(p + "self_attn.attn_sub_norm.weight", SafetensorsDType.F32, [c.EmbeddingLength], F32(w.AttnSubNorm!));
            Add(p + "mlp.ffn_sub_norm.weight", SafetensorsDType.F32, [c.FeedForwardLength], F32(w.FfnSubNorm!));
            foreach (var (hfName, lin) in new[] { ("self_attn.q_proj", w.Q), ("self_attn.k_proj", w.K), ("self_attn.v_proj", w.V),
                         ("self_attn.o_proj", w.O), ("mlp.gate_proj", w.Gate), ("mlp.up_proj", w.Up), ("mlp.down_proj", w.Down) })
            {
                if (packed)
                {
                    Add(p + hfName + ".weight", SafetensorsDType.U8, [lin.Out / 4, lin.In], PackHf(lin.Ternary!, lin.Out, lin.In));
                    Add(p + hfName + ".weight_scale", SafetensorsDType.F32, [1], F32([1f / lin.Scale])); // inverse absmean
                }
                else
                {
                    // Exactly ternary x scale in bf16 (the scale rounded to bf16 first, so the values are representable).
                    float s = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(lin.Scale) & unchecked((int)0xFFFF0000));
                    Add(p + hfName + ".weight", SafetensorsDType.BF16, [lin.Out, lin.In], Bf16(lin.Ternary!.Select(t => t * s).ToArray()));
                }
            }
        }

        if (sharded)
        {
            writers[0].WriteTo(Path.Combine(dir, "model-00001-of-00002.safetensors"));
            writers[1].WriteTo(Path.Combine(dir, "model-00002-of-00002.safetensors"));
            File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"),
                System.Text.Json.JsonSerializer.Serialize(new { metadata = new { }, weight_map = map }));
        }
        else
        {
            writers[0].WriteTo(Path.Combine(dir, "model.safetensors"));
        }

        return dir;
    }

    internal sealed record ReferenceData(TokenizerData Tokenizer, float[] Embedding, ReferenceLayer[] Layers, float[] OutputNorm);

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void CheckpointsLoadAndMatchTheReference(bool packed, bool sharded)
    {
        ModelConfig c = TinyModel.Config();
        var rng = new Random(8);
        TokenizerData tokenizer = ByteLevelBpeTrainer.Train(BitNative.Model.Synthetic.SyntheticText.Sample, c.VocabSize);
        var layers = new ReferenceLayer[c.BlockCount];
        ReferenceLinear Lin(int outF, int inF)
        {
            var q = new sbyte[outF * inF];
            float scale = BitNative.Kernels.WeightPacker.TernarizeAbsmean(TinyModel.Normal(rng, outF * inF, 0.02f), q);
            return new ReferenceLinear(outF, inF, q, scale, null);
        }

        float[] Norm(int n) => TinyModel.Normal(rng, n, 0.1f).Select(x => 1 + x).ToArray();
        int d = c.EmbeddingLength, f = c.FeedForwardLength, kv = c.KvDim;
        for (int l = 0; l < c.BlockCount; l++)
        {
            layers[l] = new ReferenceLayer(Norm(d), Lin(d, d), Lin(kv, d), Lin(kv, d), Norm(d), Lin(d, d), Norm(d), Lin(f, d), Lin(f, d), Norm(f), Lin(d, f));
        }

        float[] embedding = TinyModel.Normal(rng, c.VocabSize * d, 0.1f).Select(x => (float)(Half)x).ToArray();
        var data = new ReferenceData(tokenizer, embedding, layers, Norm(d));
        string dir = WriteCheckpoint(packed ? "packed" : "bf16", packed, sharded, data);

        using var model = BitNetModel.Load(dir, new ModelOptions { Threads = 1 });
        int[] tokens = model.Tokenize("The seal looked at her for a long time.", addBos: true);
        using InferenceSession session = model.CreateSession();
        float[] logits = session.EvaluateAll(tokens);

        // The reference uses the scales as the engine must recover them: 1 / (1 / gamma) for packed; the bf16 scale for masters.
        ReferenceLayer[] refLayers = layers.Select(w => w with
        {
            Q = Fix(w.Q), K = Fix(w.K), V = Fix(w.V), O = Fix(w.O), Gate = Fix(w.Gate), Up = Fix(w.Up), Down = Fix(w.Down),
        }).ToArray();
        ReferenceLinear Fix(ReferenceLinear lin) => lin with
        {
            Scale = packed ? 1f / (1f / lin.Scale)
                : BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(lin.Scale) & unchecked((int)0xFFFF0000)),
        };
        var reference = new ReferenceTransformer(c, embedding, refLayers, data.OutputNorm, embedding);
        for (int t = 0; t < tokens.Length; t++)
        {
            float[] expected = reference.Step(tokens[t]);
            double kl = GgufModelTests.KullbackLeibler(expected, logits.AsSpan(t * c.VocabSize, c.VocabSize).ToArray());
            Assert.True(kl <= (reference.NearTies == 0 ? 1e-6 : 1e-2), $"packed={packed} t={t}: KL {kl:G3}");
        }
    }

    [Fact]
    public void MissingConfigOrTensorsAreClearErrors()
    {
        string dir = Path.Combine(_folder.Path, "empty");
        Directory.CreateDirectory(dir);
        new SafetensorsWriter().AddTensor("x", SafetensorsDType.F32, [1], new byte[4]).WriteTo(Path.Combine(dir, "model.safetensors"));
        var e = Assert.ThrowsAny<Exception>(() => BitNetModel.Load(dir));
        Assert.Contains("config.json", e.Message);
    }
}
