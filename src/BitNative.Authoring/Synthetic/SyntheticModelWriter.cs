using BitNative.Model;
using BitNative.Authoring.Tokenization;
using BitNative.Authoring.Gguf;
using System.Runtime.InteropServices;
using BitNative.Formats.Gguf;
using BitNative.Kernels;
using BitNative.Tokenization;

namespace BitNative.Authoring.Synthetic;

/// <summary>
/// Writes a complete synthetic model as GGUF: random master weights (seeded, deterministic) ternarized with absmean and
/// stored as I2_S, TQ2_0, TQ1_0 or F16 (ternary × scale, as llama.cpp's converter stores BitNet); RMSNorm weights near 1;
/// a byte-level BPE vocabulary (trained on built-in text, or the real Llama-3 one); special tokens and the BitNet chat
/// template. <c>--arch bitnet</c> files follow llama.cpp's <c>bitnet</c> architecture so llama.cpp runs the same file.
/// Tensors are generated while the file is written, one at a time, so a 2B-shaped model never sits in memory.
/// </summary>
public static class SyntheticModelWriter
{
    public static void Write(SyntheticModelSpec spec, string path)
    {
        TokenizerData tokenizer = spec.VocabularyFile is { } vocabFile
            ? TokenizerData.FromHuggingFace(vocabFile, SiblingConfig(vocabFile))
            : ByteLevelBpeTrainer.Train(SyntheticText.Sample, spec.Vocab);
        if (spec.Family is { } family)
        {
            tokenizer = FamilyTokenizerData(tokenizer, family.Tokenizer, spec.Vocab);
        }

        int vocab = tokenizer.Count;
        string a = spec.Architecture;
        ArchitectureDescription arch = ArchitectureDescription.FromGgufName(a)
            ?? throw new ArgumentException($"architecture {a} is not one BitNative runs.");
        int headDim = spec.HeadDim ?? spec.Embedding / spec.Heads;

        var w = new GgufWriter();
        w.AddString("general.architecture", a)
         .AddString("general.name", $"BitNative synthetic {spec.Family?.Id ?? "bitnet"} {spec.ShapeName} ({spec.Weights}, seed {spec.Seed})");
        if (FileType(spec.Weights) is uint fileType)
        {
            w.AddUInt32("general.file_type", fileType);
        }

        if (arch.Architecture != ModelArchitecture.Qwen3)
        {
            w.AddUInt32($"{a}.vocab_size", (uint)vocab); // the BitNet and bitnet.cpp llama converters write it; qwen3's does not
        }

        w.AddUInt32($"{a}.context_length", (uint)spec.Context)
         .AddUInt32($"{a}.embedding_length", (uint)spec.Embedding)
         .AddUInt32($"{a}.block_count", (uint)spec.Layers)
         .AddUInt32($"{a}.feed_forward_length", (uint)spec.FeedForward)
         .AddUInt32($"{a}.attention.head_count", (uint)spec.Heads)
         .AddUInt32($"{a}.attention.head_count_kv", (uint)spec.KvHeads)
         .AddUInt32($"{a}.rope.dimension_count", (uint)headDim)
         .AddFloat32($"{a}.rope.freq_base", spec.RopeBase)
         .AddFloat32($"{a}.attention.layer_norm_rms_epsilon", spec.Eps);
        if (arch.Architecture == ModelArchitecture.Qwen3)
        {
            // llama.cpp's converter writes the head width whenever config.json has head_dim (every Qwen3)
            w.AddUInt32($"{a}.attention.key_length", (uint)headDim).AddUInt32($"{a}.attention.value_length", (uint)headDim);
        }

        GgufTokenizerMetadata.Add(w, tokenizer, defaultTemplate: spec.Family is null);
        if (spec.Recipe is { } recipe)
        {
            GgufRecipeMetadata.Add(w, recipe);
        }

        int d = spec.Embedding, f = spec.FeedForward, kv = spec.KvHeads * headDim, q = spec.Heads * headDim;
        int tensorIndex = 0;
        AddEmbedding(w, "token_embd.weight", spec.Head, spec.Seed, d, vocab, tensorIndex++);
        AddNorm(w, "output_norm.weight", d, spec.Seed, tensorIndex++);
        if (spec.Output is { } output)
        {
            AddEmbedding(w, "output.weight", output, spec.Seed, d, vocab, tensorIndex++);
        }

        for (int l = 0; l < spec.Layers; l++)
        {
            // llama.cpp's tensor names; the sub-norms (BitNet) and QK-norms (Qwen3) where the architecture has them
            string p = $"blk.{l}.";
            AddNorm(w, p + "attn_norm.weight", d, spec.Seed, tensorIndex++);
            AddProjection(w, spec, p + "attn_q.weight", q, d, tensorIndex++);
            AddProjection(w, spec, p + "attn_k.weight", kv, d, tensorIndex++);
            AddProjection(w, spec, p + "attn_v.weight", kv, d, tensorIndex++);
            AddProjection(w, spec, p + "attn_output.weight", d, q, tensorIndex++);
            if (arch.QueryKeyNorm)
            {
                AddNorm(w, p + "attn_k_norm.weight", headDim, spec.Seed, tensorIndex++);
                AddNorm(w, p + "attn_q_norm.weight", headDim, spec.Seed, tensorIndex++);
            }

            if (arch.SubNorms)
            {
                AddNorm(w, p + "attn_sub_norm.weight", q, spec.Seed, tensorIndex++);
            }

            AddNorm(w, p + "ffn_norm.weight", d, spec.Seed, tensorIndex++);
            AddProjection(w, spec, p + "ffn_gate.weight", f, d, tensorIndex++);
            AddProjection(w, spec, p + "ffn_up.weight", f, d, tensorIndex++);
            AddProjection(w, spec, p + "ffn_down.weight", d, f, tensorIndex++);
            if (arch.SubNorms)
            {
                AddNorm(w, p + "ffn_sub_norm.weight", f, spec.Seed, tensorIndex++);
            }
        }

        w.WriteTo(path);
    }

    /// <summary>
    /// The trained vocabulary with a family's special tokens in place of the trainer's: its CONTROL tokens (BOS / EOS /
    /// EOT among them), its USER_DEFINED ones, then "[PAD{i}]" tokens up to <paramref name="vocab"/> as llama.cpp's
    /// converters pad a vocabulary shorter than the embedding; its pre-tokenizer name, add_bos and template.
    /// </summary>
    private static TokenizerData FamilyTokenizerData(TokenizerData trained, FamilyTokenizer family, int vocab)
    {
        if (family.SentencePiece)
        {
            return SentencePieceData(trained, family, vocab);
        }

        int plain = trained.Count - ByteLevelBpeTrainer.SpecialTokens.Count;
        var tokens = trained.Tokens.Take(plain).ToList();
        var types = trained.TokenTypes.Take(plain).ToList();
        tokens.AddRange(family.Control);
        types.AddRange(family.Control.Select(_ => TokenType.Control));
        tokens.AddRange(family.UserDefined);
        types.AddRange(family.UserDefined.Select(_ => TokenType.UserDefined));
        for (int i = tokens.Count; i < vocab; i++)
        {
            tokens.Add($"[PAD{i}]");
            types.Add(TokenType.UserDefined);
        }

        int? Id(string? token) => token is null ? null : tokens.IndexOf(token);
        var data = new TokenizerData(tokens, types, trained.Merges, Id(family.Bos), Id(family.Eos), Id(family.Eot), Id(family.Bos),
            family.AddBos, family.Pre, family.Template);
        data.Validate();
        return data;
    }

    /// <summary>
    /// A Llama-2 style SentencePiece vocabulary made from the trained one: &lt;unk&gt;, the family's control tokens, the
    /// 256 byte-fallback tokens &lt;0xNN&gt;, then the printable ASCII characters and every trained piece that is valid
    /// UTF-8 (spaces as U+2581), scored by merge order as SentencePiece's BPE scores are, then "[PAD{i}]" up to the
    /// embedding's rows.
    /// </summary>
    private static TokenizerData SentencePieceData(TokenizerData trained, FamilyTokenizer family, int vocab)
    {
        var tokens = new List<string> { "<unk>" };
        var types = new List<TokenType> { TokenType.Unknown };
        var scores = new List<float> { 0f };
        void Add(string token, TokenType type, float score)
        {
            if (!tokens.Contains(token))
            {
                tokens.Add(token);
                types.Add(type);
                scores.Add(score);
            }
        }

        foreach (string control in family.Control)
        {
            Add(control, TokenType.Control, 0f);
        }

        for (int b = 0; b < 256; b++)
        {
            Add(TokenizerData.SentencePieceByte(b), TokenType.Byte, 0f);
        }

        for (char c = ' '; c <= '~'; c++)
        {
            Add(c == ' ' ? "\u2581" : c.ToString(), TokenType.Normal, -1e4f);
        }

        var strict = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true);
        int plain = trained.Count - ByteLevelBpeTrainer.SpecialTokens.Count;
        for (int i = 256; i < plain; i++)
        {
            try
            {
                string piece = strict.GetString(ByteLevel.ToBytes(trained.Tokens[i])).Replace(' ', '\u2581');
                Add(piece, TokenType.Normal, -i);
            }
            catch (System.Text.DecoderFallbackException)
            {
                // a piece that ends inside a UTF-8 character: SentencePiece pieces are whole characters
            }
        }

        for (int i = tokens.Count; i < vocab; i++)
        {
            Add($"[PAD{i}]", TokenType.UserDefined, -1000f);
        }

        int? Id(string? token) => token is null ? null : tokens.IndexOf(token);
        var data = new TokenizerData(tokens, types, [], Id(family.Bos), Id(family.Eos), Id(family.Eot), null, family.AddBos, family.Pre,
            family.Template)
        {
            Model = "llama",
            Scores = scores,
        };
        data.Validate();
        return data;
    }

    private static string? SiblingConfig(string tokenizerJson)
    {
        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJson))!, "tokenizer_config.json");
        return File.Exists(config) ? config : null;
    }

    /// <summary>
    /// llama.cpp's llama_ftype: MOSTLY_F16 = 1, MOSTLY_TQ1_0 = 36, MOSTLY_TQ2_0 = 37; bitnet.cpp writes 40 for I2_S. None for
    /// the 2-bit and 1-bit blocks, whose ftype numbers differ between llama.cpp and PrismML's fork (readers ignore it).
    /// </summary>
    private static uint? FileType(SyntheticWeights weights) => weights switch
    {
        SyntheticWeights.F16 => 1,
        SyntheticWeights.Tq1 => 36,
        SyntheticWeights.Tq2 => 37,
        SyntheticWeights.I2S => 40,
        _ => null,
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
    /// The token embedding (the head when tied) or a separate output head: N(0, 4/d) values, so logits of a normalized
    /// hidden state spread over a few units (std ~2) as a trained model's do, and sampling options have a visible effect.
    /// </summary>
    private static void AddEmbedding(GgufWriter w, string name, SyntheticHead storage, int seed, int d, int vocab, int index)
    {
        (GgmlType type, RowCodec codec) = storage switch
        {
            SyntheticHead.Q8_0 => (GgmlType.Q8_0, RowCodec.Q8_0),
            SyntheticHead.Q6_K => (GgmlType.Q6_K, RowCodec.Q6_K),
            SyntheticHead.Q4_0 => (GgmlType.Q4_0, RowCodec.Q4_0),
            SyntheticHead.Q4_K => (GgmlType.Q4_K, RowCodec.Q4_K),
            SyntheticHead.Q5_K => (GgmlType.Q5_K, RowCodec.Q5_K),
            SyntheticHead.F32 => (GgmlType.F32, RowCodec.F32),
            _ => (GgmlType.F16, RowCodec.F16),
        };
        int rowBytes = (int)codec.RowBytes(d);
        w.AddTensor(name, type, [d, vocab], stream =>
        {
            var rng = new FastRandom(seed, index);
            float sigma = 2f / MathF.Sqrt(d);
            var row = new float[d];
            var bytes = new byte[rowBytes];
            for (int r = 0; r < vocab; r++)
            {
                for (int i = 0; i < d; i++)
                {
                    row[i] = sigma * rng.NextGaussian();
                }

                switch (storage)
                {
                    case SyntheticHead.Q8_0: BlockDequantization.EncodeQ8_0(row, bytes); break;
                    case SyntheticHead.Q6_K: BlockDequantization.EncodeQ6_K(row, bytes); break;
                    case SyntheticHead.Q4_0: BlockDequantization.EncodeQ4_0(row, bytes); break;
                    case SyntheticHead.Q4_K: BlockDequantization.EncodeQ4_K(row, bytes); break;
                    case SyntheticHead.Q5_K: BlockDequantization.EncodeQ5_K(row, bytes); break;
                    case SyntheticHead.F32: MemoryMarshal.AsBytes(row.AsSpan()).CopyTo(bytes); break;
                    default: System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(row, MemoryMarshal.Cast<byte, Half>(bytes.AsSpan())); break;
                }

                stream.Write(bytes);
            }
        });
    }

    /// <summary>
    /// A projection [k -> n] from master weights ~ N(0, 1/k): absmean ternary values with one scale (I2_S, TQ, F16), or
    /// per group (Q2_0 / Q2_0_G128: ternary codes and the group's absmean; Q1_0: signs and the group's mean |w|), stored
    /// as asked. A family file written with f16 holds the values its own type would (per-group scales included).
    /// </summary>
    private static void AddProjection(GgufWriter w, SyntheticModelSpec spec, string name, int n, int k, int index)
    {
        SyntheticWeights familyWeights = spec.Family?.Weights ?? spec.Weights;
        if (familyWeights is SyntheticWeights.Q2_0 or SyntheticWeights.Q2_0G128 or SyntheticWeights.Q1_0)
        {
            AddGroupProjection(w, spec, familyWeights, name, n, k, index);
            return;
        }

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

    private static void AddGroupProjection(GgufWriter w, SyntheticModelSpec spec, SyntheticWeights family, string name, int n, int k, int index)
    {
        WeightType layout = family switch
        {
            SyntheticWeights.Q2_0 => WeightType.Q2_0,
            SyntheticWeights.Q2_0G128 => WeightType.Q2_0G128,
            _ => WeightType.Q1_0,
        };
        WeightTypeInfo info = WeightTypes.Info(layout);
        int group = info.BlockWeights;
        Action<Stream> write = stream =>
        {
            var rng = new FastRandom(spec.Seed, index);
            float sigma = 1f / MathF.Sqrt(k);
            var master = new float[k];
            var codes = new sbyte[k];
            var scales = new Half[k / group];
            var packed = new byte[k / group * info.BlockBytes];
            var halves = new Half[k];
            for (int r = 0; r < n; r++)
            {
                for (int i = 0; i < k; i++)
                {
                    master[i] = sigma * rng.NextGaussian();
                }

                GroupQuantize(master, group, binary: layout == WeightType.Q1_0, codes, scales);
                if (spec.Weights == SyntheticWeights.F16)
                {
                    for (int i = 0; i < k; i++)
                    {
                        halves[i] = (Half)((float)scales[i / group] * codes[i]); // exact: a half times -1, 0, 1
                    }

                    stream.Write(MemoryMarshal.AsBytes(halves.AsSpan()));
                    continue;
                }

                for (int b = 0; b < k / group; b++)
                {
                    Span<byte> block = packed.AsSpan(b * info.BlockBytes, info.BlockBytes);
                    block.Clear();
                    System.Buffers.Binary.BinaryPrimitives.WriteHalfLittleEndian(block, scales[b]);
                    for (int j = 0; j < group; j++)
                    {
                        int c = codes[b * group + j];
                        if (layout == WeightType.Q1_0)
                        {
                            block[2 + j / 8] |= (byte)((c > 0 ? 1 : 0) << (j % 8));     // bit j % 8 of byte j / 8, 1 = +d
                        }
                        else
                        {
                            block[2 + j / 4] |= (byte)((c + 1) << (2 * (j % 4)));     // code c + 1 at bits 2 (j % 4), LSB first
                        }
                    }
                }

                stream.Write(packed);
            }
        };
        if (spec.Weights == SyntheticWeights.F16)
        {
            w.AddTensor(name, GgmlType.F16, [k, n], write);
        }
        else
        {
            w.AddTensor(name, layout, [k, n], write);
        }
    }

    /// <summary>
    /// One row's groups: ternary codes round(w / mean|w|) clamped to [-1, 1] (Q2_0), or signs (Q1_0, 0 counted as +), with
    /// the group's mean |w| as its fp16 scale.
    /// </summary>
    internal static void GroupQuantize(ReadOnlySpan<float> row, int group, bool binary, Span<sbyte> codes, Span<Half> scales)
    {
        for (int b = 0; b < row.Length / group; b++)
        {
            ReadOnlySpan<float> g = row.Slice(b * group, group);
            float mean = 0;
            foreach (float v in g)
            {
                mean += MathF.Abs(v);
            }

            mean /= group;
            scales[b] = (Half)mean;
            for (int j = 0; j < group; j++)
            {
                codes[b * group + j] = binary ? (sbyte)(g[j] >= 0 ? 1 : -1)
                    : (sbyte)Math.Clamp(MathF.Round(g[j] / (mean + 1e-8f)), -1, 1);
            }
        }
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
