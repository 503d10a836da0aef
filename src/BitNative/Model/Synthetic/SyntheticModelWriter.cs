using System.Runtime.InteropServices;
using BitNative.Formats.Gguf;
using BitNative.Kernels;
using BitNative.Tokenization;

namespace BitNative.Model.Synthetic;

/// <summary>
/// Writes a complete synthetic model as GGUF: random master weights (seeded, deterministic) ternarized with absmean and
/// stored as I2_S, TQ2_0, TQ1_0 or F16 (ternary × scale, as llama.cpp's converter stores BitNet); RMSNorm weights near 1;
/// a byte-level BPE vocabulary (trained on built-in text, or the real Llama-3 one); special tokens and the BitNet chat
/// template. <c>--arch bitnet</c> files follow llama.cpp's <c>bitnet</c> architecture so llama.cpp runs the same file.
/// Tensors are generated while the file is written, one at a time, so a 2B-shaped model never sits in memory.
/// </summary>
internal static class SyntheticModelWriter
{
    public static void Write(SyntheticModelSpec spec, string path)
    {
        TokenizerData tokenizer = spec.VocabularyFile is { } vocabFile
            ? TokenizerData.FromHuggingFace(vocabFile, SiblingConfig(vocabFile))
            : ByteLevelBpeTrainer.Train(SyntheticText.Sample, spec.Vocab);
        int vocab = tokenizer.Count;
        string a = spec.Architecture;
        int headDim = spec.Embedding / spec.Heads;

        var w = new GgufWriter();
        w.AddString("general.architecture", a)
         .AddString("general.name", $"BitNative synthetic {spec.ShapeName} ({spec.Weights}, seed {spec.Seed})")
         .AddUInt32("general.file_type", FileType(spec.Weights))
         .AddUInt32($"{a}.vocab_size", (uint)vocab)
         .AddUInt32($"{a}.context_length", (uint)spec.Context)
         .AddUInt32($"{a}.embedding_length", (uint)spec.Embedding)
         .AddUInt32($"{a}.block_count", (uint)spec.Layers)
         .AddUInt32($"{a}.feed_forward_length", (uint)spec.FeedForward)
         .AddUInt32($"{a}.attention.head_count", (uint)spec.Heads)
         .AddUInt32($"{a}.attention.head_count_kv", (uint)spec.KvHeads)
         .AddUInt32($"{a}.rope.dimension_count", (uint)headDim)
         .AddFloat32($"{a}.rope.freq_base", spec.RopeBase)
         .AddFloat32($"{a}.attention.layer_norm_rms_epsilon", 1e-5f);
        GgufTokenizerMetadata.Add(w, tokenizer);

        int d = spec.Embedding, f = spec.FeedForward, kv = spec.KvHeads * headDim;
        int tensorIndex = 0;
        AddEmbedding(w, spec, vocab, tensorIndex++);
        AddNorm(w, "output_norm.weight", d, spec.Seed, tensorIndex++);
        for (int l = 0; l < spec.Layers; l++)
        {
            string p = $"blk.{l}.";
            AddNorm(w, p + "attn_norm.weight", d, spec.Seed, tensorIndex++);
            AddProjection(w, spec, p + "attn_q.weight", d, d, tensorIndex++);
            AddProjection(w, spec, p + "attn_k.weight", kv, d, tensorIndex++);
            AddProjection(w, spec, p + "attn_v.weight", kv, d, tensorIndex++);
            AddProjection(w, spec, p + "attn_output.weight", d, d, tensorIndex++);
            AddNorm(w, p + "attn_sub_norm.weight", d, spec.Seed, tensorIndex++);
            AddNorm(w, p + "ffn_norm.weight", d, spec.Seed, tensorIndex++);
            AddProjection(w, spec, p + "ffn_gate.weight", f, d, tensorIndex++);
            AddProjection(w, spec, p + "ffn_up.weight", f, d, tensorIndex++);
            AddProjection(w, spec, p + "ffn_down.weight", d, f, tensorIndex++);
            AddNorm(w, p + "ffn_sub_norm.weight", f, spec.Seed, tensorIndex++);
        }

        w.WriteTo(path);
    }

    private static string? SiblingConfig(string tokenizerJson)
    {
        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJson))!, "tokenizer_config.json");
        return File.Exists(config) ? config : null;
    }

    /// <summary>llama.cpp's llama_ftype: MOSTLY_F16 = 1, MOSTLY_TQ1_0 = 36, MOSTLY_TQ2_0 = 37; bitnet.cpp writes 40 for I2_S.</summary>
    private static uint FileType(SyntheticWeights weights) => weights switch
    {
        SyntheticWeights.F16 => 1,
        SyntheticWeights.Tq1 => 36,
        SyntheticWeights.Tq2 => 37,
        _ => 40,
    };

    private static void AddNorm(GgufWriter w, string name, int length, int seed, int index)
    {
        var rng = new FastRandom(seed, index);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = 1f + 0.1f * rng.NextGaussian();
        }

        w.AddTensor(name, GgmlType.F32, [length], MemoryMarshal.AsBytes(values.AsSpan()));
    }

    /// <summary>
    /// The tied token embedding / head: N(0, 4/d) values, so logits of a normalized hidden state spread over a few units
    /// (std ~2) as a trained model's do, and sampling options have a visible effect.
    /// </summary>
    private static void AddEmbedding(GgufWriter w, SyntheticModelSpec spec, int vocab, int index)
    {
        int d = spec.Embedding;
        (GgmlType type, RowCodec codec) = spec.Head switch
        {
            SyntheticHead.Q8_0 => (GgmlType.Q8_0, RowCodec.Q8_0),
            SyntheticHead.Q6_K => (GgmlType.Q6_K, RowCodec.Q6_K),
            SyntheticHead.Q4_0 => (GgmlType.Q4_0, RowCodec.Q4_0),
            SyntheticHead.Q4_K => (GgmlType.Q4_K, RowCodec.Q4_K),
            SyntheticHead.Q5_K => (GgmlType.Q5_K, RowCodec.Q5_K),
            _ => (GgmlType.F16, RowCodec.F16),
        };
        int rowBytes = (int)codec.RowBytes(d);
        w.AddTensor("token_embd.weight", type, [d, vocab], stream =>
        {
            var rng = new FastRandom(spec.Seed, index);
            float sigma = 2f / MathF.Sqrt(d);
            var row = new float[d];
            var bytes = new byte[rowBytes];
            for (int r = 0; r < vocab; r++)
            {
                for (int i = 0; i < d; i++)
                {
                    row[i] = sigma * rng.NextGaussian();
                }

                switch (spec.Head)
                {
                    case SyntheticHead.Q8_0: BlockDecoding.EncodeQ8_0(row, bytes); break;
                    case SyntheticHead.Q6_K: BlockDecoding.EncodeQ6_K(row, bytes); break;
                    case SyntheticHead.Q4_0: BlockDecoding.EncodeQ4_0(row, bytes); break;
                    case SyntheticHead.Q4_K: BlockDecoding.EncodeQ4_K(row, bytes); break;
                    case SyntheticHead.Q5_K: BlockDecoding.EncodeQ5_K(row, bytes); break;
                    default: System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(row, MemoryMarshal.Cast<byte, Half>(bytes.AsSpan())); break;
                }

                stream.Write(bytes);
            }
        });
    }

    /// <summary>A ternarized projection [k -> n]: master weights ~ N(0, 1/k), absmean ternary values, stored as asked.</summary>
    private static void AddProjection(GgufWriter w, SyntheticModelSpec spec, string name, int n, int k, int index)
    {
        GgmlType type = spec.Weights switch
        {
            SyntheticWeights.I2S => GgmlType.I2_S,
            SyntheticWeights.Tq2 => GgmlType.TQ2_0,
            SyntheticWeights.Tq1 => GgmlType.TQ1_0,
            _ => GgmlType.F16,
        };
        w.AddTensor(name, type, [k, n], stream =>
        {
            int count = checked(n * k);
            var master = new float[count];
            var rng = new FastRandom(spec.Seed, index);
            float sigma = 1f / MathF.Sqrt(k);
            for (int i = 0; i < count; i++)
            {
                master[i] = sigma * rng.NextGaussian();
            }

            var q = new sbyte[count];
            float gamma = WeightPacker.TernarizeAbsmean(master, q);
            master = null!; // 4 bytes a weight: let it go before packing
            switch (spec.Weights)
            {
                case SyntheticWeights.F16:
                {
                    var halves = new Half[count];
                    var s = (Half)gamma;
                    for (int i = 0; i < count; i++)
                    {
                        halves[i] = q[i] == 0 ? (Half)0f : q[i] > 0 ? s : -s;
                    }

                    stream.Write(MemoryMarshal.AsBytes(halves.AsSpan()));
                    break;
                }

                case SyntheticWeights.I2S:
                {
                    stream.Write(GgufI2STensor.Encode(q, n, k, gamma));
                    break;
                }

                default:
                {
                    WeightType type = spec.Weights == SyntheticWeights.Tq2 ? WeightType.Tq2 : WeightType.Tq1;
                    var packed = new byte[WeightTypes.Bytes(type, n, k)];
                    WeightPacker.Pack(type, q, n, k, gamma, packed);
                    stream.Write(packed);
                    break;
                }
            }
        });
    }

    /// <summary>
    /// xoshiro256** seeded per (seed, tensor) so tensors are independent and reproducible; Gaussian values from the sum of
    /// four 16-bit uniforms (Irwin–Hall), rescaled to unit variance: plenty for random weights, and fast enough to fill
    /// 2.4 billion weights in seconds.
    /// </summary>
    private struct FastRandom
    {
        private ulong _s0, _s1, _s2, _s3;

        public FastRandom(int seed, int stream)
        {
            ulong x = (ulong)(uint)seed * 0x9E3779B97F4A7C15ul ^ ((ulong)(uint)stream << 32 | 0xA5A5);
            _s0 = SplitMix(ref x);
            _s1 = SplitMix(ref x);
            _s2 = SplitMix(ref x);
            _s3 = SplitMix(ref x);
        }

        private static ulong SplitMix(ref ulong x)
        {
            ulong z = x += 0x9E3779B97F4A7C15ul;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ul;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBul;
            return z ^ (z >> 31);
        }

        private ulong Next()
        {
            ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
            ulong t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = ulong.RotateLeft(_s3, 45);
            return result;
        }

        public float NextGaussian()
        {
            ulong r = Next();
            // Sum of 4 uniforms on [0, 65535]: mean 4 * 32767.5, variance 4 * (65536^2 - 1) / 12.
            float sum = (float)((r & 0xFFFF) + ((r >> 16) & 0xFFFF) + ((r >> 32) & 0xFFFF) + (r >> 48));
            return (sum - 131070f) * (1f / 37837.2f);
        }
    }
}
